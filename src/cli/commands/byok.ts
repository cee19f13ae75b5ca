import type { Command } from 'commander';
import type { ByokSummary } from '../../shared/domain';
import { isLocalOnlyProvider, Provider } from '../../shared/domain';
import type { ByokKeyCheck } from '../../shared/contract';
import { KeyholdError } from '../../shared/errors';
import { SyncEngine } from '../../core/sync/engine';
import { sanitizeServerText } from '../../core/sync/remote-errors';
import { sessionToken, withItems, withVault, type GlobalOptions } from '../context';
import { EXIT } from '../exit-codes';
import { expiryFrom, parseSeconds, parseVersion } from '../parse';
import { cleanField as f, envValue, MASK, out, printHistory, printJson, printTable, readStdinSecret, say, sayErr, setExitCode, warnDamaged } from '../io';

const stateText = (b: ByokSummary) => {
  if (b.localOnly) return 'local only (never synced: Backside takes Anthropic keys only)';
  return b.lastError ? `${b.syncState} (${f(b.lastError)})` : b.syncState;
};

// Backside's words are shown as it wrote them, minus what a terminal would act on (escapes, bidi).
const said = (v: unknown): string => sanitizeServerText(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''), []);

const probeText = (b: ByokSummary): string =>
  b.lastProbe === null ? 'never' : `${b.lastProbe.ok ? 'passed' : 'failed'} at ${b.lastProbe.at}${b.lastProbe.message ? ` (${b.lastProbe.message})` : ''}`;

/** `an openai`, `a google`: a provider's name with its article, for a sentence. */
const aProvider = (provider: string): string => `${/^[aeiou]/i.test(provider) ? 'an' : 'a'} ${provider}`;

