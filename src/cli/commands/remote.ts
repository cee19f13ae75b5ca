import type { Command } from 'commander';
import { REMOTE_LABEL, RemoteKind } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { RemoteSummary } from '../../shared/domain';
import { testRemote } from '../../core/sync/probe';
import { syncStatus } from '../../core/sync/status';
import { withVault, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { SET_REMOTE } from '../set-remote';
import { cleanField as f, printJson, printTable, readStdinSecret, say, setExitCode, warnDamaged } from '../io';

/** The connection a command names: `kura` or `backside`. */
function remoteKind(text: string): RemoteKind {
  const kind = RemoteKind.safeParse(text);
  if (!kind.success) throw new KeyholdError('BadInput', `Unknown connection "${text}": use "kura" or "backside".`);
  return kind.data;
}

export function registerRemoteCommands(program: Command, globals: () => GlobalOptions): void {
  const remote = program.command('remote');

  remote
    .command('set')
    .description('set a connection: "kura" (base URL + API key) or "backside" (base URL + bearer token)')
    .argument('<kind>', 'kura or backside')
    .requiredOption('--url <url>', 'base URL, https:// (http:// only for this machine)')
    .option('--api-key-stdin', 'Kura: read the API key from standard input')
    .option('--token-stdin', 'Backside: read the bearer token from standard input')
    .option('--json', 'print the result as JSON')
    .action(async (kindText: string, opts: { url: string; apiKeyStdin?: boolean; tokenStdin?: boolean; json?: boolean }) => {
      const kind = remoteKind(kindText);
      if (kind === 'kura' && opts.tokenStdin) throw new KeyholdError('BadInput', 'Kura uses an API key: use --api-key-stdin.');
      if (kind === 'backside' && opts.apiKeyStdin) throw new KeyholdError('BadInput', 'Backside uses a bearer token: use --token-stdin.');
      const what = kind === 'kura' ? 'The Kura API key' : 'The Backside token';
      const credential = opts.apiKeyStdin || opts.tokenStdin ? readStdinSecret(what) : undefined;
      // Said here: the vault's "may not be empty" would point at the very flag that was given.
      if (credential === '') throw new KeyholdError('BadInput', `${what} read from standard input is empty: nothing was changed.`);
      const summary = await withVault(globals(), (vault) => vault.remotes.set({ kind, url: opts.url, ...(credential === undefined ? {} : { credential }) }));
      if (opts.json) printJson(summary);
      else say(`${summary.kind} connection set to ${f(summary.url)}${summary.hasCredential ? '' : ' (no credential yet)'}\n`);
    });

  remote
    .command('rm')
    .description('delete a connection: its address and credential leave the vault; nothing is removed remotely')
    .argument('<kind>', 'kura or backside')
    .option('--json', 'print the remaining connections as JSON')
    .action(async (kindText: string, opts: { json?: boolean }) => {
      const kind = remoteKind(kindText);
      const { list, waiting } = await withVault(globals(), (vault) => {
        vault.remotes.remove(kind);
        // Pending items stay queued, and go once a connection is set again.
        return { list: vault.remotes.list(), waiting: syncStatus(vault).counts[kind === 'kura' ? 'profile' : 'byok'].pending };
      });
      if (opts.json) printJson(list);
      else {
        const items = kind === 'kura' ? 'profile' : 'BYOK key';
        say(`${kind} connection removed (nothing was removed from ${REMOTE_LABEL[kind]}).\n`);
        if (waiting > 0) say(`${waiting} pending ${items}${waiting === 1 ? '' : 's'} wait here until you connect again with "${SET_REMOTE[kind]}".\n`);
      }
    });

  remote
    .command('list')
    .description('list connections (credentials are never shown)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { list, damaged } = await withVault(globals(), (vault) => ({ list: vault.remotes.list(), damaged: vault.remotes.damaged() }));
      warnDamaged('connection', damaged);
      if (opts.json) printJson(list);
      else
        printTable(
          ['KIND', 'URL', 'CREDENTIAL', 'VERIFIED', 'STATE'],
          list.map((r) => [r.kind, r.url, r.hasCredential ? 'set' : 'missing', verifiedText(r), r.paused ? `paused: ${r.pausedReason ?? ''}` : 'ok']),
        );
    });

  remote
    .command('test')
    .description('check the address and credential without changing anything remotely; says what was verified')
    .argument('<kind>', 'kura or backside')
    .option('--json', 'print the result as JSON')
    .action(async (kindText: string, opts: { json?: boolean }) => {
      const kind = remoteKind(kindText);
      const r = await withVault(globals(), (vault) => testRemote(vault, kind));
      if (opts.json) printJson(r);
      else {
        const yes = (b: boolean) => (b ? 'yes' : 'no');
        say(
          [
            `${r.kind} ${r.url}`,
            `configured:           ${yes(r.configured)}`,
            `reached:              ${yes(r.reached)}`,
            `credential verified:  ${r.credentialVerified ? `yes, by this test at ${r.testedAt}` : 'no, not by this test'}`,
            `last verified:        ${verifiedText(r)}`,
            ...(r.paused ? ['sync:                 paused'] : []),
            // Without a credential there is nothing to test: say what to type, as a missing connection does.
            r.configured ? r.message : `${r.message} Give it with "${SET_REMOTE[kind]}".`,
          ].join('\n') + '\n',
        );
      }
      if (!r.ok) setExitCode(EXIT.remote);
    });
}

/** "configured" and "verified" are different facts: a saved credential is not a working one. */
function verifiedText(r: Pick<RemoteSummary, 'verifiedAt' | 'verifiedBy'>): string {
  if (r.verifiedAt === null) return 'never';
  return `${r.verifiedAt} (${r.verifiedBy === 'sync' ? 'by a push' : 'by a connection test'})`;
}
