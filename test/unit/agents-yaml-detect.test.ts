import { describe, expect, it } from 'vitest';
import { detect, detectText, detectYaml, formatOf, formatPath, wellKnownPlaces, type Detected } from '../../src/core/agents';
import { lookalike, randomChars } from '../helpers/lookalike';

// YAML configs read as YAML: Continue's ~/.continue/config.yaml and .continue/mcpServers/*.yaml as
// people write them, and any .yaml or .yml a scan finds in a tree, as hostile input.

const summary = (found: readonly Detected[]) => found.map((f) => [f.line, formatPath(f.path), f.server, f.source, f.rule]);
const pw = () => `Pw${randomChars(18)}`;

describe("Continue's config.yaml", () => {
  it('finds a model key of no known shape, MCP env values under each server by its name, and header credentials, with lines and paths', () => {
    const [anthropic, proxy, gh, linear, context7] = [lookalike.anthropic(), lookalike.generic(), lookalike.github(), lookalike.generic(), lookalike.generic()];
    const text = [
      'name: Local Assistant',
      'version: 1.0.0',
      'schema: v1',
      'models:',
      '  - name: Claude Sonnet',
      '    provider: anthropic',
      '    model: claude-sonnet-4-5',
      `    apiKey: ${anthropic}`,
      '    roles:',
      '      - chat',
      '  - name: Local proxy',
      '    provider: openai',
      '    apiBase: https://llm.internal.example/v1',
      `    apiKey: ${proxy}`,
      '  - name: Mistral',
      '    provider: mistral',
      '    apiKey: ${{ secrets.MISTRAL_API_KEY }}',
      'context:',
      '  - provider: code',
      'mcpServers:',
      '  - name: github',
      '    command: npx',
      '    args:',
      '      - -y',
      '      - "@modelcontextprotocol/server-github"',
      '    env:',
      `      GITHUB_PERSONAL_ACCESS_TOKEN: ${gh}`,
      '  - name: linear',
      '    command: uvx',
      '    args: [linear-mcp]',
      '    env:',
      `      LINEAR_API_KEY: "${linear}"`,
      '      LOG_LEVEL: debug',
      '  - name: context7',
      '    type: streamable-http',
      '    url: https://mcp.context7.com/mcp',
      '    requestOptions:',
      '      headers:',
      `        Authorization: Bearer ${context7}`,
      '',
    ].join('\n');
    const found = detectYaml(text);
    expect(summary(found)).toEqual([
      [8, 'models[0].apiKey', null, 'config', 'anthropic-api-key'],
      [14, 'models[1].apiKey', null, 'config', 'generic-secret'],
      [27, 'mcpServers[0].env.GITHUB_PERSONAL_ACCESS_TOKEN', 'github', 'mcp-env', 'github-pat'],
      [32, 'mcpServers[1].env.LINEAR_API_KEY', 'linear', 'mcp-env', 'generic-secret'],
      [39, 'mcpServers[2].requestOptions.headers.Authorization', 'context7', 'config', 'authorization-header'],
    ]);
    expect(found.map((f) => [f.name, f.value])).toEqual([
      ['apiKey', anthropic],
      ['apiKey', proxy],
      ['GITHUB_PERSONAL_ACCESS_TOKEN', gh],
      ['LINEAR_API_KEY', linear],
      ['CONTEXT7_TOKEN', context7],
    ]);
    // As free text (how .yaml was read before), only the keys of a known shape were found.
    expect(detectText(text).map((f) => f.value)).toEqual([anthropic, gh]);
    expect(formatOf('/h/.continue/config.yaml')).toBe('yaml');
  });

  it("reads a workspace's .continue/mcpServers/*.yaml block: docker's -e NAME=value and a URL with a password among the args", () => {
    const [pgPassword, urlPassword] = [pw(), pw()];
    const text = [
      'name: Postgres MCP',
      'version: 0.0.1',
      'schema: v1',
      'mcpServers:',
      '  - name: postgres',
      '    command: docker',
      '    args:',
      '      - run',
      '      - -i',
      '      - --rm',
      '      - -e',
      `      - POSTGRES_PASSWORD=${pgPassword}`,
      '      - mcp/postgres',
      `      - postgresql://app:${urlPassword}@db.internal:5432/shop`,
      '',
    ].join('\n');
    const found = detectYaml(text);
    expect(summary(found)).toEqual([
      [12, 'mcpServers[0].args[4]', 'postgres', 'mcp-env', 'generic-secret'],
      [14, 'mcpServers[0].args[6]', 'postgres', 'config', 'url-password'],
    ]);
    expect(found.map((f) => [f.name, f.value])).toEqual([
      ['POSTGRES_PASSWORD', pgPassword],
      [null, `postgresql://app:${urlPassword}@db.internal:5432/shop`],
    ]);
    expect(formatOf('/p/.continue/mcpServers/postgres.yml')).toBe('yaml');
  });

  it('reads headers written as a list of name/value pairs, as in JSON, each under a name of its listed server', () => {
    const [token, key] = [randomChars(40), randomChars(32)];
    const text = [
      'mcpServers:',
      '  - name: linear',
      '    type: streamable-http',
      '    url: https://mcp.linear.example.com/mcp',
      '    requestOptions:',
      '      headers:',
      '        - name: Accept',
      '          value: text/event-stream',
      `        - { value: "Bearer ${token}", name: Authorization }`,
      '        - key: X-API-Key',
      `          value: ${key}`,
      '        - name: X-Request-Id',
      `          value: ${randomChars(32)}`,
      '',
    ].join('\n');
    expect(detectYaml(text).map((f) => [f.line, formatPath(f.path), f.server, f.name, f.label, f.value])).toEqual([
      [9, 'mcpServers[0].requestOptions.headers[1].value', 'linear', 'LINEAR_TOKEN', 'Authorization header', token],
      [11, 'mcpServers[0].requestOptions.headers[2].value', 'linear', 'LINEAR_API_KEY', 'API key header', key],
    ]);
  });

  it('keys the servers by name where they are a map, as in the JSON configs', () => {
    const key = lookalike.github();
    expect(summary(detectYaml(`mcpServers:\n  gh:\n    command: npx\n    env:\n      GITHUB_TOKEN: ${key}\n`))).toEqual([
      [5, 'mcpServers.gh.env.GITHUB_TOKEN', 'gh', 'mcp-env', 'github-pat'],
    ]);
  });

  it('a listed server with no name is named by none', () => {
    const key = lookalike.github();
    expect(summary(detectYaml(`mcpServers:\n  - command: npx\n    env:\n      GITHUB_TOKEN: ${key}\n`))).toEqual([
      [4, 'mcpServers[0].env.GITHUB_TOKEN', null, 'config', 'github-pat'],
    ]);
  });
});

