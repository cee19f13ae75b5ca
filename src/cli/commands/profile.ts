import type { Command } from 'commander';
import { parseDotenv, serializeDotenv } from '../../core/devflow/dotenv';
import type { ProfileSummary } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { withVault, type GlobalOptions } from '../context';
import { cleanField as f, cleanText, err, MASK, out, printHistory, printJson, printTable, say, warnDamaged } from '../io';
import { authDataFrom, collect, expiryFrom, parseVersion } from '../parse';
import { checkOutputFile, readTextFile } from '../files';
import { revealedAuthData } from '../../shared/domain';

export const ALLOW_ENV_HELP =
  'allow KEY although, as an environment variable, it changes how programs run (NODE_OPTIONS, LD_PRELOAD, PATH…; repeatable, audited)';

const ref = (p: ProfileSummary) => f(`${p.agentId}/${p.name}`);
const stateText = (p: ProfileSummary) => (p.lastError ? `${p.syncState} (${f(p.lastError)})` : p.syncState);

/** The keys of a .env file, then --set and --set-stdin, which win over the file for the same key. */
function valuesFrom(opts: { fromEnv?: string; set?: string[]; setStdin?: string[] }): Record<string, string> {
  if (opts.fromEnv === '-' && opts.setStdin !== undefined) {
    throw new KeyholdError('BadInput', 'Standard input can carry the .env file or the value of --set-stdin, not both.');
  }
  const fromFile = opts.fromEnv === undefined ? {} : parseDotenv(readTextFile(opts.fromEnv, 'the .env file'));
  return { ...fromFile, ...authDataFrom(opts.set, opts.setStdin) };
}

function printSummary(p: ProfileSummary, json?: boolean, verb = 'Saved'): void {
  if (json) printJson(p);
  else say(`${verb} ${ref(p)} (${p.id}), ${p.keys.length} key(s), ${p.syncState}\n`);
}

interface AddOptions {
  agent: string;
  name: string;
  fromEnv?: string;
  set?: string[];
  setStdin?: string[];
  allowEnv?: string[];
  saveSession?: boolean;
  draft?: boolean;
  json?: boolean;
}

interface EditOptions {
  agent?: string;
  name?: string;
  fromEnv?: string;
  set?: string[];
  setStdin?: string[];
  allowEnv?: string[];
  unset?: string[];
  saveSession?: boolean;
  draft?: boolean;
  newRemote?: boolean;
  json?: boolean;
}

