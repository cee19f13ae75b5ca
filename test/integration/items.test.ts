import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { Vault } from '../../src/core/vault/vault';
import { ItemVersion, LIMITS } from '../../src/shared/domain';
import { newVault, PASSWORD } from '../helpers/vault';
import { refusal, useCleanups } from '../helpers/cleanup';

const cleanups = useCleanups();
async function setup() {
  const v = await newVault();
  cleanups.push(v.cleanup);
  return v;
}
const ANTHROPIC = 'sk-ant-api03-' + 'a'.repeat(40) + 'Zz09';

describe('profiles', () => {
  it('creates, lists with search, shows masked or revealed, edits, and deletes', async () => {
    const { vault } = await setup();
    const p = vault.profiles.create({ agentId: 'crm-bot', name: 'prod', authData: { USERNAME: 'ann', PASSWORD: 'pw1' }, saveSession: true });
    vault.profiles.create({ agentId: 'mail-bot', name: 'staging', authData: { TOKEN: 't' }, draft: true });
    expect(p.syncState).toBe('pending');
    expect(vault.profiles.list().map((x) => `${x.agentId}/${x.name}`)).toEqual(['crm-bot/prod', 'mail-bot/staging']);
    expect(vault.profiles.list({ search: 'MAIL' }).map((x) => x.name)).toEqual(['staging']);
    expect(vault.profiles.list({ search: 'password' }).map((x) => x.name)).toEqual(['prod']);
    expect(vault.profiles.list({ search: 'pw1' })).toEqual([]); // values are never searchable

    const masked = vault.profiles.get('crm-bot/prod');
    expect(masked.authData).toEqual({ USERNAME: null, PASSWORD: null });
    expect(vault.profiles.get(p.id.slice(0, 8), { reveal: true }).authData).toEqual({ USERNAME: 'ann', PASSWORD: 'pw1' });
    expect(vault.audit.list({ event: 'secret_revealed' })).toHaveLength(1);

    const edited = vault.profiles.edit('crm-bot/prod', { set: { PASSWORD: 'pw2', OTP: '123' }, unset: ['USERNAME'], saveSession: false });
    expect(edited.keys.sort()).toEqual(['OTP', 'PASSWORD']);
    expect(edited.version).toBe(2);
    expect(edited.saveSession).toBe(false);

    const removed = vault.profiles.remove(p.id);
    expect(removed.id).toBe(p.id);
    expect(refusal(() => vault.profiles.get('crm-bot/prod'))?.code).toBe('NotFound');
    // Deleting moves it to the trash: its history stays until it is purged.
    const db = new Database(dbPath(vault.dir));
    const versions = () => db.prepare('SELECT count(*) n FROM profile_versions WHERE item_id = ?').get(p.id);
    expect(versions()).toEqual({ n: 2 });
    vault.trash.purge(p.id);
    expect(versions()).toEqual({ n: 0 });
    db.close();
  });

  it('keeps every version in history and restores one as a new version', async () => {
    const { vault } = await setup();
    vault.profiles.create({ agentId: 'a', name: 'p', authData: { K: 'v1' } });
    vault.profiles.edit('a/p', { set: { K: 'v2' } });
    vault.profiles.edit('a/p', { set: { K: 'v3', L: 'x' } });
    const history = vault.profiles.history('a/p');
    expect(history.map((h) => [h.version, h.reason])).toEqual([
      [3, 'edit'],
      [2, 'edit'],
      [1, 'create'],
    ]);
    const restored = vault.profiles.restore('a/p', 1);
    expect(restored.version).toBe(4);
    expect(vault.profiles.get('a/p', { reveal: true }).authData).toEqual({ K: 'v1' });
    expect(vault.profiles.history('a/p')[0]?.reason).toBe('restore');
    expect(refusal(() => vault.profiles.restore('a/p', 99))?.code).toBe('NotFound');
  });

  it('keeps where an imported version came from, encrypted, and still reads versions written before sources existed', async () => {
    const { vault } = await setup();
    const SOURCE = '/home/ann/proj/.env:2 (TOKEN)';
    const created = vault.profiles.create({ agentId: 'a', name: 'p', authData: { K: 'v1' } });
    vault.profiles.edit('a/p', { set: { TOKEN: 't' } }, { reason: 'import', source: SOURCE });
    vault.byok.set({ kind: 'claude-code', provider: 'anthropic', apiKey: ANTHROPIC }, 'import', 'bundle team.age, unsigned');
    // Version 1 rewritten as every version was before sources existed: a body of item id and snapshot only.
    const db = new Database(dbPath(vault.dir));
    const v1 = db.prepare('SELECT id FROM profile_versions WHERE item_id = ? AND version = 1').get(created.id) as { id: string };
    const oldBody = vault.cells().encrypt('profile_versions', v1.id, 'body', {
      itemId: created.id,
      snapshot: { agentId: 'a', name: 'p', authData: { K: 'v1' }, saveSession: false },
    });
    db.prepare('UPDATE profile_versions SET body = ? WHERE id = ?').run(oldBody, v1.id);
    // The source is in the encrypted body, nowhere in the file as plaintext.
    const bodies = db.prepare('SELECT body FROM profile_versions UNION ALL SELECT body FROM byok_versions').all() as { body: Buffer }[];
    expect(bodies.some((b) => b.body.includes(Buffer.from('/home/ann')) || b.body.includes(Buffer.from('team.age')))).toBe(false);
    db.close();
    const history = vault.profiles.history('a/p');
    expect(history.map((h) => [h.version, h.reason, h.source])).toEqual([
      [2, 'import', SOURCE],
      [1, 'create', undefined],
    ]);
    expect('source' in (history[1] as object)).toBe(false);
    expect(history.every((h) => ItemVersion.safeParse(h).success)).toBe(true);
    expect(vault.byok.history('claude-code')[0]?.source).toBe('bundle team.age, unsigned');
    // A restore of the old version works, and an edit records no source.
    vault.profiles.restore('a/p', 1);
    expect(vault.profiles.history('a/p')[0]).not.toHaveProperty('source');
  });

  it('refuses bad input with a specific error and changes nothing', async () => {
    const { vault } = await setup();
    vault.agents.set({ agentId: 'declared', args: ['USER', 'PASS'] });
    vault.profiles.create({ agentId: 'declared', name: 'taken', authData: { USER: 'u' } });
    const before = vault.profiles.list();
    const auditBefore = vault.audit.list().length;

    const cases: [string, () => unknown, string, RegExp][] = [
      ['empty name', () => vault.profiles.create({ agentId: 'a', name: '', authData: {} }), 'BadInput', /may not be empty/],
      ['blank name', () => vault.profiles.create({ agentId: 'a', name: '   ', authData: {} }), 'BadInput', /may not be empty/],
      ['duplicate', () => vault.profiles.create({ agentId: 'declared', name: 'taken', authData: {} }), 'Conflict', /already exists/],
      ['undeclared key', () => vault.profiles.create({ agentId: 'declared', name: 'n', authData: { USER: 'u', EVIL: 'x' } }), 'UndeclaredKey', /"EVIL"/],
      [
        'oversized value',
        () => vault.profiles.create({ agentId: 'a', name: 'big', authData: { K: 'x'.repeat(LIMITS.valueBytes + 1) } }),
        'BadInput',
        /larger than 64 KiB/,
      ],
      [
        'too many keys',
        () =>
          vault.profiles.create({
            agentId: 'a',
            name: 'many',
            authData: Object.fromEntries(Array.from({ length: LIMITS.keysPerProfile + 1 }, (_, i) => [`K${i}`, 'v'])),
          }),
        'BadInput',
        /at most 200 keys/,
      ],
      ['lone surrogate', () => vault.profiles.create({ agentId: 'a', name: 'bad\ud800', authData: {} }), 'BadInput', /not valid Unicode/],
      ['control char in key', () => vault.profiles.create({ agentId: 'a', name: 'c', authData: { 'A\nB': 'v' } }), 'BadInput', /control characters/],
      [
        'rename onto existing',
        () => vault.profiles.edit('declared/taken', { agentId: 'declared', name: 'taken', set: { NOPE: '1' } }),
        'UndeclaredKey',
        /"NOPE"/,
      ],
      ['unset missing key', () => vault.profiles.edit('declared/taken', { unset: ['PASS'] }), 'BadInput', /no key "PASS"/],
      ['unknown ref', () => vault.profiles.edit('nobody/none', { set: { A: 'b' } }), 'NotFound', /No profile/],
    ];
    for (const [label, fn, expectedCode, message] of cases) {
      const e = refusal(fn as () => unknown);
      expect(e?.code, label).toBe(expectedCode);
      expect(e?.message, label).toMatch(message);
    }
    // Secrets are never echoed back in errors.
    expect(refusal(() => vault.profiles.create({ agentId: 'a', name: 'big', authData: { K: 'SECRETVALUE'.repeat(7000) } }))?.message).not.toContain(
      'SECRETVALUE',
    );
    expect(vault.profiles.list()).toEqual(before);
    expect(vault.audit.list().length).toBe(auditBefore);
  });

  it('asks for confirmation before renaming a synced profile, then drops its token', async () => {
    const { vault } = await setup();
    const p = vault.profiles.create({ agentId: 'a', name: 'old', authData: { K: 'v' } });
    const loaded = vault.profiles.load(p.id);
    vault.profiles.recordSync(
      loaded.summary,
      { ...loaded.meta, hasToken: true, lastSyncType: 'create' },
      { authToken: 'tok', agentId: 'a', name: 'old' },
      'synced',
    );
    // The refusal points at the missing confirmation, which is how the window and the CLI know to ask for it.
    expect(refusal(() => vault.profiles.edit('a/old', { name: 'new' }))).toMatchObject({
      code: 'Conflict',
      field: 'confirmNewRemote',
      message: expect.stringMatching(/creates a new remote profile/),
    });
    expect(vault.profiles.get('a/old').hasToken).toBe(true);
    const renamed = vault.profiles.edit('a/old', { name: 'new' }, { confirmNewRemote: true });
    expect(renamed.hasToken).toBe(false);
    expect(renamed.syncState).toBe('pending');
    expect(vault.profiles.load(p.id).remote).toBeNull();
  });

  it('drafts stay out of the outbox until made ready; edits coalesce into one outbox row', async () => {
    const { vault } = await setup();
    const p = vault.profiles.create({ agentId: 'a', name: 'd', authData: { K: 'v' }, draft: true });
    const outbox = () => vault.db.prepare('SELECT item_id FROM outbox').all() as { item_id: string }[];
    expect(outbox()).toEqual([]);
    vault.profiles.edit('a/d', { set: { K: 'v2' } });
    expect(vault.profiles.get('a/d').syncState).toBe('draft');
    vault.profiles.ready('a/d');
    vault.profiles.edit('a/d', { set: { K: 'v3' } });
    vault.profiles.edit('a/d', { set: { K: 'v4' } });
    expect(outbox()).toEqual([{ item_id: p.id }]);
    expect(vault.profiles.get('a/d').syncState).toBe('pending');
  });
});

