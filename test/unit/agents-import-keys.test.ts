import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFindings, scan, type ImportOutcome } from '../../src/core/agents';
import { isEnvName } from '../../src/core/devflow/env-names';
import { LIMITS } from '../../src/shared/domain';
import type { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { lookalike, randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// Two values of one file that go to its own profile under one key: Continue's two models with an
// `apiKey` of no provider's shape, `providers.a.apiKey` and `providers.b.apiKey` in JSON or TOML.
// The second was a conflict at every import, and never stored. Each value now has a key of its
// own, named after its place, the same at every import of the file.

const cleanups = useCleanups();

function home(): { dir: string; env: NodeJS.ProcessEnv; write: (path: string, text: string) => string } {
  const t = tempDir('keyhold-import-keys-');
  cleanups.push(t.cleanup);
  mkdirSync(join(t.dir, 'home'));
  return {
    dir: t.dir,
    env: { HOME: join(t.dir, 'home'), XDG_CONFIG_HOME: join(t.dir, 'home', '.config') },
    write: (path, text) => writeWithFolders(join(t.dir, path), text),
  };
}

async function vault(): Promise<Vault> {
  const v = await newVault();
  cleanups.push(v.cleanup);
  return v.vault;
}

const keysIn = (outcomes: readonly ImportOutcome[]) =>
  outcomes.map((o) => [o.finding.where, o.target.type === 'profile' ? o.target.key : o.target.kind, o.result]);
const stored = (v: Vault, ref: string) => v.profiles.load(v.profiles.resolve(ref).id).secrets.authData;

describe('two values of one name in one file', () => {
  it("Continue's config.yaml with two models: each key is stored, under apiKey and APIKEY_ and its model's name, and a second import finds both held", async () => {
    const v = await vault();
    const h = home();
    const [proxy, sonnet, local] = [randomChars(40), randomChars(40), randomChars(40)];
    h.write(
      'home/.continue/config.yaml',
      [
        'name: Local Assistant',
        'version: 1.0.0',
        'schema: v1',
        'models:',
        '  - name: Local proxy',
        '    provider: openai',
        '    apiBase: https://llm.internal.example/v1',
        `    apiKey: ${proxy}`,
        '  - name: Claude Sonnet (work)',
        '    provider: anthropic',
        `    apiKey: ${sonnet}`,
        '  - provider: ollama',
        `    apiKey: ${local}`,
        '  - name: Same proxy, another model',
        `    apiKey: ${proxy}`,
        '',
      ].join('\n'),
    );
    const run = () => importFindings(v, scan({ paths: [], wellKnown: true, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(keysIn(run())).toEqual([
      ['models[0].apiKey', 'apiKey', 'imported'],
      ['models[1].apiKey', 'APIKEY_CLAUDE_SONNET_WORK', 'imported'],
      ['models[2].apiKey', 'APIKEY_2', 'imported'],
      // The same value again: one key, held.
      ['models[3].apiKey', 'apiKey', 'held'],
    ]);
    expect(stored(v, '.continue/config.yaml')).toEqual({ apiKey: proxy, APIKEY_CLAUDE_SONNET_WORK: sonnet, APIKEY_2: local });
    const again = run();
    expect(again.map((o) => o.result)).toEqual(['held', 'held', 'held', 'held']);
    expect(keysIn(again).map(([, key]) => key)).toEqual(['apiKey', 'APIKEY_CLAUDE_SONNET_WORK', 'APIKEY_2', 'apiKey']);
    expect(v.profiles.list()).toHaveLength(1);
  });

  it('JSON: providers.a and providers.b by the key that tells them apart, a list by its title, two of one title by a number', async () => {
    const v = await vault();
    const h = home();
    const values = [randomChars(40), randomChars(40), randomChars(40), randomChars(40)];
    const file = h.write(
      'code/app/llm.json',
      JSON.stringify(
        {
          providers: { a: { apiKey: values[0] }, b: { apiKey: values[1] } },
          models: [
            { title: 'GPT-4o', apiKey: values[2] },
            { title: 'GPT-4o', apiKey: values[3] },
          ],
        },
        null,
        2,
      ),
    );
    const run = () => importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    const first = run();
    expect(keysIn(first)).toEqual([
      ['providers.a.apiKey', 'apiKey', 'imported'],
      ['providers.b.apiKey', 'APIKEY_B', 'imported'],
      ['models[0].apiKey', 'APIKEY_GPT_4O', 'imported'],
      ['models[1].apiKey', 'APIKEY_GPT_4O_2', 'imported'],
    ]);
    const profile = first[0]!.target.type === 'profile' ? `${first[0]!.target.agentId}/${first[0]!.target.name}` : '';
    expect(Object.values(stored(v, profile))).toEqual(values);
    expect(run().map((o) => o.result)).toEqual(['held', 'held', 'held', 'held']);
  });

  it('TOML: tables and a list of tables by its model; an MCP server keeps its variable name, so a second value for it is still a conflict', async () => {
    const v = await vault();
    const h = home();
    const [a, b, c] = [randomChars(40), randomChars(40), randomChars(40)];
    const [gh1, gh2] = [lookalike.github(), lookalike.github()];
    const file = h.write(
      'code/app/llm.toml',
      [
        '[providers.a]',
        `api_key = "${a}"`,
        '[providers.b]',
        `api_key = "${b}"`,
        '[[models]]',
        'model = "llama3.1:70b"',
        `api_key = "${c}"`,
        '[mcp_servers.gh.env]',
        `GITHUB_TOKEN = "${gh1}"`,
        '[profiles.work.mcp_servers.gh.env]',
        `GITHUB_TOKEN = "${gh2}"`,
        '',
      ].join('\n'),
    );
    const run = () => importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(keysIn(run())).toEqual([
      ['providers.a.api_key', 'api_key', 'imported'],
      ['providers.b.api_key', 'API_KEY_B', 'imported'],
      ['models[0].api_key', 'API_KEY_LLAMA3_1_70B', 'imported'],
      ['mcp_servers.gh.env.GITHUB_TOKEN', 'GITHUB_TOKEN', 'imported'],
      ['profiles.work.mcp_servers.gh.env.GITHUB_TOKEN', 'GITHUB_TOKEN', 'conflict'],
    ]);
    expect(run().map((o) => o.result)).toEqual(['held', 'held', 'held', 'held', 'conflict']);
  });

  it('free text: two keys of one kind with no name are GITHUB_PAT and GITHUB_PAT_2', async () => {
    const v = await vault();
    const h = home();
    const file = h.write('code/app/notes.txt', `old: ${lookalike.github()}\nnew: ${lookalike.github()}\n`);
    const run = () => importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(keysIn(run()).map(([, key, result]) => [key, result])).toEqual([
      ['GITHUB_PAT', 'imported'],
      ['GITHUB_PAT_2', 'imported'],
    ]);
    expect(run().map((o) => o.result)).toEqual(['held', 'held']);
  });

  it('a key is a valid credential name within the limits, and never made of a secret: an entry named by a token is told apart by its index', async () => {
    const v = await vault();
    const h = home();
    const token = lookalike.github();
    const long = 'Modèle très long '.repeat(8).trim();
    const stem = `A${'b'.repeat(120)}_TOKEN`;
    const file = h.write(
      'code/app/models.yaml',
      [
        'models:',
        `  - apiKey: ${randomChars(40)}`,
        `    ${stem}: ${randomChars(40)}`,
        `  - name: ${token}`,
        `    apiKey: ${randomChars(40)}`,
        `  - name: "${long}"`,
        `    apiKey: ${randomChars(40)}`,
        `    ${stem}: ${randomChars(40)}`,
        '',
      ].join('\n'),
    );
    const outcomes = importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    const keys = outcomes.map((o) => (o.target.type === 'profile' ? o.target.key : ''));
    expect(outcomes.every((o) => o.result === 'imported')).toBe(true);
    for (const key of keys) {
      expect(isEnvName(key)).toBe(true);
      expect(key.length).toBeLessThanOrEqual(LIMITS.keyChars);
      expect(key.toUpperCase()).not.toContain(token.toUpperCase());
    }
    const longPart = 'MODELE_TRES_LONG_MODELE_TRES_LONG_MODELE';
    expect(outcomes.map((o) => [o.finding.where, o.target.type === 'profile' ? o.target.key : ''])).toEqual([
      ['models[0].apiKey', 'apiKey'],
      [`models[0].${stem}`, stem],
      // The token is a finding of its own; its entry's apiKey is told apart by the entry's index.
      ['models[1].name', 'name'],
      ['models[1].apiKey', 'APIKEY_1'],
      ['models[2].apiKey', `APIKEY_${longPart}`],
      [`models[2].${stem}`, `${stem.toUpperCase().slice(0, LIMITS.keyChars - longPart.length - 1)}_${longPart}`],
    ]);
  });

  it('a file of more values than a profile holds: the first 200 are stored, the rest refused, saying why', async () => {
    const v = await vault();
    const h = home();
    const file = h.write('code/app/.env', Array.from({ length: LIMITS.keysPerProfile + 2 }, (_, i) => `TOKEN_${i}=${randomChars(40)}\n`).join(''));
    const outcomes = importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(outcomes.filter((o) => o.result === 'imported')).toHaveLength(LIMITS.keysPerProfile);
    const refused = outcomes.filter((o) => o.result === 'refused');
    expect(refused.map((o) => o.finding.name)).toEqual([`TOKEN_${LIMITS.keysPerProfile}`, `TOKEN_${LIMITS.keysPerProfile + 1}`]);
    expect(refused[0]!.reason).toMatch(/^app\/env-[0-9a-f]{8} cannot take it: A profile may hold at most 200 keys\.$/);
  });

  it('a value or a name the vault would refuse is refused or renamed alone, and the rest of the file is imported', async () => {
    const v = await vault();
    const h = home();
    const longName = `SERVICE_${'X'.repeat(LIMITS.keyChars)}_TOKEN`;
    const huge = randomChars(LIMITS.valueBytes + 10);
    const kept = randomChars(40);
    const named = randomChars(40);
    const file = h.write('code/app/.env', `${longName}=${named}\nHUGE_SECRET=${huge}\nAPI_TOKEN=${kept}\n`);
    const { outcomes } = importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings);
    expect(outcomes.map((o) => [o.finding.name, o.target.type === 'profile' ? o.target.key : null, o.result])).toEqual([
      // A name longer than a key may be is stored under its kind, as a reserved name is.
      [longName, 'GENERIC_SECRET', 'imported'],
      ['HUGE_SECRET', 'HUGE_SECRET', 'refused'],
      ['API_TOKEN', 'API_TOKEN', 'imported'],
    ]);
    expect(outcomes[1]!.reason).toMatch(/^app\/env-[0-9a-f]{8} cannot take it: Value is larger than 64 KiB\.$/);
    expect(outcomes[1]!.reason).not.toContain(huge.slice(0, 16));
    const ref = `app/${(outcomes[0]!.target as { name: string }).name}`;
    expect(stored(v, ref)).toEqual({ GENERIC_SECRET: named, API_TOKEN: kept });
  });

  it("a file whose values together pass a profile's 1 MiB: the values that fit are stored, the next refused", async () => {
    const v = await vault();
    const h = home();
    const lines = Array.from({ length: 20 }, (_, i) => `TOKEN_${i}=${randomChars(60 * 1024)}\n`).join('');
    const file = h.write('code/app/.env', lines);
    const { outcomes } = importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings);
    const imported = outcomes.filter((o) => o.result === 'imported').length;
    expect(imported).toBeGreaterThan(10);
    expect(imported).toBeLessThan(20);
    expect(outcomes.slice(imported).every((o) => o.result === 'refused' && /A profile's values may total at most 1 MiB\.$/.test(o.reason ?? ''))).toBe(true);
  });
});
