import { describe, expect, it } from 'vitest';
import {
  assertEnvName,
  buildChildEnv,
  dangerousEnvName,
  envNamePart,
  isEnvName,
  keptAllowances,
  mergeEnv,
  type EnvSource,
} from '../../src/core/devflow/env-names';
import { refusal } from '../helpers/cleanup';

describe('environment variable names', () => {
  it('accepts portable names', () => {
    for (const name of ['A', '_', 'OPENAI_API_KEY', 'a1', '_private', 'Path']) expect(isEnvName(name)).toBe(true);
  });

  it('refuses anything else, naming the key', () => {
    for (const name of ['', '1ABC', 'MY-KEY', 'my.key', 'A B', 'CLÉ', 'A=B', 'A\nB']) {
      const error = refusal(() => assertEnvName(name));
      expect(error.code).toBe('BadInput');
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.field).toBe(name);
    }
  });

  it('shortens a very long name in the message', () => {
    const error = refusal(() => assertEnvName(`-${'x'.repeat(500)}`));
    expect(error.message.length).toBeLessThan(250);
  });
});

describe('envNamePart', () => {
  it('spells free text as a valid part of a variable name: accents dropped, compatibility forms spelled out', () => {
    expect(envNamePart('Claude Sonnet')).toBe('CLAUDE_SONNET');
    expect(envNamePart('Café crème')).toBe('CAFE_CREME');
    expect(envNamePart('ﬁle-ßerver')).toBe('FILE_SSERVER');
    expect(envNamePart('x-api-key')).toBe('X_API_KEY');
    expect(envNamePart('--édition--')).toBe('EDITION');
    for (const nothing of ['', '—', '日本', '   ']) expect(envNamePart(nothing)).toBe('');
  });

  it('keeps within the length it is given without ending in "_"', () => {
    expect(envNamePart('my server name', 3)).toBe('MY');
    expect(envNamePart('my server name', 9)).toBe('MY_SERVER');
    expect(envNamePart('a'.repeat(500), 40)).toBe('A'.repeat(40));
    expect(envNamePart('anything', 0)).toBe('');
  });
});

describe('dangerousEnvName', () => {
  it('names what a variable that runs code controls, whatever the case', () => {
    expect(dangerousEnvName('OPENSSL_CONF')).toBe('OpenSSL');
    expect(dangerousEnvName('viminit')).toBe('editors, pagers and prompts');
    expect(dangerousEnvName('https_proxy')).toBe('proxies');
    expect(dangerousEnvName('CARGO_TARGET_AARCH64_APPLE_DARWIN_RUNNER')).toBe('build tools');
    expect(dangerousEnvName('CARGO_REGISTRIES_MY_REG_CREDENTIAL_PROVIDER')).toBe('build tools');
    expect(dangerousEnvName('KEYHOLD_VAULT')).toBe('Keyhold itself');
    expect(dangerousEnvName('Keyhold_Session')).toBe('Keyhold itself');
    // systemctl's pager and editor, curl's FTP proxy, the ansible.cfg that names plugin folders.
    expect(dangerousEnvName('SYSTEMD_PAGER')).toBe('editors, pagers and prompts');
    expect(dangerousEnvName('systemd_editor')).toBe('editors, pagers and prompts');
    expect(dangerousEnvName('ftp_proxy')).toBe('proxies');
    expect(dangerousEnvName('ANSIBLE_CONFIG')).toBe('cloud and container tools');
  });

  it('leaves credentials and names that only tune behaviour alone', () => {
    for (const name of [
      'API_KEY',
      'OPENAI_API_KEY',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'CARGO_REGISTRY_TOKEN',
      'CARGO_REGISTRIES_MY_REG_TOKEN',
      'NPM_TOKEN',
      'GH_TOKEN',
      'DATABASE_URL',
      'KEYHOLD_BYOK_KEY',
      'PYTHONSAFEPATH',
      'GOPROXY',
      'NO_PROXY',
      'MYVIMRC',
      'TMPDIR',
      'PIPELINE_ID',
      'VIMEO_TOKEN',
      'LESSON_KEY',
    ]) {
      expect(dangerousEnvName(name), name).toBeNull();
    }
  });

  it("never keeps an allowance for one of Keyhold's own variables", () => {
    expect(keptAllowances(['KEYHOLD_VAULT', 'NODE_OPTIONS'], ['KEYHOLD_VAULT', 'NODE_OPTIONS'])).toEqual(['NODE_OPTIONS']);
  });
});

