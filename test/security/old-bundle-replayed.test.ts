import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptToRecipients } from '../../src/core/share/age';
import { createBundle } from '../../src/core/share/bundle';
import { importFile } from '../../src/core/share/exchange';
import { serializeBundle } from '../../src/core/share/seal';
import { generateSigningKey, signBundle } from '../../src/core/share/signature';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import type { Vault } from '../../src/core/vault/vault';
import { useReceiver } from './hostile-bundle';

// Attack: anyone who ever received a teammate's bundle keeps it. After the teammate rotated a
// leaked password and sent the new bundle, the old one, replayed with --on-conflict overwrite,
// brought the leaked password back; the preview said only "differs". It now says the item changed
// here after the bundle was exported, on the line and in a warning.

const signer = generateSigningKey().privateKey;

async function bundleAt(to: Vault, dir: string, exportedAt: string, password: string, apiKey: string): Promise<string> {
  const signed = signBundle(
    createBundle({
      tokensIncluded: false,
      exportedAt,
      items: {
        profiles: [{ agentId: 'crm', name: 'prod', authData: { PASSWORD: password }, saveSession: false }],
        byokKeys: [{ kind: 'claude-code', provider: 'anthropic', apiKey }],
      },
    }),
    signer,
  );
  const path = join(dir, `bundle-${exportedAt.replace(/[:.]/g, '-')}.age`);
  writeFileSync(path, await encryptToRecipients(serializeBundle(signed), [(await vaultIdentity(to)).recipient]));
  return path;
}

describe('a bundle exported before the items here last changed', () => {
  const bob = useReceiver();

  it('is marked in the preview, line by line and in a warning, when it would overwrite them', async () => {
    const key = (tail: string) => `sk-ant-api03-${'k'.repeat(40)}${tail}`;
    const older = await bundleAt(bob.vault, bob.dir, '2026-01-01T00:00:00.000Z', 'OLD-leaked-password-1', key('OLD'));
    const newer = await bundleAt(bob.vault, bob.dir, new Date(Date.now() - 60_000).toISOString(), 'NEW-rotated-password-2', key('NEW'));
    await importFile(bob.vault, newer, { trustSigner: true });

    const { preview } = await importFile(bob.vault, older, { onConflict: 'overwrite', dryRun: true });
    const note = 'changed here after this bundle was exported: overwriting brings back what it held before';
    expect(preview.profiles[0]).toMatchObject({ action: 'update', note });
    expect(preview.byokKeys[0]).toMatchObject({ action: 'update', note });
    expect(preview.warnings).toContainEqual(
      expect.stringMatching(/^This bundle was exported 2026-01-01T00:00:00\.000Z, before 2 item\(s\) here last changed \(crm\/prod, byok claude-code\)/),
    );

    // The newer bundle again is identical: nothing to say. A bundle newer than the items: no warning.
    expect((await importFile(bob.vault, newer, { onConflict: 'overwrite', dryRun: true })).preview.warnings.join('\n')).not.toMatch(/before .* last changed/);
    const newest = await bundleAt(bob.vault, bob.dir, new Date(Date.now() + 60_000).toISOString(), 'NEWEST-password-3', key('NEWEST'));
    const later = await importFile(bob.vault, newest, { onConflict: 'overwrite', dryRun: true });
    expect(later.preview.profiles[0]).toMatchObject({ action: 'update', note: null });
    expect(later.preview.warnings.join('\n')).not.toMatch(/before .* last changed/);
  });
});