describe('BYOK keys', () => {
  it('sets, rotates keeping history, reveals with audit, and deletes', async () => {
    const { vault } = await setup();
    const first = vault.byok.set({ kind: 'claude-code', apiKey: ANTHROPIC });
    expect(first.keyHint).toBe('sk-ant-…Zz09');
    expect(first.provider).toBe('anthropic');
    const rotated = vault.byok.set({ kind: 'claude-code', apiKey: ANTHROPIC.replace('Zz09', 'Yy18') });
    expect(rotated.id).toBe(first.id);
    expect(rotated.keyHint).toBe('sk-ant-…Yy18');
    expect(vault.byok.history('claude-code').map((h) => h.summary)).toEqual(['anthropic sk-ant-…Yy18', 'anthropic sk-ant-…Zz09']);
    expect(vault.byok.get('claude-code').apiKey).toBeNull();
    expect(vault.byok.get('claude-code', { reveal: true }).apiKey).toBe(ANTHROPIC.replace('Zz09', 'Yy18'));
    vault.byok.restore('claude-code', 1);
    expect(vault.byok.get('claude-code', { reveal: true }).apiKey).toBe(ANTHROPIC);
    vault.byok.remove('claude-code');
    expect(vault.byok.list()).toEqual([]);
  });

  it('refuses malformed keys without echoing them', async () => {
    const { vault } = await setup();
    for (const [apiKey, message] of [
      ['', /may not be empty/],
      ['sk-ant-has space in it-aaaaaaaaaaaa', /spaces/],
      ['sk-live-notanthropic-aaaaaaaaaaaaaaa', /start with "sk-ant-"/],
      ['sk-ant-short', /too short/],
    ] as const) {
      const e = refusal(() => vault.byok.set({ kind: 'k', apiKey }));
      expect(e?.code).toBe('BadInput');
      expect(e?.message).toMatch(message);
      if (apiKey) expect(e?.message).not.toContain(apiKey);
    }
    expect(vault.byok.list()).toEqual([]);
  });
});