export function registerProfileCommands(program: Command, globals: () => GlobalOptions): void {
  const profile = program.command('profile');

  profile
    .command('add')
    .description('add a profile; values from a .env file, via --set, or one secret via --set-stdin')
    .requiredOption('--agent <agent-id>', 'the agent the profile is for')
    .requiredOption('--name <name>', 'profile name, unique per agent')
    .option('--from-env <file>', 'take keys and values from a .env file (--set and --set-stdin win for the same key)')
    .option('--set <KEY=VALUE>', 'a key and value (repeatable; visible in shell history, prefer --set-stdin for secrets)', collect)
    .option('--set-stdin <KEY>', 'read the value of KEY from standard input (repeatable: one line per key, in order)', collect)
    .option('--allow-env <KEY>', ALLOW_ENV_HELP, collect)
    .option('--save-session', 'ask the agent to keep session state between runs')
    .option('--draft', 'keep it back from sync until "keyhold profile ready"')
    .option('--json', 'print the result as JSON')
    .action(async (opts: AddOptions) => {
      const authData = valuesFrom(opts);
      const created = await withVault(globals(), (vault) =>
        vault.profiles.create({
          agentId: opts.agent,
          name: opts.name,
          authData,
          saveSession: opts.saveSession ?? false,
          draft: opts.draft ?? false,
          allowEnv: opts.allowEnv ?? [],
        }),
      );
      printSummary(created, opts.json, 'Added');
    });

  profile
    .command('edit')
    .description('change keys, values, name or agent of a profile')
    .argument('<ref>')
    .option('--from-env <file>', 'set the keys of a .env file (other keys stay; --set and --set-stdin win for the same key)')
    .option('--set <KEY=VALUE>', 'set a key (repeatable)', collect)
    .option('--set-stdin <KEY>', 'read the value of KEY from standard input (repeatable: one line per key, in order)', collect)
    .option('--allow-env <KEY>', ALLOW_ENV_HELP, collect)
    .option('--unset <KEY>', 'remove a key (repeatable)', collect)
    .option('--save-session', 'keep agent session state between runs')
    .option('--no-save-session', 'do not keep agent session state')
    .option('--agent <agent-id>', 'move the profile to another agent')
    .option('--name <name>', 'rename the profile')
    .option('--draft', 'keep the change back from sync')
    .option('--new-remote', 'confirm that renaming or moving a synced profile creates a new remote profile')
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, opts: EditOptions) => {
      const set = valuesFrom(opts);
      const { edited, before } = await withVault(globals(), (vault) => ({
        before: vault.profiles.resolve(profileRef).version,
        edited: vault.profiles.edit(
          profileRef,
          {
            ...(opts.agent === undefined ? {} : { agentId: opts.agent }),
            ...(opts.name === undefined ? {} : { name: opts.name }),
            set,
            ...(opts.unset ? { unset: opts.unset } : {}),
            ...(opts.saveSession === undefined ? {} : { saveSession: opts.saveSession }),
            ...(opts.draft ? { draft: true } : {}),
            ...(opts.allowEnv ? { allowEnv: opts.allowEnv } : {}),
          },
          { confirmNewRemote: opts.newRemote ?? false },
        ),
      }));
      // An edit that changes nothing writes no version and leaves the sync state as it was.
      printSummary(edited, opts.json, edited.version === before ? 'Nothing changed:' : 'Saved');
    });

  profile
    .command('ready')
    .description('promote a draft so the next sync pushes it')
    .argument('<ref>')
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, opts: { json?: boolean }) => {
      printSummary(await withVault(globals(), (vault) => vault.profiles.ready(profileRef)), opts.json, 'Ready:');
    });

  profile
    .command('list')
    .description('list profiles (no values)')
    .option('--search <text>', 'only profiles whose agent, name or key names contain TEXT')
    .option('--json', 'print as JSON')
    .action(async (opts: { search?: string; json?: boolean }) => {
      const { list, damaged } = await withVault(globals(), (vault) => ({
        list: vault.profiles.list(opts.search === undefined ? {} : { search: opts.search }),
        damaged: vault.profiles.damaged(),
      }));
      if (opts.json) printJson(list);
      else
        printTable(
          ['ID', 'PROFILE', 'KEYS', 'SESSION', 'STATE', 'UPDATED'],
          [
            ...list.map((p) => [p.id.slice(0, 8), ref(p), p.keys.join(','), p.saveSession ? 'yes' : 'no', stateText(p), p.updatedAt]),
            // A damaged profile's name is in the cell that failed, so it is shown by id only.
            ...damaged.map((id) => [id, '(unreadable)', '', '', 'DAMAGED', '']),
          ],
        );
      warnDamaged('profile', damaged);
    });

  profile
    .command('show')
    .description('show a profile; values stay masked unless --reveal (which is audited)')
    .argument('<ref>')
    .option('--reveal', 'show the values')
    .option('--json', 'print as JSON')
    .action(async (profileRef: string, opts: { reveal?: boolean; json?: boolean }) => {
      const detail = await withVault(globals(), (vault) => vault.profiles.get(profileRef, { reveal: opts.reveal ?? false }));
      if (opts.json) {
        printJson(detail);
        return;
      }
      say(
        [
          `id:            ${detail.id}`,
          `agent:         ${f(detail.agentId)}`,
          `name:          ${f(detail.name)}`,
          `save session:  ${detail.saveSession ? 'yes' : 'no'}`,
          `sync:          ${stateText(detail)}${detail.lastSyncType ? `, last push: ${detail.lastSyncType}` : ''}`,
          ...(detail.hasToken
            ? [
                `kura token:    ${opts.reveal ? (detail.authToken ?? '(none usable)') : MASK}`,
                `token from:    ${detail.tokenObtainedAt ?? 'unknown (imported)'}`,
              ]
            : ['kura token:    (none yet)']),
          `updated:       ${detail.updatedAt} (version ${detail.version})`,
          ...(detail.allowEnv?.length ? [`allowed env:   ${detail.allowEnv.map(f).join(', ')} (change how programs run; "run" still asks)`] : []),
          'auth data:',
          ...Object.entries(detail.authData).map(([k, v]) => `  ${f(k)} = ${v === null ? MASK : cleanText(v)}`),
        ].join('\n') + '\n',
      );
    });

  profile
    .command('token')
    .description('print the Kura auth token of a profile alone, for $(…) (the read is audited)')
    .argument('<ref>')
    .option('--json', 'print {"ref","authToken","agentId","name","obtainedAt"}')
    .action(async (profileRef: string, opts: { json?: boolean }) => {
      const token = await withVault(globals(), (vault) => vault.profiles.token(profileRef, { purpose: 'token' }));
      if (opts.json) printJson(token);
      else out(`${token.authToken}\n`);
    });

  profile
    .command('export-env')
    .description("write a profile's keys and values as a .env file that reads back exactly (the reveal is audited)")
    .argument('<ref>')
    .option('-o, --out-file <file>', 'write to FILE, created readable by you only (0600), instead of standard output')
    .option('--force', 'replace FILE if it exists')
    .action(async (profileRef: string, opts: { outFile?: string; force?: boolean }) => {
      if (opts.outFile !== undefined) await checkOutputFile(opts.outFile, opts.force);
      const text = await withVault(globals(), (vault) => serializeDotenv(revealedAuthData(vault.profiles.get(profileRef, { reveal: true }))));
      if (opts.outFile === undefined) out(text);
      else {
        // Only this command writes a file: the others do not load fs/promises (and the readline it brings).
        const { writeFileExclusive0600 } = await import('../../core/devflow/write-file');
        await writeFileExclusive0600(opts.outFile, text, { force: opts.force ?? false });
      }
    });

  profile
    .command('expiry')
    .description('record when one value of a profile expires and/or how often to replace it; "status" and Health warn ahead')
    .argument('<ref>')
    .argument('<key>')
    .option('--expires <date>', 'the date the value stops working (YYYY-MM-DD), or "never"')
    .option('--rotate-days <days>', 'replace it this many days after it last changed, or "never"')
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, key: string, opts: { expires?: string; rotateDays?: string; json?: boolean }) => {
      const change = expiryFrom(opts);
      const saved = await withVault(globals(), (vault) => vault.profiles.setExpiry(profileRef, key, change));
      const e = saved.expiry?.[key];
      if (opts.json) printJson(saved);
      else
        say(
          `${saved.agentId}/${saved.name} ${key}: expires ${e?.expiresAt?.slice(0, 10) ?? 'never'}, rotation every ${e?.rotateDays === undefined ? '(not set)' : `${e.rotateDays} days`}\n`,
        );
    });

  profile
    .command('history')
    .description('list the versions of a profile')
    .argument('<ref>')
    .option('--json', 'print as JSON')
    .action(async (profileRef: string, opts: { json?: boolean }) => {
      const history = await withVault(globals(), (vault) => vault.profiles.history(profileRef));
      if (opts.json) printJson(history);
      else printHistory(history, 'SUMMARY');
    });

  profile
    .command('diff')
    .description('what changed between two versions: keys added, removed and changed (values masked unless --reveal, which is audited)')
    .argument('<ref>')
    .argument('<v1>', 'the older version (see "keyhold profile history")')
    .argument('<v2>', 'the newer version')
    .option('--reveal', 'show the values that differ')
    .option('--json', 'print as JSON')
    .action(async (profileRef: string, v1: string, v2: string, opts: { reveal?: boolean; json?: boolean }) => {
      const [from, to] = [parseVersion(v1), parseVersion(v2)];
      const diff = await withVault(globals(), (vault) => vault.profiles.diff(profileRef, from, to, { reveal: opts.reveal ?? false }));
      if (opts.json) {
        printJson(diff);
        return;
      }
      const shown = (v: string | null) => v ?? MASK;
      const sign = { added: '+', removed: '-', changed: '~' } as const;
      const lines = [
        ...diff.fields.map((d) => `~ ${d.field}: ${d.from} -> ${d.to}`),
        ...diff.keys.map((k) =>
          k.change === 'added'
            ? `${sign.added} ${k.key} = ${shown(k.to)}`
            : k.change === 'removed'
              ? `${sign.removed} ${k.key} = ${shown(k.from)}`
              : `${sign.changed} ${k.key}: ${shown(k.from)} -> ${shown(k.to)}`,
        ),
      ];
      // A value may hold anything a teammate's file put in it, terminal escapes included: shown, never interpreted.
      const body = lines.map((l) => `  ${f(l)}\n`).join('');
      say(`Version ${from} -> ${to}: ${lines.length === 0 ? 'no differences' : `${diff.keys.length} key(s) differ`}\n${body}`);
    });

  profile
    .command('restore')
    .description('make an earlier version current again (as a new version)')
    .argument('<ref>')
    .argument('<version>')
    .option('--new-remote', 'confirm, if the restore renames a synced profile, that it becomes a new remote profile')
    .option('--allow-env <KEY>', ALLOW_ENV_HELP, collect)
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, version: string, opts: { newRemote?: boolean; allowEnv?: string[]; json?: boolean }) => {
      const n = parseVersion(version);
      const restored = await withVault(globals(), (vault) =>
        vault.profiles.restore(profileRef, n, { confirmNewRemote: opts.newRemote ?? false, allowEnv: opts.allowEnv ?? [] }),
      );
      printSummary(restored, opts.json, `Restored version ${n} of`);
    });

  profile
    .command('recreate')
    .description('after Kura lost a profile (404): drop its token and push it as a new remote profile')
    .argument('<ref>')
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, opts: { json?: boolean }) => {
      printSummary(await withVault(globals(), (vault) => vault.profiles.recreate(profileRef)), opts.json, 'Queued re-create of');
    });

  profile
    .command('retry')
    .description('queue a failed profile again as it is')
    .argument('<ref>')
    .option('--json', 'print the result as JSON')
    .action(async (profileRef: string, opts: { json?: boolean }) => {
      printSummary(await withVault(globals(), (vault) => vault.profiles.retry(profileRef)), opts.json, 'Queued');
    });

  profile
    .command('rm')
    .description('move a profile, its token and history to the trash for 30 days (a synced remote profile stays on Kura)')
    .argument('<ref>')
    .option('--force', 'delete it even though it holds a Kura auth token')
    .action(async (profileRef: string, opts: { force?: boolean }) => {
      const removed = await withVault(globals(), (vault) => vault.profiles.remove(profileRef, { confirmTokenLoss: opts.force ?? false }));
      say(`Moved ${removed.id} to the trash until ${removed.purgeAt} ("keyhold trash restore ${removed.id.slice(0, 8)}" brings it back).\n`);
      if (removed.wasSynced) err('Note: the remote profile on Kura still exists; Kura has no delete call.\n');
    });
}
