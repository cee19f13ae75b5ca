import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportToFile } from '../../src/core/share/exchange';
import { importFile } from '../../src/core/share/import';
import { isKeyholdError } from '../../src/shared/errors';
import { newVault } from '../helpers/vault';

// A tired user's wrong path: a folder (open() succeeds on one, the read then failed with EISDIR and
// reached the person as "Something went wrong inside Keyhold"; an export to one was told to "remove
// it first"), or a device with no end, which was read until memory ran out: its size (0) passed the
// limit check made before reading.

async function refusal(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (e) {
    if (isKeyholdError(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('export to a folder', () => {
  it('is named as one, and nothing is written or audited', async () => {
    const { vault, dir, cleanup } = await newVault();
    try {
      vault.profiles.create({ agentId: 'a', name: 'p', authData: { K: 'v' } });
      const before = vault.audit.list().length;
      const e = await refusal(() => exportToFile(vault, dir, { all: true, target: { passphrase: 'not used at all' } }));
      expect([e.code, e.message]).toEqual(['BadInput', `${dir} is a folder: name the file to write, inside it or elsewhere.`]);
      expect(vault.audit.list()).toHaveLength(before);
    } finally {
      cleanup();
    }
  });
});

describe('import of a path that is not a bundle file', () => {
  it('a folder is named as one', async () => {
    const { vault, dir, cleanup } = await newVault();
    try {
      const folder = join(dir, '..', 'a-folder.age');
      mkdirSync(folder);
      const e = await refusal(() => importFile(vault, folder, { trustSigner: true }));
      expect([e.code, e.message]).toEqual(['BadInput', `${folder} is a folder, not a bundle file.`]);
      expect(vault.profiles.list()).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('a device that never ends is refused at the size limit, not read until memory runs out', async () => {
    const { vault, cleanup } = await newVault();
    try {
      const e = await refusal(() => importFile(vault, '/dev/zero', { trustSigner: true }));
      expect(e.code).toBe('TooLarge');
      expect(e.message).toMatch(/^\/dev\/zero is larger than 96 MiB/);
    } finally {
      cleanup();
    }
  });
});
