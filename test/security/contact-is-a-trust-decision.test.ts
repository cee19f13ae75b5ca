import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// A contact with a signing key makes that signer's bundles import without --trust-signer: as much a
// trust decision as trusting a keyhold.toml, which is audited. Adding or removing one left no trace
// in `keyhold log` (found by an audit).

let v: Awaited<ReturnType<typeof cliVault>>;
let other: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-contact-');
  other = await cliVault('keyhold-sec-contact-other-');
});
afterAll(() => {
  v.cleanup();
  other.cleanup();
});

type Entry = { event: string; detail: Record<string, unknown> };

describe('contacts in the audit log', () => {
  it('adding one (and whether its key signs) and removing it are each an entry', async () => {
    const id = (await other.ok(['identity', '--json'])).json<{ recipient: string; signingPublicKey: string }>();
    await v.ok(['contact', 'add', 'ann', id.recipient, '--signing-key', id.signingPublicKey]);
    await v.ok(['contact', 'rm', 'ann']);
    const log = (await v.ok(['log', '--json'])).json<{ entries: Entry[] }>().entries.filter((e) => e.event === 'contact_changed');
    // Newest first.
    expect(log.map((e) => e.detail)).toEqual([
      { id: expect.any(String), removed: true },
      { id: expect.any(String), signs: true },
    ]);
    expect(JSON.stringify(log)).not.toContain(id.recipient);
    expect((await v.ok(['log', '--verify'])).code).toBe(0);
  });
});
