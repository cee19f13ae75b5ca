import type { Command } from 'commander';
import { KDF_PRESETS, type KdfParams } from '../../core/crypto/kdf';
import { Vault } from '../../core/vault/vault';
import { KeyholdError } from '../../shared/errors';
import { vaultPath, withVault, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { err, out, printJson, printTable, readNewPassword, readPassword, setExitCode } from '../io';

function kdfFrom(opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string }): KdfParams | undefined {
  const preset = opts.kdf ? KDF_PRESETS[opts.kdf as keyof typeof KDF_PRESETS] : undefined;
  if (opts.kdf && !preset) throw new KeyholdError('BadInput', `--kdf is "standard" or "strong", not "${opts.kdf}".`);
  if (!opts.kdfMemory && !opts.kdfIterations) return preset;
  const base = preset ?? KDF_PRESETS.standard;
  const memoryMiB = opts.kdfMemory === undefined ? base.memoryKiB / 1024 : Number(opts.kdfMemory);
  const iterations = opts.kdfIterations === undefined ? base.iterations : Number(opts.kdfIterations);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 4096) throw new KeyholdError('BadInput', '--kdf-memory is a whole number of MiB from 1 to 4096.');
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 64) throw new KeyholdError('BadInput', '--kdf-iterations is a whole number from 1 to 64.');
  return { ...base, memoryKiB: memoryMiB * 1024, iterations };
}

export function registerVaultCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .option('--kdf <preset>', 'key derivation strength: standard (64 MiB, 3 passes) or strong (256 MiB, 4 passes)')
    .option('--kdf-memory <MiB>', 'Argon2id memory in MiB (lower is faster to unlock and faster to guess)')
    .option('--kdf-iterations <n>', 'Argon2id passes')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string; json?: boolean }) => {
      const dir = vaultPath(globals());
      const kdf = kdfFrom(opts);
      const password = await readNewPassword('KEYHOLD_PASSWORD');
      const vault = await Vault.create(dir, password, kdf ? { kdf } : {});
      const status = vault.status();
      vault.close();
      if (opts.json) printJson(status);
      else {
        out(`Created vault ${status.vaultId} in ${dir}\n`);
        err('Keep your master password safe: it cannot be recovered, and without it the vault cannot be opened.\n');
      }
    });

  program
    .command('passwd')
    .option('--kdf <preset>', 'also change the key derivation strength: standard or strong')
    .option('--kdf-memory <MiB>', 'Argon2id memory in MiB')
    .option('--kdf-iterations <n>', 'Argon2id passes')
    .action(async (opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string }) => {
      const kdf = kdfFrom(opts);
      const vault = Vault.open(vaultPath(globals()));
      try {
        const current = await readPassword('Current master password: ');
        await vault.unlock(current);
        await vault.changePassword(current, await readNewPassword('KEYHOLD_NEW_PASSWORD'), kdf);
      } finally {
        vault.close();
      }
      out('Master password changed.\n');
    });

  program
    .command('log')
    .option('--verify', 'check the hash chain: exits 8 if an entry was altered or removed')
    .option('--limit <n>', 'how many recent entries', '100')
    .option('--json', 'print as JSON')
    .action(async (opts: { verify?: boolean; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new KeyholdError('BadInput', '--limit must be a positive whole number.');
      const result = await withVault(globals(), (vault) => ({
        entries: vault.audit.list({ limit }),
        verify: opts.verify ? vault.audit.verify() : null,
      }));
      if (opts.json) printJson(opts.verify ? result : result.entries);
      else {
        printTable(
          ['SEQ', 'TIME', 'EVENT', 'DETAIL'],
          result.entries.map((e) => [String(e.seq), e.at, e.event, Object.entries(e.detail).map(([k, v]) => `${k}=${String(v)}`).join(' ')]),
        );
        if (result.verify) {
          out(
            result.verify.ok
              ? `Chain verified: ${result.verify.entries} entries, none altered or removed.\n`
              : `CHAIN BROKEN after ${result.verify.entries} good entries: ${result.verify.problem}\n`,
          );
        }
      }
      if (result.verify && !result.verify.ok) setExitCode(EXIT.integrity);
    });
}
