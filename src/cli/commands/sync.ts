import type { Command } from 'commander';
import { SyncEngine } from '../../core/sync/engine';
import { syncStatus } from '../../core/sync/status';
import { expiryFindings } from '../../core/health';
import { withVault, type GlobalOptions } from '../context';
import { parseSeconds } from '../parse';
import { EXIT } from '../exit-codes';
import { SET_REMOTE } from '../set-remote';
import { REMOTE_LABEL } from '../../shared/domain';
import { cleanField as f, currentIo, err, printJson, printTable, say, sayErr, setExitCode } from '../io';

export function registerSyncCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('sync')
    .option('--timeout <seconds>', 'end the whole run (waiting for another sync, requests, retries) after this many seconds', '60')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { timeout: string; json?: boolean }) => {
      const seconds = parseSeconds(opts.timeout, '--timeout');
      const showProgress = !opts.json && currentIo().stderr.isTTY === true;
      const { summary, unset } = await withVault(globals(), async (vault) => {
        const engine = new SyncEngine(vault, {
          lease: { label: 'keyhold sync' },
          onProgress: showProgress ? ({ done, total }) => err(`\rsyncing ${done}/${total}…`) : undefined,
        });
        try {
          const summary = await engine.syncAll({ timeoutMs: seconds * 1000 });
          const set = new Set(vault.remotes.list().map((r) => r.kind));
          return { summary, unset: (['kura', 'backside'] as const).filter((kind) => !set.has(kind)) };
        } finally {
          if (showProgress) err('\r\x1b[K');
          await engine.close();
        }
      });
      if (opts.json) printJson(summary);
      else {
        say(`Pushed ${summary.pushed.length}, failed ${summary.failed.length}, still pending ${summary.pending.length}.\n`);
        for (const r of summary.replaced) say(`WARNING ${f(r.ref)}: ${f(r.message ?? 'replaced an existing remote profile')}\n`);
        for (const r of summary.failed) say(`failed  ${r.kind} ${f(r.ref)}: ${f(r.message ?? '')}\n`);
        for (const r of summary.pending) say(`pending ${r.kind} ${f(r.ref)}: ${f(r.reason ?? 'waiting')}\n`);
        // Items wait for a connection that was never set: say once how to set it.
        const waiting = new Set(summary.pending.map((r) => (r.kind === 'profile' ? 'kura' : 'backside')));
        for (const kind of unset.filter((k) => waiting.has(k))) say(`Set the ${REMOTE_LABEL[kind]} connection with "${SET_REMOTE[kind]}".\n`);
        if (summary.timedOut) say(`Stopped at the ${seconds} s deadline (--timeout); run "keyhold sync" again later.\n`);
      }
      if (summary.failed.length > 0 || summary.pending.length > 0) setExitCode(EXIT.remote);
    });

  program
    .command('status')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { status, expiry } = await withVault(globals(), (vault) => ({ status: syncStatus(vault), expiry: expiryFindings(vault, Date.now()) }));
      if (opts.json) {
        printJson({ ...status, expiry });
        return;
      }
      for (const e of expiry) sayErr(`${e.severity === 'problem' ? 'EXPIRED' : 'WARNING'} ${e.kind} ${f(e.ref)}: ${f(e.message)}\n`);
      for (const [kind, counts] of Object.entries(status.counts)) {
        const parts = Object.entries(counts)
          .filter(([s, n]) => s !== 'localOnly' || n > 0)
          .map(([s, n]) => `${n} ${s === 'localOnly' ? 'local only' : s}`);
        say(`${kind === 'profile' ? 'profiles' : 'byok keys'}: ${parts.join(', ')}\n`);
      }
      for (const r of status.remotes.filter((r) => r.paused)) say(`${r.kind} connection paused: ${f(r.pausedReason ?? '')}\n`);
      printTable(
        ['KIND', 'ITEM', 'STATE', 'ATTEMPTS', 'NEXT TRY', 'LAST ERROR'],
        status.items.map((i) => [i.kind, i.ref, i.localOnly ? 'local only' : i.state, String(i.attempts), i.nextAttemptAt ?? '', i.lastError ?? '']),
      );
    });
}