export function registerByokCommands(program: Command, globals: () => GlobalOptions): void {
  const byok = program.command('byok');

  byok
    .command('set')
    .description('set or rotate the key for an agent kind (the previous key stays in history)')
    .requiredOption('--kind <kind>', 'agent kind')
    .option('--provider <provider>', `key provider: ${Provider.options.join(', ')}`, 'anthropic')
    .requiredOption('--key-stdin', 'read the API key from standard input')
    .option('--draft', 'keep it back from sync until "keyhold byok ready"')
    .option('--validate', "ask Backside's validate-key first; a key it refuses is not saved")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { kind: string; provider: string; draft?: boolean; validate?: boolean; json?: boolean }) => {
      const provider = Provider.safeParse(opts.provider);
      if (!provider.success) throw new KeyholdError('BadInput', `Unknown provider "${opts.provider}": use one of ${Provider.options.join(', ')}.`);
      if (opts.validate && isLocalOnlyProvider(provider.data)) {
        throw new KeyholdError(
          'BadInput',
          `--validate asks Backside, which takes Anthropic keys only; ${aProvider(provider.data)} key stays local. Leave out --validate.`,
        );
      }
      const apiKey = readStdinSecret('The API key');
      const outcome = await withVault(globals(), async (vault) => {
        let check: ByokKeyCheck | null = null;
        if (opts.validate) {
          // Checked before anything is written: a refused key leaves the vault as it was.
          vault.byok.check({ kind: opts.kind, provider: provider.data, apiKey });
          const engine = new SyncEngine(vault);
          try {
            check = await engine.checkKey(apiKey, provider.data);
          } finally {
            await engine.close();
          }
          if (!check.accepted) return { check, saved: null };
        }
        return { check, saved: vault.byok.set({ kind: opts.kind, provider: provider.data, apiKey, draft: opts.draft ?? false }) };
      });
      const { check, saved } = outcome;
      if (saved === null) {
        if (opts.json) printJson({ saved: false, check });
        sayErr(`keyhold: ${check?.message ?? 'Backside refused the key.'} Nothing was saved.\n`);
        setExitCode(EXIT.remote);
        return;
      }
      if (opts.json) printJson(check ? { ...saved, check } : saved);
      else {
        if (check) say(`${check.message}\n`);
        const state = saved.localOnly ? 'local only (Backside takes Anthropic keys only; it is never synced)' : saved.syncState;
        say(`Saved ${saved.provider} key ${saved.keyHint} for ${saved.kind}, ${state}\n`);
      }
    });

  byok
    .command('rotate')
    .description('replace the key for KIND: check the new key with Backside, store it (the old one stays in history) and push it')
    .argument('<kind>')
    .requiredOption('--key-stdin', 'read the new API key from standard input')
    .option('--timeout <seconds>', 'how long to wait for the push', '60')
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, opts: { timeout: string; json?: boolean }) => {
      const seconds = parseSeconds(opts.timeout, '--timeout');
      const apiKey = readStdinSecret('The new API key');
      const result = await withVault(globals(), async (vault) => {
        const current = vault.byok.get(kind);
        // A local-only key (not Anthropic's) is never sent to Backside, not even to be checked.
        if (current.localOnly) {
          throw new KeyholdError(
            'BadInput',
            `The ${current.provider} key for "${f(current.kind)}" is local only: Backside checks and stores Anthropic keys only, so it cannot check or push a new one. ` +
              `Set the new key as ${aProvider(current.provider)} key instead (the old one stays in history).`,
            { field: 'provider' },
          );
        }
        // The vault's own rules first (the provider's key shape among them): a key it would refuse is not sent anywhere.
        vault.byok.check({ kind: current.kind, provider: current.provider, apiKey });
        const engine = new SyncEngine(vault);
        try {
          // Checked before it is stored: a key the provider refuses never replaces a working one.
          await engine.checkNewKey(apiKey, current.provider);
          vault.byok.set({ kind: current.kind, provider: current.provider, apiKey });
          const summary = await engine.syncAll({ timeoutMs: seconds * 1000 });
          return { saved: vault.byok.get(kind), summary };
        } finally {
          await engine.close();
        }
      });
      if (opts.json) printJson(result.saved);
      else
        say(
          `Rotated ${result.saved.kind} to ${result.saved.keyHint}, ${stateText(result.saved)}; the previous key is in "keyhold byok history ${result.saved.kind}".\n`,
        );
      if (result.saved.syncState !== 'synced') setExitCode(EXIT.remote);
    });

  byok
    .command('expiry')
    .description('record when the key for KIND expires and/or how often it should be rotated; "status" and Health warn ahead')
    .argument('<kind>')
    .option('--expires <date>', 'the date the key stops working (YYYY-MM-DD), or "never"')
    .option('--rotate-days <days>', 'rotate it this many days after each change, or "never"')
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, opts: { expires?: string; rotateDays?: string; json?: boolean }) => {
      const change = expiryFrom(opts);
      const saved = await withVault(globals(), (vault) => vault.byok.setExpiry(kind, change));
      if (opts.json) printJson(saved);
      else
        say(
          `${saved.kind}: expires ${saved.expiresAt?.slice(0, 10) ?? 'never'}, rotation every ${saved.rotateDays === undefined ? '(not set)' : `${saved.rotateDays} days`}\n`,
        );
    });

  byok
    .command('print')
    .description("print the key for an agent kind, for tools that ask a helper program for it (Claude Code's apiKeyHelper)")
    .argument('<kind>')
    .addHelpText('after', '\nNever asks for the password: it needs an open session (KEYHOLD_SESSION, see "keyhold unlock"). Each use is audited.\n')
    .action(async (kind: string) => {
      // A helper program runs without a terminal; a prompt would hang the tool that called it.
      if (sessionToken() === undefined && !envValue('KEYHOLD_PASSWORD')) {
        throw new KeyholdError('VaultLocked', 'The vault is locked: start a session with "keyhold unlock" and set KEYHOLD_SESSION for the tool.');
      }
      out(`${await withItems(globals(), (items) => items.byok(kind).apiKey)}\n`);
    });

  byok
    .command('ready')
    .description('promote a draft key so the next sync pushes it')
    .argument('<kind>')
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, opts: { json?: boolean }) => {
      const saved = await withVault(globals(), (vault) => vault.byok.ready(kind));
      if (opts.json) printJson(saved);
      else say(`Ready: ${saved.kind}, ${saved.syncState}\n`);
    });

  byok
    .command('list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { list, damaged } = await withVault(globals(), (vault) => ({ list: vault.byok.list(), damaged: vault.byok.damaged() }));
      if (opts.json) printJson(list);
      else
        printTable(
          ['KIND', 'PROVIDER', 'KEY', 'STATE', 'REMOTE STATUS', 'LAST PROBE'],
          [
            ...list.map((b) => [
              b.kind,
              b.provider,
              b.keyHint,
              b.localOnly ? 'local only' : stateText(b),
              b.remote ? said(b.remote.byok_status ?? '') : '',
              b.localOnly ? '' : b.lastProbe === null ? 'never' : b.lastProbe.ok ? 'passed' : 'failed',
            ]),
            ...damaged.map((id) => [id, '(unreadable)', '', 'DAMAGED', '', '']),
          ],
        );
      warnDamaged('BYOK key', damaged);
    });

  byok
    .command('show')
    .description('show a key; the key stays masked unless --reveal (which is audited)')
    .argument('<kind>')
    .option('--reveal', 'show the key')
    .option('--json', 'print as JSON')
    .action(async (kind: string, opts: { reveal?: boolean; json?: boolean }) => {
      const detail = await withVault(globals(), (vault) => vault.byok.get(kind, { reveal: opts.reveal ?? false }));
      if (opts.json) {
        printJson(detail);
        return;
      }
      const remote = detail.remote;
      say(
        [
          `kind:      ${detail.kind}`,
          `provider:  ${detail.provider}`,
          `key:       ${detail.apiKey ?? `${detail.keyHint} ${MASK}`}`,
          `sync:      ${stateText(detail)}`,
          ...(remote
            ? [
                `remote:    ${said(remote.byok_status)}${remote.byok_status_reason ? ` (${said(remote.byok_status_reason)})` : ''}`,
                `probed:    ${said(remote.byok_last_probed_at ?? 'never')}`,
              ]
            : []),
          ...(detail.localOnly ? [] : [`probe:     ${probeText(detail)}`]),
          `updated:   ${detail.updatedAt} (version ${detail.version})`,
        ].join('\n') + '\n',
      );
    });

  byok
    .command('validate')
    .description('ask Backside to probe the key for KIND without storing it')
    .argument('<kind>')
    .option('--json', 'print the answer as JSON')
    .action(async (kind: string, opts: { json?: boolean }) => {
      const answer = await withVault(globals(), async (vault) => {
        const engine = new SyncEngine(vault);
        try {
          return await engine.validate(kind);
        } finally {
          await engine.close();
        }
      });
      if (opts.json) printJson(answer);
      else say(`${f(answer.message)}\n`);
      if (!answer.accepted) setExitCode(EXIT.remote);
    });

  byok
    .command('retry')
    .description('queue a failed key again as it is')
    .argument('<kind>')
    .action(async (kind: string) => {
      const saved = await withVault(globals(), (vault) => vault.byok.retry(kind));
      say(`${saved.kind}: ${saved.syncState}\n`);
    });

  byok
    .command('history')
    .argument('<kind>')
    .option('--json', 'print as JSON')
    .action(async (kind: string, opts: { json?: boolean }) => {
      const history = await withVault(globals(), (vault) => vault.byok.history(kind));
      if (opts.json) printJson(history);
      else printHistory(history, 'KEY');
    });

  byok
    .command('restore')
    .description('make an earlier key current again (as a new version; see "keyhold byok history")')
    .argument('<kind>')
    .argument('<version>')
    .option('--json', 'print the result as JSON')
    .action(async (kind: string, version: string, opts: { json?: boolean }) => {
      const n = parseVersion(version);
      const { restored, before } = await withVault(globals(), (vault) => ({
        before: vault.byok.get(kind).version,
        restored: vault.byok.restore(kind, n),
      }));
      if (opts.json) printJson(restored);
      // Version N holds the key that is current already: nothing was written, and saying "Restored" would claim otherwise.
      else if (restored.version === before)
        say(
          `Nothing changed: version ${n} of ${restored.kind} is the current key already (${restored.provider} key ${restored.keyHint}, ${restored.syncState})\n`,
        );
      else say(`Restored version ${n} of ${restored.kind}: ${restored.provider} key ${restored.keyHint}, ${restored.syncState}\n`);
    });

  byok
    .command('rm')
    .description('move the key for a kind, with its history, to the trash for 30 days')
    .argument('<kind>')
    .action(async (kind: string) => {
      const removed = await withVault(globals(), (vault) => vault.byok.remove(kind));
      say(`Moved ${removed.id} to the trash until ${removed.purgeAt} ("keyhold trash restore ${removed.id.slice(0, 8)}" brings it back).\n`);
    });
}
