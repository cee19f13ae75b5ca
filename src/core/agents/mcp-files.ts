import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { agentIdProblem } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { quoteName } from '../devflow/env-names';
import { writeFileExclusive0600 } from '../devflow/write-file';
import { secretParts } from '../devflow/mask-forms';
import type { Vault } from '../vault/vault';
import type { WrapRecords } from '../vault/wrapped-configs';
import { formatPath } from './detect';
import { authDataProblem, valuesNotFrom } from './import';
import type { WrapPlan } from './mcp-wrap';
import { MAX_CONFIG_BYTES, readRegularFile } from './walk';

/*
 * Applying a wrap: the secrets into the vault first, then a record of the wrap in the vault (the
 * file written and digests of the backup and of what was written, so an unwrap can tell whether
 * either changed since, and writes nowhere else), then the original kept as a backup, then the new
 * file. One home for the CLI and the window.
 */

export const backupOf = (file: string): string => `${file}.keyhold-backup`;
const stampOf = (file: string): string => `${file}.keyhold-backup.sha256`;
const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/**
 * Stores each wrapped server's secrets in its profile (created as a draft, or added to). A profile
 * that already holds a different value under one of the names, or a name the server does not set,
 * stops everything before any write.
 * `file` is the config's path, recorded in each profile's history with where each value was.
 */