describe('remotes and agents', () => {
  it('keeps one Kura and one Backside connection, credentials never listed', async () => {
    const { vault } = await setup();
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example/', credential: 'kura-api-key-123' });
    vault.remotes.set({ kind: 'backside', url: 'https://api.backside.example', credential: 'bearer-xyz' });
    // Another path on the same server keeps the saved credential; another server needs it again.
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example/v2' });
    expect(refusal(() => vault.remotes.set({ kind: 'kura', url: 'https://kura2.example' }))).toMatchObject({ code: 'BadInput', field: 'credential' });
    const list = vault.remotes.list();
    expect(list.map((r) => [r.kind, r.url, r.hasCredential])).toEqual([
      ['backside', 'https://api.backside.example', true],
      ['kura', 'https://kura.example/v2', true],
    ]);
    expect(JSON.stringify(list)).not.toContain('kura-api-key-123');
    expect(vault.remotes.connection('kura')?.credential).toBe('kura-api-key-123');
    expect(refusal(() => vault.remotes.set({ kind: 'kura', url: 'ftp://x' }))?.code).toBe('BadInput');
  });

  it('credential change lifts a pause', async () => {
    const { vault } = await setup();
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example', credential: 'a-key' });
    vault.remotes.pause('kura', 'credentials rejected (401)');
    expect(vault.remotes.list()[0]).toMatchObject({ paused: true, pausedReason: 'credentials rejected (401)' });
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example' });
    expect(vault.remotes.list()[0]?.paused).toBe(true);
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example', credential: 'b-key' });
    expect(vault.remotes.list()[0]).toMatchObject({ paused: false, pausedReason: null });
  });

  it('agent declarations survive lock and unlock', async () => {
    const { vault } = await setup();
    vault.agents.set({ agentId: 'bot', args: ['A', 'B', 'A'] });
    vault.lock();
    await vault.unlock(PASSWORD);
    expect(vault.agents.list()).toMatchObject([{ agentId: 'bot', args: ['A', 'B'] }]);
  });
});

