import type { Command } from 'commander';
import { createSession, DEFAULT_SESSION_MINUTES, endAllSessions, MAX_SESSION_MINUTES, SESSION_ENV, unlockWithSession } from '../../core/vault/sessions';
import { Vault } from '../../core/vault/vault';
import { KeyholdError } from '../../shared/errors';
import { sessionToken, vaultPath, withVault, type GlobalOptions } from '../context';
import { err, out, say, sayErr } from '../io';
import { wholeNumber } from '../parse';

const parseMinutes = (text: string): number =>
  wholeNumber(text, 1, MAX_SESSION_MINUTES, `--expires is a whole number of minutes from 1 to ${MAX_SESSION_MINUTES}.`);

export function registerSessionCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('unlock')
    .option('--expires <minutes>', `how long the session lasts, 1 to ${MAX_SESSION_MINUTES} minutes`, String(DEFAULT_SESSION_MINUTES))
    .option('--raw', 'print only the token')
    .action(async (opts: { expires: string; raw?: boolean }) => {
      const minutes = parseMinutes(opts.expires);
      const session = await withVault(globals(), (vault) => createSession(vault, minutes), { session: false });
      if (opts.raw) {
        out(session.token);
        return;
      }
      out(`export ${SESSION_ENV}=${session.token}\n`);
      err(
        `Session valid until ${session.expiresAt}. Run the line above in your shell (or next time: eval "$(keyhold unlock)").\n` +
          `Anyone who can read this shell's environment can open the vault until then; end it with "keyhold lock".\n`,
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
