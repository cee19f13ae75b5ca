import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthReport } from '../../src/core/health';
import { newVault } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const KEY = (tail: string) => `sk-ant-api03-${'h'.repeat(30)}${tail}`;

const cleanups = useCleanups();

async function vaultAt() {
  const clock = { now: T0 };
  const v = await newVault({ now: () => clock.now });
  cleanups.push(v.cleanup);
  return { vault: v.vault, clock };
}

describe('healthReport', () => {
  it('finds nothing in a fresh, tidy vault', async () => {
    const { vault } = await vaultAt();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0001') });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 + DAY })).toEqual([]);
  });

  it('flags a vault whose files other users can open, or whose folder they can write to, until it is private again', async () => {
    const { vault } = await vaultAt();
    const file = join(vault.dir, 'vault.sqlite');
    chmodSync(file, 0o644);
    const [finding, ...rest] = healthReport(vault, { keyMaxAgeDays: 90, now: T0 });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'problem', rule: 'vault-files-open', kind: 'vault', ref: vault.dir });
    expect(finding?.message).toBe(
      `Other users of this computer can open ${file} (mode 644), so they could try passwords against the vault offline. Make the vault's folder and files readable by you only (chmod go-rwx).`,
    );
    chmodSync(file, 0o600);
    chmodSync(vault.dir, 0o777);
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 }).map((f) => f.message)).toEqual([
      expect.stringContaining(`can write to ${vault.dir} (mode 777)`),
    ]);
    chmodSync(vault.dir, 0o700);
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 })).toEqual([]);
  });

  it('flags BYOK keys older than the limit, by the date of their current version', async () => {
    const { vault, clock } = await vaultAt();
    const old = vault.byok.set({ kind: 'claude-code', apiKey: KEY('0001') });
    vault.byok.set({ kind: 'researcher', apiKey: KEY('0002') });
    clock.now = T0 + 60 * DAY;
    vault.byok.set({ kind: 'researcher', apiKey: KEY('0003') });

    const findings = healthReport(vault, { keyMaxAgeDays: 90, now: T0 + 91 * DAY });
    expect(findings).toEqual([
      {
        severity: 'warning',
        rule: 'old-key',
        kind: 'byok',
        id: old.id,
        ref: 'claude-code',
        message: 'This key was last changed 91 days ago (the limit is 90). Consider rotating it.',
      },
    ]);
    expect(healthReport(vault, { keyMaxAgeDays: 30, now: T0 + 91 * DAY }).map((f) => f.ref)).toEqual(['claude-code', 'researcher']);
  });

  it('flags the same key used for several kinds, without ever showing it', async () => {
    const { vault } = await vaultAt();
    const shared = KEY('dupe');
    vault.byok.set({ kind: 'claude-code', apiKey: shared });
    vault.byok.set({ kind: 'researcher', apiKey: shared });
    vault.byok.set({ kind: 'other', apiKey: KEY('0004') });
    const findings = healthReport(vault, { keyMaxAgeDays: 90, now: T0 });
    expect(findings.map((f) => [f.rule, f.ref])).toEqual([
      ['reused-key', 'claude-code'],
      ['reused-key', 'researcher'],
    ]);
    expect(findings[0]?.message).toMatch(/also used for "researcher"/);
    expect(JSON.stringify(findings)).not.toContain(shared);
    expect(JSON.stringify(findings)).not.toContain('dupe');
  });

  it('flags profiles whose keys the agent, declared later, does not accept', async () => {
    const { vault } = await vaultAt();
    const p = vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann', TOKEN: 'secret-value' } });
    vault.profiles.create({ agentId: 'crm', name: 'ok', authData: { USER: 'bob' } });
    vault.agents.set({ agentId: 'crm', args: ['USER'] });
    const findings = healthReport(vault, { keyMaxAgeDays: 90, now: T0 });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'problem', rule: 'undeclared-keys', kind: 'profile', id: p.id, ref: 'crm/prod' });
    expect(findings[0]?.message).toMatch(/does not declare "TOKEN"/);
    expect(findings[0]?.message).not.toContain('secret-value');
  });

  it('flags drafts that were never synced once they are a week old', async () => {
    const { vault } = await vaultAt();
    vault.profiles.create({ agentId: 'crm', name: 'draft', authData: { USER: 'ann' }, draft: true });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0005'), draft: true });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 + 6 * DAY })).toEqual([]);
    const findings = healthReport(vault, { keyMaxAgeDays: 90, now: T0 + 8 * DAY });
    expect(findings.map((f) => [f.rule, f.ref, f.severity])).toEqual([
      ['stale-draft', 'claude-code', 'warning'],
      ['stale-draft', 'crm/draft', 'warning'],
    ]);
    expect(findings[0]?.message).toMatch(/8 days/);
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 + 8 * DAY, staleDraftDays: 30 })).toEqual([]);
  });

  it('judges a BYOK key by its last probe, never by its status word', async () => {
    const { vault } = await vaultAt();
    const active = vault.byok.set({ kind: 'claude-code', apiKey: KEY('0011') });
    const meta = (id: string) => vault.byok.load(id).meta;
    vault.byok.recordSync(
      active.id,
      { ...meta(active.id), lastSyncType: 'create', remoteRow: { byok_status: 'active' }, lastProbe: { ok: true, at: T0, message: null } },
      'synced',
    );
    const odd = vault.byok.set({ kind: 'researcher', apiKey: KEY('0012') });
    vault.byok.recordSync(odd.id, { ...meta(odd.id), remoteRow: { byok_status: 'invalid' }, lastProbe: { ok: true, at: T0, message: null } }, 'synced');
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 })).toEqual([]);
    expect(vault.byok.get('claude-code').lastProbe).toEqual({ ok: true, at: new Date(T0).toISOString(), message: null });
    expect(vault.byok.list().map((k) => [k.kind, k.remote?.byok_status, k.probeHealth])).toEqual([
      ['claude-code', 'active', 'healthy'],
      ['researcher', 'invalid', 'healthy'],
    ]);
    // A rotated key has not been probed yet: neither healthy nor failing.
    expect(vault.byok.set({ kind: 'claude-code', apiKey: KEY('0013') }).probeHealth).toBe('unchecked');

    vault.byok.recordProbe(odd.id, { ok: false, at: T0, message: 'Backside refused the key (HTTP 422): revoked' });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 })).toMatchObject([
      { rule: 'failed-probe', ref: 'researcher', message: "Backside's last check of this key failed: Backside refused the key (HTTP 422): revoked" },
    ]);
    expect(vault.byok.get('researcher').probeHealth).toBe('failing');
  });

  it('never flags a local-only key as a stale draft', async () => {
    const { vault } = await vaultAt();
    const k = vault.byok.set({ kind: 'writer', provider: 'openai', apiKey: `sk-proj-${'o'.repeat(30)}` });
    expect(k).toMatchObject({ localOnly: true, syncState: 'draft', probeHealth: 'local-only' });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: T0 + 30 * DAY })).toEqual([]);
  });

  it('flags failed items with their reason, keys Backside reported as bad, and paused connections', async () => {
    const { vault } = await vaultAt();
    const p = vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    const loaded = vault.profiles.load(p.id);
    vault.profiles.recordSync(loaded.summary, { ...loaded.meta, lastError: 'Kura rejected the request (HTTP 400): bad keys' }, loaded.remote, 'failed');

    const b = vault.byok.set({ kind: 'claude-code', apiKey: KEY('0006') });
    const meta = vault.byok.load(b.id).meta;
    vault.byok.recordSync(
      b.id,
      {
        ...meta,
        lastSyncType: 'create',
        remoteRow: { agent_kind: 'claude-code', byok_status: 'active', byok_status_reason: 'key revoked' },
        lastProbe: { ok: false, at: T0, message: 'key revoked' },
      },
      'synced',
    );
    const good = vault.byok.set({ kind: 'researcher', apiKey: KEY('0007') });
    vault.byok.recordSync(good.id, { ...vault.byok.load(good.id).meta, remoteRow: { byok_status: 'valid' } }, 'synced');

    vault.remotes.set({ kind: 'kura', url: 'https://kura.example', credential: 'kura-key-123456' });
    vault.remotes.pause('kura', 'credentials rejected (HTTP 401)');
    vault.remotes.set({ kind: 'backside', url: 'https://backside.example', credential: 'token-123456' });

    const findings = healthReport(vault, { keyMaxAgeDays: 90, now: T0 });
    expect(findings.map((f) => [f.severity, f.rule, f.kind, f.ref])).toEqual([
      ['problem', 'failed-probe', 'byok', 'claude-code'],
      ['problem', 'remote-paused', 'remote', 'Kura'],
      ['problem', 'sync-failed', 'profile', 'crm/prod'],
    ]);
    expect(findings[0]?.message).toBe("Backside's last check of this key failed: key revoked");
    expect(findings[1]).toMatchObject({ id: 'kura', message: expect.stringMatching(/credentials rejected \(HTTP 401\)/) });
    expect(findings[2]?.message).toBe('Sync failed: Kura rejected the request (HTTP 400): bad keys');
    expect(JSON.stringify(findings)).not.toMatch(/kura-key-123456|token-123456|sk-ant/);
  });
});