export function storeWrapSecrets(vault: Vault, plan: WrapPlan, file?: string): void {
  // Every server's name becomes an agent id: one that cannot be (a bidi control, too long) stops
  // everything before any profile is written, naming the server rather than "agentId".
  for (const s of plan.servers) {
    const problem = agentIdProblem(s.profile.agentId);
    if (problem !== null) {
      throw new KeyholdError(
        'BadInput',
        `The server ${quoteName(s.server)} cannot name a profile: ${problem} Nothing was changed: rename it, or wrap the other servers alone.`,
        { field: 'wrapServer' },
      );
    }
  }
  const profiles = vault.profiles.list();
  for (const s of plan.servers) {
    const existing = profiles.find((p) => p.agentId === s.profile.agentId && p.name === s.profile.name);
    const held = existing ? vault.profiles.load(existing.id).secrets.authData : {};
    // What a profile can hold (200 keys, a name's length…), checked for every server before any is
    // written: the vault's own refusal came after the servers before it had their profiles, and named
    // neither the server nor the profile. Its messages name no value.
    const problem = authDataProblem({ ...held, ...Object.fromEntries(s.secrets.map((x) => [x.name, x.value])) });
    if (problem !== null) {
      throw new KeyholdError(
        'BadInput',
        `The secrets of server ${quoteName(s.server)} cannot go to profile ${s.profile.agentId}/${s.profile.name}: ${problem} ` +
          'Nothing was changed: move some of them out of its env by hand, or wrap the other servers alone.',
        { field: 'wrapServer' },
      );
    }
    if (!existing) continue;
    const clash = s.secrets.find((x) => Object.hasOwn(held, x.name) && held[x.name] !== x.value);
    if (clash) {
      throw new KeyholdError('Conflict', `Profile ${s.profile.agentId}/${s.profile.name} already holds a different ${clash.name}. Nothing was changed.`, {
        field: clash.name,
      });
    }
    // The wrapped command runs with the whole profile: it must not get values another config put there.
    // What this server's own entry holds is no other config's: a credential the wrap leaves in it, or
    // one part of a value it moves (`scan --import` stored an mcp-remote header's token alone).
    const own = new Set([...s.stays, ...s.secrets.flatMap((x) => [x.value, ...secretParts(x.value)])]);
    const others = valuesNotFrom(held, new Map(s.secrets.map((x) => [x.name, x.value]))).filter((name) => !own.has(held[name]!));
    if (others.length > 0) {
      throw new KeyholdError(
        'Conflict',
        `Profile ${s.profile.agentId}/${s.profile.name} already holds ${others.join(', ')}, which the server ${quoteName(s.server)} here does not set: ` +
          `wrapped into that profile, its command would get those values. Nothing was changed: give the server another name in the file.`,
        { field: 'profileHoldsOthers' },
      );
    }
  }
  for (const s of plan.servers) {
    const values = Object.fromEntries(s.secrets.map((x) => [x.name, x.value]));
    // The paths as scan shows them (formatPath): `mcpServers[0].env` of a listed server, not
    // `mcpServers.0.env`; `….args` for what came from the command line (docker's -e, a header).
    const places = (['env', 'args'] as const)
      .map((from) => [from, s.secrets.filter((x) => x.from === from).map((x) => x.name)] as const)
      .filter(([, names]) => names.length > 0)
      .map(([from, names]) => `${formatPath([...s.path, from])}: ${names.join(', ')}`);
    const source = file === undefined ? undefined : `${file} (${places.join('; ')})`;
    const existing = profiles.find((p) => p.agentId === s.profile.agentId && p.name === s.profile.name);
    if (existing) vault.profiles.edit(existing.id, { set: values }, { reason: 'import', source });
    else vault.profiles.create({ agentId: s.profile.agentId, name: s.profile.name, authData: values, draft: true }, 'import', source);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A config's text as it is on disk, a byte order mark included (the wrap keeps it). One that is not
 * UTF-8 (a comment saved as Latin-1) is refused: read with replacement characters, its backup would
 * not give back the bytes it had.
 */
export function readConfigText(file: string): string {
  let read: ReturnType<typeof readRegularFile>;
  try {
    read = readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (e) {
    const reasons: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied' };
    throw new KeyholdError('BadInput', `Cannot read ${file}: ${reasons[(e as NodeJS.ErrnoException).code ?? ''] ?? 'it cannot be read'}.`, { cause: e });
  }
  // A named pipe or a device where a config is expected is refused, not waited on.
  if ('notFile' in read) throw new KeyholdError('BadInput', `${file} is not a file (a folder, a pipe or a device). Nothing was changed.`);
  if ('tooLarge' in read) throw new KeyholdError('TooLarge', `${file} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB. Nothing was changed.`);
  try {
    return strictUtf8.decode(read.bytes);
  } catch {
    throw new KeyholdError(
      'BadInput',
      `${file} is not UTF-8 text, so Keyhold could not give it back byte for byte after a wrap. Nothing was changed: save it as UTF-8 first.`,
    );
  }
}

/**
 * Where a config's bytes live. People keep their agent configs in a dotfiles repository and link
 * them into place (stow, chezmoi): such a config is changed in the file it links to, and stays a
 * link. Replacing the link with a file of its own left the secret in the linked file, which the
 * person believed cleaned, and cut the config off from their repository.
 */
export function configTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
  } catch {
    return file;
  }
}

/** A file's permission bits, or undefined if there is none (then it is written 0600). */
const modeOf = (file: string): number | undefined => statSync(file, { throwIfNoEntry: false })?.mode;

/**
 * A config with another name (a hard link: dotfiles linked into place with `ln`, a backup tool's
 * snapshot) is refused before anything is stored: the new text takes this name's place (a rename,
 * so nothing is half-written), and the other name kept the file with the secrets in it while the
 * wrap said they had moved.
 */
export function assertOneName(file: string): void {
  const links = statSync(file, { throwIfNoEntry: false })?.nlink ?? 1;
  if (links > 1) {
    throw new KeyholdError(
      'BadInput',
      `${file} is a file with ${links} names (hard links): a wrap would change this name only, and the others would still hold its secrets. ` +
        'Nothing was changed: replace the other names with symbolic links to it (a link is changed in the file it leads to), or copy it to a file of its own.',
      { field: 'hardLink' },
    );
  }
}

/** Whether a wrap would have to replace an earlier backup (checked before anything is stored). */
export function assertNoBackup(file: string): void {
  if (existsSync(backupOf(file))) throw new KeyholdError('Conflict', `${backupOf(file)} already exists (from an earlier wrap).`, { field: 'replaceBackup' });
}

const changedWhileWrapping = (file: string) =>
  new KeyholdError(
    'Conflict',
    `${file} changed while Keyhold was wrapping it (another program wrote to it), so Keyhold left it as it is now. Its secrets are in the vault already; wrap it again.`,
    { field: 'configChanged' },
  );

const changedFile = (e: unknown) => e instanceof KeyholdError && e.field === 'fileChanged';

/**
 * Keeps `original` as the backup (0600, never replaced without `force`, beside the name given, not
 * beside a linked file that may be in a repository) and writes the wrapped file, after recording in
 * the vault which file it writes and digests of both (what `restoreWrapped` trusts, not the folder).
 * The agent tools write their configs while they run (Claude Code keeps its state in ~/.claude.json),
 * and the wrap may have waited for a password since it read the file: a file that changed meanwhile
 * is left as the other program wrote it, not overwritten with a plan made from the old text, and is
 * checked again just before it is replaced. If it changed then, the backup and the record made for
 * this wrap are undone: the wrap is refused as if the first check had seen the change.
 */
export async function writeWrapped(file: string, original: string, plan: WrapPlan, wraps: WrapRecords, options: { force?: boolean } = {}): Promise<void> {
  const read = existsSync(file) ? readFileSync(file) : null;
  if (read === null || !read.equals(Buffer.from(original, 'utf8'))) throw changedWhileWrapping(file);
  assertOneName(file);
  if (!options.force) assertNoBackup(file);
  const path = resolve(file);
  const target = resolve(configTarget(file));
  const backup = backupOf(file);
  const before = { record: wraps.get(path), backup: existsSync(backup) ? readFileSync(backup) : null };
  wraps.record({ path, target, backupSha256: sha256(original), wrappedSha256: sha256(plan.text) });
  await writeFileExclusive0600(backup, original, { force: options.force ?? false });
  try {
    // The wrapped file holds no secret: it keeps the permissions the person gave it (read-only stays read-only).
    await writeFileExclusive0600(target, plan.text, { force: true, unchanged: read, mode: modeOf(target) });
  } catch (e) {
    if (!changedFile(e)) throw e;
    if (before.backup === null) rmSync(backup, { force: true });
    else await writeFileExclusive0600(backup, before.backup, { force: true });
    // A damaged earlier record cannot be put back; the wrap with --force was to replace it anyway.
    if (before.record === null || before.record === 'damaged') wraps.forget(path);
    else wraps.record(before.record);
    throw changedWhileWrapping(file);
  }
  // Written by Keyhold before wraps were recorded in the vault; the record stands in for it.
  rmSync(stampOf(file), { force: true });
}

const notBackup = (backup: string) =>
  new KeyholdError('Conflict', `${backup} is not the backup Keyhold wrote (it was replaced or changed since the wrap). Nothing was restored.`, {
    field: 'backupChanged',
  });

/**
 * Puts the backup back byte for byte, into the file the wrap wrote, from the backup it wrote (both
 * as the vault recorded them); refuses if the file changed since the wrap, unless `force`. A wrap
 * made before wraps were recorded is put back as before, unless a link is involved. A wrap that
 * stopped before it wrote the file (killed after its record, or after its backup) is 'unfinished':
 * the file is the original, so only the backup and the record go.
 */
export async function restoreWrapped(file: string, wraps: WrapRecords, options: { force?: boolean } = {}): Promise<'restored' | 'unfinished'> {
  const backup = backupOf(file);
  const record = wraps.get(resolve(file));
  if (!existsSync(backup)) {
    if (record === null || record === 'damaged') throw new KeyholdError('NotFound', `No backup ${backup}: this file was not wrapped by Keyhold.`);
    // The record is written before the backup: a wrap stopped between the two (killed, the folder
    // read-only) left the file as it was.
    if (resolve(configTarget(file)) === record.target && existsSync(record.target) && sha256(readFileSync(record.target)) === record.backupSha256) {
      wraps.forget(resolve(file));
      return 'unfinished';
    }
    throw new KeyholdError(
      'NotFound',
      `${backup}, the backup of the wrap of ${file}, is gone (deleted or moved), so Keyhold cannot put the file back. Nothing was restored: ` +
        "the secrets the wrap moved are still in the vault, in the profiles named after --profile in the wrapped servers' commands; put them back in the file by hand.",
    );
  }
  if (lstatSync(backup).isSymbolicLink()) throw notBackup(backup);
  if (record === 'damaged') throw new KeyholdError('Damaged', `The vault's record of the wrap of ${file} is damaged; put the backup back by hand.`);
  const target = record?.target ?? file;
  const saved = readFileSync(backup);
  if (record === null) {
    // No record: only a plain file, where the name cannot lead anywhere else.
    if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() === true) {
      throw new KeyholdError('Conflict', `${file} is a link, and this vault has no record of its wrap: put the backup back by hand. Nothing was restored.`, {
        field: 'wrapTarget',
      });
    }
  } else {
    const leadsTo = resolve(configTarget(file));
    if (leadsTo !== record.target) {
      throw new KeyholdError(
        'Conflict',
        `${file} leads to ${leadsTo} now, not to ${record.target}, the file Keyhold wrapped; Keyhold puts back only that one. Nothing was restored.`,
        { field: 'wrapTarget' },
      );
    }
    if (sha256(saved) !== record.backupSha256) throw notBackup(backup);
  }
  const current = existsSync(target) ? readFileSync(target) : null;
  if (record !== null && current?.equals(saved) === true) {
    // The wrap stopped after its backup, before the file (killed): the file is the original still.
    unlinkSync(backup);
    wraps.forget(resolve(file));
    return 'unfinished';
  }
  const expected = record?.wrappedSha256 ?? (existsSync(stampOf(file)) ? readFileSync(stampOf(file), 'utf8').trim() : '');
  if (!options.force && expected !== sha256(current ?? Buffer.alloc(0))) {
    throw new KeyholdError('Conflict', `${file} changed since it was wrapped; restoring the backup would lose those changes.`, { field: 'restoreChanged' });
  }
  // Even with `force` (which accepts losing what changed since the wrap): not what another program
  // writes while this runs, which no one has seen.
  try {
    // It holds the secrets again: its owner's permissions from before the wrap (which the wrap kept,
    // so read-only stays read-only), none for anyone else, as the backup had.
    await writeFileExclusive0600(target, saved, { force: true, unchanged: current, mode: (modeOf(target) ?? 0o600) & 0o700 });
  } catch (e) {
    if (!changedFile(e)) throw e;
    throw new KeyholdError(
      'Conflict',
      `${file} changed while Keyhold was putting its backup back (another program wrote to it), so Keyhold left it as it is now and kept the backup. Try again.`,
      { field: 'configChanged' },
    );
  }
  unlinkSync(backup);
  rmSync(stampOf(file), { force: true });
  if (record !== null) wraps.forget(resolve(file));
  return 'restored';
}
