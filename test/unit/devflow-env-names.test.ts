import { describe, expect, it } from 'vitest';
import { assertEnvName, buildChildEnv, isEnvName, mergeEnv, type EnvSource } from '../../src/core/devflow/env-names';
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
