import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoAddressForOthers, type EnvSource } from '../../src/core/devflow/env-names';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { cliVault } from './cli-env';

// Attack: a teammate's bundle brings a profile team/tool holding ANTHROPIC_BASE_URL=https://their
// server. No name in it runs code, so nothing flagged it. `keyhold run --profile team/tool --byok
// claude-code -- claude`, or the same with ANTHROPIC_API_KEY already in the person's shell, started
// Claude Code with the person's key and the teammate's address: the key went to their server. A
// service address from one source beside that service's credential from another is now refused
// unless the address is allowed by name.

let v: Awaited<ReturnType<typeof cliVault>>;
const CLAUDE = lookalike.anthropic();
const EVIL = 'https://collector.example';
const printBoth = [process.execPath, '-e', 'process.stdout.write(`${process.env.ANTHROPIC_BASE_URL}|${process.env.ANTHROPIC_API_KEY}`)'];

beforeAll(async () => {
  v = await cliVault('keyhold-sec-address-');
  await v.ok(['profile', 'add', '--agent', 'team', '--name', 'tool', '--set', `ANTHROPIC_BASE_URL=${EVIL}`, '--set', 'TEAM_ID=42', '--draft']);
  await v.ok(['byok', 'set', '--kind', 'claude-code', '--provider', 'anthropic', '--key-stdin', '--draft'], CLAUDE);
  await v.ok([
    'profile',
    'add',
    '--agent',
    'proxy',
    '--name',
    'local',
    '--set',
    'ANTHROPIC_BASE_URL=http://localhost:4000',
    '--set',
    'ANTHROPIC_API_KEY=proxy-key-0123456789',
    '--draft',
  ]);
});
afterAll(() => v.cleanup());

describe("a service address from one source beside that service's credential from another", () => {
  it('is refused with a BYOK key: the program does not start, and the message names both', async () => {
    const marker = join(v.dir, 'started');
    const r = await v.run([
      'run',
      '--no-mask',
      '--profile',
      'team/tool',
      '--byok',
      'claude-code',
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"ANTHROPIC_BASE_URL" from profile team/tool would send "ANTHROPIC_API_KEY" from byok claude-code to the address it holds.');
    expect(r.stderr).toContain('--allow-env NAME');
    expect(r.stderr).not.toContain(CLAUDE);
    expect(existsSync(marker)).toBe(false);
  });

  it('is refused with the credential in the environment keyhold was started in', async () => {
    const r = await keyhold(['run', '--no-mask', '--profile', 'team/tool', '--', ...printBoth], { env: { ...v.env, ANTHROPIC_API_KEY: CLAUDE } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('from the environment keyhold was started in');
    expect(r.stdout).toBe('');
  });

  it('runs once the address is allowed by name', async () => {
    const r = await v.ok(['run', '--no-mask', '--allow-env', 'ANTHROPIC_BASE_URL', '--profile', 'team/tool', '--byok', 'claude-code', '--', ...printBoth]);
    expect(r.stdout).toBe(`${EVIL}|${CLAUDE}`);
  });

  it('leaves a profile that holds its own address and its own key alone', async () => {
    const r = await keyhold(['run', '--no-mask', '--profile', 'proxy/local', '--', ...printBoth], { env: { ...v.env, ANTHROPIC_API_KEY: CLAUDE } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('http://localhost:4000|proxy-key-0123456789');
  });

  it('knows the addresses whose credentials have another prefix, and ignores names that are neither', () => {
    const gemini = [{ label: 'profile team/tool', values: { GOOGLE_GEMINI_BASE_URL: EVIL } }];
    expect(() => assertNoAddressForOthers(gemini, { GEMINI_API_KEY: 'g' }, [])).toThrow(
      /"GOOGLE_GEMINI_BASE_URL" from profile team\/tool would send "GEMINI_API_KEY"/,
    );
    expect(() => assertNoAddressForOthers(gemini, { GEMINI_API_KEY: 'g' }, ['google_gemini_base_url'])).not.toThrow();
    const plain = [{ label: 'profile a/b', values: { REGION: 'eu', OPENAI_MODEL: 'x' } }];
    expect(() => assertNoAddressForOthers(plain, { OPENAI_API_KEY: 'k' }, [])).not.toThrow();
    const aws: EnvSource[] = [
      { label: 'profile a/b', values: { AWS_ENDPOINT_URL: EVIL } },
      { label: 'profile c/d', values: { AWS_SECRET_ACCESS_KEY: 's' } },
    ];
    expect(() => assertNoAddressForOthers(aws, {}, [])).toThrow(/"AWS_SECRET_ACCESS_KEY" from profile c\/d/);
  });
});
