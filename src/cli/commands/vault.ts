import type { Command } from 'commander';
import { checkKdfFloor, KDF_FLOOR, KDF_PRESETS, type KdfParams } from '../../core/crypto/kdf';
import { exportToFile } from '../../core/share/exchange';
import { refuseExisting } from '../../core/share/export';
import { refuseExistingVault } from '../../core/vault/db';
import { examine, examineLocked } from '../../core/vault/doctor';
import { Vault } from '../../core/vault/vault';
import type { DoctorReport } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { checkNewPassword } from '../../shared/password-strength';
import { sessionToken, unlock, vaultPath, warnIfExposed, withVault, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { wholeNumber } from '../parse';
import {
  cleanField as f,
  currentIo,
  err,
  sayErr,
  printJson,
  printTable,
  promptHidden,
  readNewPassword,
  readPassword,
  readStdinSecret,
  say,
  setExitCode,
} from '../io';

function kdfFrom(opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string }): KdfParams | undefined {
  const preset = opts.kdf ? KDF_PRESETS[opts.kdf as keyof typeof KDF_PRESETS] : undefined;
  if (opts.kdf && !preset) throw new KeyholdError('BadInput', `--kdf is "standard" or "strong", not "${opts.kdf}".`);
  if (!opts.kdfMemory && !opts.kdfIterations) return preset;
  const base = preset ?? KDF_PRESETS.standard;
  const memoryMiB =
    opts.kdfMemory === undefined ? base.memoryKiB / 1024 : wholeNumber(opts.kdfMemory, 1, 4096, '--kdf-memory is a whole number of MiB from 1 to 4096.');
  const iterations =
    opts.kdfIterations === undefined ? base.iterations : wholeNumber(opts.kdfIterations, 1, 64, '--kdf-iterations is a whole number from 1 to 64.');
  const params = { ...base, memoryKiB: memoryMiB * 1024, iterations };
  // Checked before any password is asked for; core checks again where the key is wrapped.
  checkKdfFloor(params, 'input');
  return params;
}

const FLOOR_TEXT = `at least ${KDF_FLOOR.memoryKiB / 1024} MiB and ${KDF_FLOOR.iterations} passes`;

/** A new passphrase for a salvage bundle: piped in, or typed twice on a terminal. */
async function readSalvagePassphrase(): Promise<string> {
  if (!currentIo().stdin.isTTY) return readStdinSecret('The salvage passphrase');
  const noTerminal = 'No terminal to ask for the salvage passphrase: pipe it to standard input.';
  const first = await promptHidden('Passphrase for the salvage file: ', noTerminal);
  if (first !== (await promptHidden('Repeat it: ', noTerminal))) throw new KeyholdError('BadInput', 'The two passphrases differ. Nothing was written.');
  return first;
}

function printDoctor(r: Partial<DoctorReport> & Pick<DoctorReport, 'ok' | 'database' | 'header' | 'files'>): void {
  const lines = [
    `Database:     ${r.database.ok ? 'ok' : f(r.database.problem ?? '')}`,
    `Header:       ${r.header.ok ? 'ok' : f(r.header.problem ?? '')}`,
    `Files:        ${r.files.ok ? 'ok' : f(r.files.problem ?? '')}`,
  ];
  if (r.audit) {
    lines.push(`Audit chain:  ${r.audit.ok ? `ok (${r.audit.entries} entries)` : `BROKEN after ${r.audit.entries} good entries: ${r.audit.problem}`}`);
  }
  if (r.index) {
    lines.push(
      `Index:        ${r.index.snapshot === 'fresh' ? 'saved snapshot matches the rows' : `saved snapshot ${r.index.snapshot}: rebuilt from the rows (it is never trusted over them)`}`,
    );
  }
  if (r.damaged)
    lines.push(
      `Damaged:      ${r.damaged.length === 0 ? 'no damaged cells' : `${r.damaged.length} cell${r.damaged.length === 1 ? '' : 's'} failed the integrity check`}`,
    );
  say(`${lines.join('\n')}\n`);
  if (r.damaged && r.damaged.length > 0) {
    printTable(
      ['TABLE', 'ROW', 'COLUMN', 'ITEM'],
      r.damaged.map((d) => [d.table, d.rowId, d.column, `${d.item}${d.name === undefined ? '' : ` ${f(d.name)}`}${d.trashed ? ' (in the trash)' : ''}`]),
    );
    if (r.damaged.some((d) => d.table === 'profiles' || d.table === 'byok_keys')) {
      say(
        'A damaged profile or BYOK key goes away once removed ("keyhold profile rm ID", "keyhold byok rm KIND") and emptied from the trash\n' +
          '("keyhold trash purge ID"), or restore a backup; "keyhold doctor --salvage FILE" first saves everything still readable.\n',
      );
    }
  }
}