describe('buildChildEnv', () => {
  it('merges sources and allows the same value twice', () => {
    expect(
      buildChildEnv([
        { label: 'profile agent-1/default', values: { API_KEY: 'k1', SHARED: 'same' } },
        { label: 'byok openai', values: { OPENAI_API_KEY: 'sk-1', SHARED: 'same' } },
      ]),
    ).toEqual({ API_KEY: 'k1', SHARED: 'same', OPENAI_API_KEY: 'sk-1' });
  });

  it('refuses two sources that disagree, naming both and neither value', () => {
    const error = refusal(() =>
      buildChildEnv([
        { label: 'profile agent-1/default', values: { TOKEN: 'first-secret' } },
        { label: 'profile agent-2/prod', values: { TOKEN: 'second-secret' } },
      ]),
    );
    expect(error.code).toBe('Conflict');
    expect(error.message).toContain('TOKEN');
    expect(error.message).toContain('profile agent-1/default');
    expect(error.message).toContain('profile agent-2/prod');
    expect(error.message).not.toMatch(/first-secret|second-secret/);
  });

  it('treats names as one variable regardless of case on Windows only', () => {
    const sources: EnvSource[] = [
      { label: 'a', values: { Api_Key: 'x' } },
      { label: 'b', values: { API_KEY: 'y' } },
    ];
    expect(buildChildEnv(sources, 'linux')).toEqual({ Api_Key: 'x', API_KEY: 'y' });
    const error = refusal(() => buildChildEnv(sources, 'win32'));
    expect(error.code).toBe('Conflict');
    expect(error.message).toContain('Api_Key (API_KEY)');
  });

  it('refuses bad names and NUL in values without showing the value', () => {
    expect(refusal(() => buildChildEnv([{ label: 'x', values: { 'bad-name': 'v' } }])).code).toBe('BadInput');
    const error = refusal(() => buildChildEnv([{ label: 'x', values: { GOOD: 'abc\u0000secret-tail' } }]));
    expect(error.code).toBe('BadInput');
    expect(error.message).not.toContain('secret-tail');
  });

  it('injects KEYHOLD_BYOK_KEY, the one KEYHOLD_ name Keyhold gives a program itself, and refuses the others', () => {
    expect(buildChildEnv([{ label: 'byok misc', values: { KEYHOLD_BYOK_KEY: 'k' } }])).toEqual({ KEYHOLD_BYOK_KEY: 'k' });
    const error = refusal(() => buildChildEnv([{ label: 'profile a/b', values: { KEYHOLD_SESSION: 'khs_x' } }], 'linux', ['KEYHOLD_SESSION']));
    expect(error.code).toBe('DangerousKey');
    expect(error.field).toBe('KEYHOLD_SESSION');
    expect(error.message).not.toContain('khs_x');
  });

  it('keeps __proto__ as an ordinary variable', () => {
    const env = buildChildEnv([{ label: 'x', values: JSON.parse('{"__proto__":"v"}') as Record<string, string> }]);
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('v');
  });
});

describe('mergeEnv', () => {
  it('lets injected variables win and drops unset base variables', () => {
    expect(mergeEnv({ PATH: '/bin', HOME: undefined, TOKEN: 'old' }, { TOKEN: 'new' }, 'linux')).toEqual({
      PATH: '/bin',
      TOKEN: 'new',
    });
  });

  it('replaces a base variable spelled in another case on Windows', () => {
    expect(mergeEnv({ Path: 'C:\\old' }, { PATH: 'C:\\new' }, 'win32')).toEqual({ PATH: 'C:\\new' });
    expect(mergeEnv({ Path: '/old' }, { PATH: '/new' }, 'linux')).toEqual({ Path: '/old', PATH: '/new' });
  });
});