describe('YAML as people write it', () => {
  it('comments: a key in one is found as in free text; one beside a value is not part of it', () => {
    const [old, slack] = [lookalike.openai(), lookalike.slack()];
    const text = [
      `# Continue keeps this file; the old key was ${old}`,
      'mcpServers:',
      '  - name: slack   # the #ops bot',
      '    command: npx',
      '    env:',
      '      # from api.slack.com',
      `      SLACK_BOT_TOKEN: ${slack} # rotate in June`,
      '      SLACK_TEAM_ID: T01234567',
      '',
    ].join('\n');
    const found = detectYaml(text);
    expect(summary(found)).toEqual([
      [1, '', null, 'text', 'openai-api-key'],
      [7, 'mcpServers[0].env.SLACK_BOT_TOKEN', 'slack', 'mcp-env', 'slack-token'],
    ]);
    expect(found.map((f) => f.value)).toEqual([old, slack]);
  });

  it('anchors and aliases: a shared env is each server’s, a merged value is found once, at its anchor', () => {
    const [gh, key] = [lookalike.github(), lookalike.generic()];
    const text = [
      'x-shared-env: &shared',
      `  GITHUB_TOKEN: ${gh}`,
      'defaults: &defaults',
      '  provider: openai',
      `  apiKey: ${key}`,
      'mcpServers:',
      '  - name: gh-issues',
      '    command: npx',
      '    env: *shared',
      '  - name: gh-prs',
      '    command: npx',
      '    env:',
      '      <<: *shared',
      '      LOG: debug',
      'models:',
      '  - <<: *defaults',
      '    name: gpt',
      '',
    ].join('\n');
    expect(summary(detectYaml(text))).toEqual([
      [2, 'mcpServers[0].env.GITHUB_TOKEN', 'gh-issues', 'mcp-env', 'github-pat'],
      [2, 'mcpServers[1].env.GITHUB_TOKEN', 'gh-prs', 'mcp-env', 'github-pat'],
      [5, 'defaults.apiKey', null, 'config', 'generic-secret'],
    ]);
  });

  it('flow style, on one line or several', () => {
    const [stripe, gh] = [lookalike.stripe(), lookalike.github()];
    const text = [
      `mcpServers: [{ name: stripe, command: npx, args: ["-y", "@stripe/mcp"], env: { STRIPE_SECRET_KEY: "${stripe}" } },`,
      '  {',
      '    name: gh,',
      '    command: npx,',
      `    env: { GITHUB_TOKEN: '${gh}' }`,
      '  }]',
      '',
    ].join('\n');
    expect(summary(detectYaml(text))).toEqual([
      [1, 'mcpServers[0].env.STRIPE_SECRET_KEY', 'stripe', 'mcp-env', 'stripe-access-token'],
      [5, 'mcpServers[1].env.GITHUB_TOKEN', 'gh', 'mcp-env', 'github-pat'],
    ]);
  });

  it("plain, quoted and block scalars: the value is the scalar's string, escapes read", () => {
    const [a, b1, b2, c1, c2, d, gh] = [
      randomChars(24),
      randomChars(12),
      randomChars(12),
      randomChars(12),
      randomChars(12),
      randomChars(24),
      lookalike.github(),
    ];
    const text = [
      `plain_token: ${a}`,
      `single_token: '${b1}''${b2}'`,
      `double_token: "${c1}\\u0041${c2}"`,
      'literal_token: |-',
      `  ${d}`,
      'folded: >-',
      `  ${gh}`,
      '',
    ].join('\n');
    const found = detectYaml(text);
    expect(found.map((f) => [f.line, f.name, f.value])).toEqual([
      [1, 'plain_token', a],
      [2, 'single_token', `${b1}'${b2}`],
      [3, 'double_token', `${c1}A${c2}`],
      [4, 'literal_token', d],
      [6, 'folded', gh],
    ]);
  });

  it('reads every document of a stream (Kubernetes manifests)', () => {
    const [password, gh] = [lookalike.generic(), lookalike.github()];
    const text = `apiVersion: v1\nkind: Secret\nstringData:\n  DB_PASSWORD: ${password}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  GITHUB_TOKEN: ${gh}\n`;
    expect(summary(detectYaml(text))).toEqual([
      [4, 'stringData.DB_PASSWORD', null, 'config', 'generic-secret'],
      [9, 'data.GITHUB_TOKEN', null, 'config', 'github-pat'],
    ]);
  });

  it('a tagged value is not a literal string, !!str aside; a value under a collection key is found as free text', () => {
    const [vaulted, token, gh] = [lookalike.generic(), lookalike.generic(), lookalike.github()];
    const text = [`api_key: !vault ${vaulted}`, `token: !!str ${token}`, '? [complex, key]', `: ${gh}`, `12345: ${lookalike.generic()}`, ''].join('\n');
    expect(summary(detectYaml(text))).toEqual([
      [2, 'token', null, 'config', 'generic-secret'],
      [4, '', null, 'text', 'github-pat'],
    ]);
  });

  it('a byte order mark and CRLF line ends change no line', () => {
    const gh = lookalike.github();
    expect(summary(detectYaml(`\uFEFF# mine\r\nmcpServers:\r\n  - name: gh\r\n    env:\r\n      GITHUB_TOKEN: ${gh}\r\n`))).toEqual([
      [5, 'mcpServers[0].env.GITHUB_TOKEN', 'gh', 'mcp-env', 'github-pat'],
    ]);
  });
});

