import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryFindings, healthReport } from '../../src/core/health';
import { keyholdProcessAsync } from '../helpers/cli';
import { cliVaultWithServers, KEY, type servers } from '../helpers/sync';
import { newVault, PASSWORD } from '../helpers/vault';

const DAY = 24 * 60 * 60 * 1000;

describe('BYOK expiry and rotation period', () => {
  it('warns ahead of the expiry and the rotation date, and calls a past one a problem', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { vault, cleanup } = await newVault({ now: () => now });
    try {
      vault.byok.set({ kind: 'claude-code', provider: 'anthropic', apiKey: KEY('a1') });
      expect(expiryFindings(vault, now)).toEqual([]);
      vault.byok.setExpiry('claude-code', { expiresAt: now + 30 * DAY, rotateDays: 90 });
      expect(vault.byok.get('claude-code')).toMatchObject({ expiresAt: '2026-01-31T00:00:00.000Z', rotateDays: 90, version: 1 });
      expect(expiryFindings(vault, now)).toEqual([]);
      expect(expiryFindings(vault, now + 20 * DAY).map((f) => [f.severity, f.message])).toEqual([
        ['warning', 'This key expires on 2026-01-31, in 10 days. Rotate it before then.'],
      ]);
      expect(expiryFindings(vault, now + 31 * DAY)[0]).toMatchObject({ severity: 'problem', rule: 'key-expiry', ref: 'claude-code' });
      expect(healthReport(vault, { keyMaxAgeDays: 365, now: now + 31 * DAY }).some((f) => f.rule === 'key-expiry')).toBe(true);
      expect(expiryFindings(vault, now + 80 * DAY).map((f) => f.message)).toContain(
        'This key is due for rotation on 2026-04-01, in 10 days. Rotate it before then.',
      );

      // A new key clears the expiry date (unknown for the new key) and restarts the rotation period.
      now += 85 * DAY;
      vault.byok.set({ kind: 'claude-code', provider: 'anthropic', apiKey: KEY('b2') });
      expect(vault.byok.get('claude-code').expiresAt).toBeUndefined();
      expect(vault.byok.get('claude-code').rotateDays).toBe(90);
      expect(expiryFindings(vault, now)).toEqual([]);
      expect(vault.byok.history('claude-code').length).toBe(2);
      expect(() => vault.byok.setExpiry('claude-code', { rotateDays: 0 })).toThrow(/whole number of days/);
    } finally {
      cleanup();
    }
  });
});

describe('profile value expiry and rotation period', () => {
  it('follows each value: warns ahead, keeps across other edits and unlocks, restarts when the value changes', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const { vault, cleanup } = await newVault({ now: () => now });
    try {
      vault.profiles.create({ agentId: 'bot', name: 'prod', authData: { TOKEN: 'tok-1234567890', REGION: 'eu' } });
      vault.profiles.setExpiry('bot/prod', 'TOKEN', { expiresAt: now + 10 * DAY, rotateDays: 30 });
      expect(vault.profiles.get('bot/prod').version).toBe(1);
      expect(expiryFindings(vault, now).map((f) => [f.kind, f.ref, f.severity, f.message])).toEqual([
        ['profile', 'bot/prod', 'warning', 'The value of TOKEN expires on 2026-03-11, in 10 days. Rotate it before then.'],
      ]);
      expect(() => vault.profiles.setExpiry('bot/prod', 'NOPE', { rotateDays: 5 })).toThrow(/no key "NOPE"/);

      vault.profiles.edit('bot/prod', { set: { REGION: 'us' } });
      vault.lock();
      await vault.unlock(PASSWORD);
      expect(vault.profiles.get('bot/prod').expiry).toEqual({
        TOKEN: { expiresAt: '2026-03-11T00:00:00.000Z', rotateDays: 30, since: '2026-03-01T00:00:00.000Z' },
      });

      now += 20 * DAY;
      expect(expiryFindings(vault, now).map((f) => f.severity)).toEqual(['problem', 'warning']);
      vault.profiles.edit('bot/prod', { set: { TOKEN: 'tok-new-0987654321' } });
      expect(vault.profiles.get('bot/prod').expiry).toEqual({ TOKEN: { rotateDays: 30, since: '2026-03-21T00:00:00.000Z' } });
      expect(expiryFindings(vault, now)).toEqual([]);
      vault.profiles.setExpiry('bot/prod', 'TOKEN', { rotateDays: null });
      expect(vault.profiles.get('bot/prod').expiry).toBeUndefined();
    } finally {
      cleanup();
    }
  });
});

const run = (args: string[], env: Record<string, string>, input = '') => keyholdProcessAsync(args, { env, input });

describe('keyhold byok rotate', () => {
  let s: Awaited<ReturnType<typeof servers>>;
  let env: Record<string, string>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ s, env, close } = await cliVaultWithServers(run, 'keyhold-rotate-', ['backside']));
    expect((await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], env, KEY('old1'))).code).toBe(0);
  });
  afterAll(() => close());

  it('checks the new key first, refuses a rejected one without storing it, and pushes an accepted one', async () => {
    s.backside.state.denyKeys.add(KEY('bad1'));
    const refused = await run(['byok', 'rotate', 'claude-code', '--key-stdin'], env, KEY('bad1'));
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/revoked/);
    expect((await run(['byok', 'history', 'claude-code', '--json'], env)).stdout).not.toContain('bad1');

    const ok = await run(['byok', 'rotate', 'claude-code', '--key-stdin', '--json'], env, KEY('new1'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: 'claude-code', syncState: 'synced', keyHint: 'sk-ant-…new1' });
    expect(s.backside.state.keys.get('claude-code')).toBe(KEY('new1'));
    const history = JSON.parse((await run(['byok', 'history', 'claude-code', '--json'], env)).stdout) as unknown[];
    expect(history).toHaveLength(2);
  });

  it('byok expiry sets the dates and status warns', async () => {
    const soon = new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10);
    const set = await run(['byok', 'expiry', 'claude-code', '--expires', soon, '--rotate-days', '30'], env);
    expect(set.code, set.stderr).toBe(0);
    const status = await run(['status'], env);
    expect(status.stderr).toMatch(new RegExp(`WARNING byok claude-code: This key expires on ${soon}`));
    expect((await run(['byok', 'expiry', 'claude-code', '--expires', 'tomorrow'], env)).code).toBe(2);
  });
});
