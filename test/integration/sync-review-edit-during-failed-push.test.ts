import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fastEngine, KEY } from '../helpers/sync';
import { newVault } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

// A push is answered for the payload it carried. When the item was edited while that push was in
// flight (here in the same process; the CLI or the window in another), a refusal of the old payload
// says nothing about the new one: the new version must still be pushed, not failed with the old
// reason and dropped from the queue.

const cleanups = useCleanups();

interface Held {
  req: IncomingMessage;
  body: string;
  res: ServerResponse;
}

/** A server that holds every request until the test answers it. */
async function holdingServer(): Promise<{ url: string; next: () => Promise<Held> }> {
  const waiting: Held[] = [];
  const wanted: ((h: Held) => void)[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const h = { req, body, res };
      const w = wanted.shift();
      if (w) w(h);
      else waiting.push(h);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    next: () => {
      const h = waiting.shift();
      return h ? Promise.resolve(h) : new Promise<Held>((resolve) => wanted.push(resolve));
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function setup() {
  const v = await newVault();
  cleanups.push(v.cleanup);
  const server = await holdingServer();
  const engine = fastEngine(v.vault);
  cleanups.push(() => engine.close());
  return { ...v, server, engine };
}

describe('an item edited while its push was refused', () => {
  it('a profile fixed while Kura refused its old values is pushed again, not failed', async () => {
    const { vault, server, engine } = await setup();
    vault.remotes.set({ kind: 'kura', url: server.url, credential: 'kura-key-0123456789' });
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { USER: 'u', TYPO: 'x' } });

    const pass = engine.pass();
    const first = await server.next();
    expect(JSON.parse(first.body)).toMatchObject({ auth_data: { TYPO: 'x' } });
    // The user fixes the profile while Kura is still deciding about the old values.
    vault.profiles.edit('crm/p', { unset: ['TYPO'] });
    json(first.res, 422, { detail: [{ loc: ['body', 'auth_data', 'TYPO'], msg: 'TYPO is not an input argument of this agent' }] });
    await pass;

    const after = vault.profiles.get('crm/p');
    expect(after.syncState).toBe('pending');
    expect(after.lastError ?? '').not.toContain('TYPO');

    const run = engine.syncAll({ timeoutMs: 30_000 });
    const second = await server.next();
    expect(JSON.parse(second.body)).toMatchObject({ auth_data: { USER: 'u' } });
    json(second.res, 200, { auth_token: 'tok-0123456789', name: 'p', type: 'create' });
    const summary = await run;
    expect(summary.failed).toEqual([]);
    expect(vault.profiles.get('crm/p')).toMatchObject({ syncState: 'synced', lastError: null });
  });

  it('a BYOK key replaced while Backside refused the old one is pushed again, not failed', async () => {
    const { vault, server, engine } = await setup();
    vault.remotes.set({ kind: 'backside', url: server.url, credential: 'backside-token-0123456789' });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('old1') });

    const pass = engine.pass();
    const first = await server.next();
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('new2') });
    json(first.res, 400, { detail: 'the provider rejected the key' });
    await pass;

    // Nor is the new key shown as refused by a probe it never had.
    expect(vault.byok.get('claude-code')).toMatchObject({ syncState: 'pending', lastError: null });
    expect(vault.byok.get('claude-code').lastProbe?.ok).not.toBe(false);

    const run = engine.syncAll({ timeoutMs: 30_000 });
    const second = await server.next();
    expect(JSON.parse(second.body)).toEqual({ api_key: KEY('new2') });
    const now = new Date().toISOString();
    json(second.res, 200, {
      agent_kind: 'claude-code',
      byok_status: 'active',
      created_at: now,
      guardrails: null,
      id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      tenant_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      updated_at: now,
    });
    const summary = await run;
    expect(summary.failed).toEqual([]);
    expect(vault.byok.get('claude-code')).toMatchObject({ syncState: 'synced', lastError: null });
  });
});