describe('files that are not YAML, or are hostile', () => {
  it('a .yml that does not parse (a template) is read as free text, as before', () => {
    const gh = lookalike.github();
    const text = `{% if prod %}\napi_key: {{ vault_key }}\n{% endif %}\npassword: ${lookalike.generic()}\ntoken: ${gh}\n`;
    expect(detectYaml(text)).toEqual(detectText(text));
    expect(detectYaml(text).map((f) => [f.line, f.value])).toEqual([[5, gh]]);
  });

  it('a key set twice is not YAML: read as free text', () => {
    const gh = lookalike.github();
    const text = `apiKey: ${lookalike.generic()}\napiKey: ${gh}\n`;
    expect(detectYaml(text)).toEqual(detectText(text));
  });

  it('an alias bomb (a billion laughs) is read as free text: a plain answer, no expansion', () => {
    const gh = lookalike.github();
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 10; i++) {
      const [name, previous] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
      lines.push(`${name}: &${name} [${Array<string>(9).fill(`*${previous}`).join(', ')}]`);
    }
    lines.push('mcpServers:', '  - name: gh', '    command: npx', '    env:', `      GITHUB_TOKEN: ${gh}`, '    args: *j', '');
    const text = lines.join('\n');
    expect(detectYaml(text)).toEqual(detectText(text));
    expect(detectYaml(text).map((f) => [f.line, f.value])).toEqual([[15, gh]]);
  });

  it('nesting past what a config has is read as free text, however often; nesting a config has is read as YAML', () => {
    const gh = lookalike.github();
    // See also test/security/deeply-nested-yaml.test.ts, where such files composed took the process down.
    for (const deep of ['['.repeat(100_000) + ']'.repeat(100_000), '- '.repeat(50_000) + 'x', '{a: '.repeat(2000) + '}'.repeat(2000)]) {
      const text = `token: ${gh}\nnested: ${deep}\n`;
      expect(detectYaml(text)).toEqual(detectText(text));
    }
    const text = `${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}level${i}:`).join('\n')}\n${'  '.repeat(40)}GITHUB_TOKEN: ${gh}\n`;
    expect(detectYaml(text).map((f) => [f.line, f.path.length, f.source])).toEqual([[41, 41, 'config']]);
  });
});

describe('where YAML is read', () => {
  it('.yaml and .yml files, .yarnrc.yml among them, are read as YAML', () => {
    for (const path of ['/p/docker-compose.yml', '/p/values.YAML', '/p/.yarnrc.yml', '/h/.continue/config.yaml']) expect(formatOf(path)).toBe('yaml');
    const token = lookalike.generic();
    expect(summary(detect('yaml', `npmRegistryServer: "https://npm.example.com"\nnpmAuthToken: ${token}\n`))).toEqual([
      [2, 'npmAuthToken', null, 'config', 'generic-secret'],
    ]);
  });

  it("Continue's config.yaml is a well-known place, in CONTINUE_GLOBAL_DIR when that is a full path", () => {
    const yamlPlaces = (env: NodeJS.ProcessEnv) => wellKnownPlaces(env, 'linux').filter((p) => p.format === 'yaml');
    expect(yamlPlaces({ HOME: '/h' })).toEqual([{ path: '/h/.continue/config.yaml', format: 'yaml', what: 'Continue config' }]);
    expect(yamlPlaces({ HOME: '/h', CONTINUE_GLOBAL_DIR: '/c' }).map((p) => p.path)).toEqual(['/c/config.yaml']);
    expect(yamlPlaces({ HOME: '/h', CONTINUE_GLOBAL_DIR: 'rel' }).map((p) => p.path)).toEqual(['/h/.continue/config.yaml']);
  });
});