export function registerVaultCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .option('--kdf <preset>', 'key derivation strength: standard (64 MiB, 3 passes) or strong (256 MiB, 4 passes)')
    .option('--kdf-memory <MiB>', 'Argon2id memory in MiB (lower is faster to unlock and faster to guess)')
    .option('--kdf-iterations <n>', `Argon2id passes (${FLOOR_TEXT} is the floor)`)
    .option('--weak-password', 'accept a master password the strength estimator scores weak')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string; weakPassword?: boolean; json?: boolean }) => {
      const dir = vaultPath(globals());
      const kdf = kdfFrom(opts);
      // Before the password is asked for (twice), not after.
      refuseExistingVault(dir);
      const password = await readNewPassword('KEYHOLD_PASSWORD');
      await checkNewPassword(password, { allowWeak: opts.weakPassword ?? false });
      const vault = await Vault.create(dir, password, kdf ? { kdf } : {});
      const status = vault.status();
      vault.close();
      // A folder that was there already keeps its modes and owner: said now, not first at the next command.
      warnIfExposed(dir);
      if (opts.json) printJson(status);
      else {
        // A path may hold a line break (or a terminal escape): shown escaped, on one line.
        say(`Created vault ${status.vaultId} in ${f(dir)}\n`);
        err('Keep your master password safe: it cannot be recovered, and without it the vault cannot be opened.\n');
      }
    });

  program
    .command('passwd')
    .option('--kdf <preset>', 'also change the key derivation strength: standard or strong')
    .option('--kdf-memory <MiB>', 'Argon2id memory in MiB')
    .option('--kdf-iterations <n>', `Argon2id passes (${FLOOR_TEXT} is the floor)`)
    .option('--weak-password', 'accept a new master password the strength estimator scores weak')
    .action(async (opts: { kdf?: string; kdfMemory?: string; kdfIterations?: string; weakPassword?: boolean }) => {
      const kdf = kdfFrom(opts);
      const vault = Vault.open(vaultPath(globals()));
      let cells: number;
      try {
        const current = await readPassword('Current master password: ', { sessionHelps: false });
        await vault.unlock(current);
        const next = await readNewPassword('KEYHOLD_NEW_PASSWORD');
        await checkNewPassword(next, { allowWeak: opts.weakPassword ?? false });
        ({ cells } = await vault.changePassword(current, next, kdf));
      } finally {
        vault.close();
      }
      say(`Master password changed. The vault key was rotated (${cells} values re-encrypted); every session was ended.\n`);
    });

  program
    .command('doctor')
    .option('--salvage <file>', 'also write everything readable to a passphrase-encrypted bundle (passphrase from stdin or asked twice)')
    .option('--weak-password', 'accept a salvage passphrase the strength estimator scores weak')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { salvage?: string; weakPassword?: boolean; json?: boolean }) => {
      const vault = Vault.open(vaultPath(globals()));
      try {
        // A taken name is said before the master password and the passphrase (twice) are asked for.
        if (opts.salvage !== undefined) await refuseExisting(opts.salvage);
      } catch (e) {
        vault.close();
        throw e;
      }
      let report: DoctorReport | (Pick<DoctorReport, 'ok' | 'database' | 'header' | 'files'> & Partial<DoctorReport>);
      let salvaged: { profiles: number; byokKeys: number; trashedLeftOut: number; signer: string } | null = null;
      try {
        const locked = examineLocked(vault);
        if (!locked.header.ok) {
          // Without a sound header there is no key to check anything else with.
          report = { ok: false, ...locked };
        } else {
          await unlock(vault, sessionToken());
          report = examine(vault);
          if (opts.salvage !== undefined) {
            const passphrase = await readSalvagePassphrase();
            await checkNewPassword(passphrase, { allowWeak: opts.weakPassword ?? false, what: 'This passphrase' });
            const summary = await exportToFile(vault, opts.salvage, {
              target: { passphrase },
              all: true,
              withByok: true,
              includeTokens: true,
              skipDamaged: true,
            });
            // A bundle holds one item per name, and the trash may hold a name in use again: trashed
            // items (their Kura tokens too) stay out, and the person is told how many.
            salvaged = { profiles: summary.profiles, byokKeys: summary.byokKeys, trashedLeftOut: vault.trash.list().length, signer: summary.signer };
          }
        }
      } finally {
        vault.close();
      }
      if (opts.json) printJson(salvaged ? { ...report, salvaged: { file: opts.salvage, ...salvaged } } : report);
      else {
        printDoctor(report);
        if (salvaged) {
          say(
            `Salvaged ${salvaged.profiles} profiles and ${salvaged.byokKeys} BYOK keys (with their Kura tokens) to ${f(opts.salvage ?? '')}, signed by this vault (fingerprint ${salvaged.signer}); open it with "keyhold import --passphrase-stdin" or age -d.\n` +
              `A vault made since (not a backup of this one) does not know this vault's key: there, check that import shows the same fingerprint, and add --trust-signer.\n`,
          );
          if (salvaged.trashedLeftOut > 0) {
            sayErr(
              `keyhold: note: ${salvaged.trashedLeftOut} item(s) in the trash are not in it (a Kura token a trashed profile holds included): restore the ones to keep with "keyhold trash restore ID" and salvage again.\n`,
            );
          }
        }
      }
      if (!report.ok) setExitCode(EXIT.integrity);
    });

  program
    .command('log')
    .option('--verify', 'check the hash chain: exits 8 if an entry was altered or removed')
    .option('--limit <n>', 'how many recent entries', '100')
    .option('--json', 'print {"entries","verify"} (verify is null without --verify)')
    .action(async (opts: { verify?: boolean; limit: string; json?: boolean }) => {
      const limit = wholeNumber(opts.limit, 1, Number.MAX_SAFE_INTEGER, '--limit must be a positive whole number.');
      const result = await withVault(globals(), (vault) => ({
        entries: vault.audit.list({ limit }),
        verify: opts.verify ? vault.audit.verify() : null,
      }));
      if (opts.json) printJson(result);
      else {
        printTable(
          ['SEQ', 'TIME', 'EVENT', 'DETAIL'],
          result.entries.map((e) => [
            String(e.seq),
            e.at,
            e.event,
            Object.entries(e.detail)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' '),
          ]),
        );
        if (result.verify) {
          say(
            result.verify.ok
              ? `Chain verified: ${result.verify.entries} entries, none altered or removed.\n`
              : `CHAIN BROKEN after ${result.verify.entries} good entries: ${result.verify.problem}\n`,
          );
        }
      }
      if (result.verify && !result.verify.ok) setExitCode(EXIT.integrity);
    });
}
