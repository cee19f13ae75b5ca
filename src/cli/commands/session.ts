import type { Command } from 'commander';
import { sessionSnapshot } from '../../core/vault/session-items';
import {
  createSession,
  DEFAULT_SESSION_MINUTES,
  endAllSessions,
  listSessions,
  MAX_SESSION_MINUTES,
  SESSION_ENV,
  snapshotItems,
  unlockWithSession,
} from '../../core/vault/sessions';
import { Vault } from '../../core/vault/vault';
import { KeyholdError } from '../../shared/errors';
import { sessionToken, vaultPath, withVault, type GlobalOptions } from '../context';
import { cleanField as f, err, out, printJson, printTable, say, sayErr } from '../io';
import { collect, wholeNumber } from '../parse';

const parseMinutes = (text: string): number =>
  wholeNumber(text, 1, MAX_SESSION_MINUTES, `--expires is a whole number of minutes from 1 to ${MAX_SESSION_MINUTES}.`);

export function registerSessionCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('unlock')
    .option('--expires <minutes>', `how long the session lasts, 1 to ${MAX_SESSION_MINUTES} minutes`, String(DEFAULT_SESSION_MINUTES))
    .option('--raw', 'print only the token')
    .option('--profile <ref>', 'a session for this profile only (repeatable, with --byok): it holds its values, not the vault', collect)
    .option('--byok <kind>', 'a session for the BYOK key of this kind only (repeatable, with --profile)', collect)
    .addHelpText(
      'after',
      '\nWith --profile or --byok, the session holds those items as they are now and nothing else of the vault:\n' +
        'enough for "keyhold run --profile REF" and "keyhold byok print KIND" (an agent tool\'s wrapped servers),\n' +
        'while every other command asks for the whole vault. A value changed later is not in it: unlock again.\n',
    )
    .action(async (opts: { expires: string; raw?: boolean; profile?: string[]; byok?: string[] }) => {
      const minutes = parseMinutes(opts.expires);
      const only = (opts.profile?.length ?? 0) + (opts.byok?.length ?? 0) > 0;
      const session = await withVault(
        globals(),
        (vault) => {
          const snapshot = only ? sessionSnapshot(vault, opts.profile ?? [], opts.byok ?? []) : undefined;
          return { ...createSession(vault, minutes, snapshot), holds: snapshot ? snapshotItems(snapshot) : null };
        },
        { session: false },
      );
      if (opts.raw) {
        out(session.token);
        return;
      }
      out(`export ${SESSION_ENV}=${session.token}\n`);
      err(
        `Session valid until ${session.expiresAt}. Run the line above in your shell (or next time: eval "$(keyhold unlock)").\n` +
          (session.holds === null
            ? `Anyone who can read this shell's environment can open the vault until then; end it with "keyhold lock".\n`
            : `It holds ${session.holds} as they are now, and nothing else of the vault; anyone who can read this shell's environment can read those until then. End it with "keyhold lock".\n`),
      );
    });

  program
    .command('sessions')
    .description('list the sessions of this vault that have not ended')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const sessions = await withVault(globals(), (vault) => listSessions(vault));
      if (opts.json) printJson(sessions);
      else if (sessions.length === 0) say('No open sessions.\n');
      else
        printTable(
          ['SESSION', 'BEGAN', 'ENDS', 'HOLDS'],
          sessions.map((x) => [x.id.slice(0, 8), x.createdAt, x.expiresAt, f(x.holds ?? 'the whole vault')]),
        );
    });

  program.command('lock').action(() => {
    const vault = Vault.open(vaultPath(globals()));
    let ended: number;
    try {
      // With the caller's own session still valid, the vault can be unlocked to audit the lock.
      const token = sessionToken();
      if (token !== undefined) {
        try {
          unlockWithSession(vault, token);
        } catch (e) {
          if (!(e instanceof KeyholdError && e.code === 'SessionInvalid')) throw e;
        }
      }
      ended = endAllSessions(vault, 'locked');
    } finally {
      vault.close();
    }
    say(`Locked: ended ${ended} session(s) of this vault.\n`);
    if (sessionToken() !== undefined) sayErr(`You can now run: unset ${SESSION_ENV}\n`);
  });
}