describe('audit log', () => {
  it('records security events and folds failed unlocks recorded while locked into the chain', async () => {
    const { vault, dir } = await setup();
    vault.profiles.create({ agentId: 'a', name: 'p', authData: { K: 'v' } });
    vault.close();
    const v = Vault.open(dir);
    await expect(v.unlock('wrong password 1')).rejects.toMatchObject({ code: 'WrongPassword' });
    await v.unlock(PASSWORD);
    const events = v.audit.list().map((e) => e.event);
    expect(events.slice(0, 2)).toEqual(['unlock_ok', 'unlock_failed']);
    expect(events).toContain('vault_created');
    expect(events).toContain('item_created');
    expect(v.audit.verify()).toEqual({ ok: true, entries: events.length, problem: null });
    // Removing the newest entries is caught by the chain head kept in vault_meta.
    v.db.prepare('DELETE FROM audit_log WHERE seq > ?').run(events.length - 2);
    expect(v.audit.verify().problem).toMatch(/newer entries were removed/);
    v.close();
  });

  it('detects an edited, a removed, a reordered and a truncated entry', async () => {
    const scenarios: [string, (db: Database.Database) => void, RegExp][] = [
      [
        'edited',
        (db) => {
          const row = db.prepare('SELECT seq, detail FROM audit_log WHERE seq = 2').get() as { seq: number; detail: Buffer };
          const d = Buffer.from(row.detail);
          d[14] = (d[14] as number) ^ 1;
          db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 2').run(d);
        },
        /entry 2 was altered/,
      ],
      ['event renamed', (db) => db.prepare("UPDATE audit_log SET event = 'unlock_ok' WHERE seq = 3").run(), /entry 3 was altered/],
      ['removed', (db) => db.prepare('DELETE FROM audit_log WHERE seq = 2').run(), /entry 2 is missing/],
      // Unlocking appends an entry after one that records the head no longer matched the log.
      ['newest removed', (db) => db.prepare('DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)').run(), /head was found missing or damaged/],
    ];
    for (const [label, tamper, problem] of scenarios) {
      const { vault, dir } = await setup();
      vault.profiles.create({ agentId: 'a', name: 'p', authData: { K: 'v' } });
      vault.profiles.edit('a/p', { set: { K: 'w' } });
      vault.close();
      const db = new Database(dbPath(dir));
      tamper(db);
      db.close();
      const v = Vault.open(dir);
      await v.unlock(PASSWORD);
      const result = v.audit.verify();
      expect(result.ok, label).toBe(false);
      expect(result.problem, label).toMatch(problem);
      v.close();
    }
  });
});
