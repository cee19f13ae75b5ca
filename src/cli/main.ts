import { Command, CommanderError } from 'commander';
import { toErrorPayload } from '../shared/errors';
import { registerAgentCommands } from './commands/agent';
import { registerByokCommands } from './commands/byok';
import { registerCompletionCommand } from './commands/completion';
import { registerDevflowCommands } from './commands/devflow';
import { registerProfileCommands } from './commands/profile';
import { registerRemoteCommands } from './commands/remote';
import { registerShareCommands } from './commands/share';
import { registerSessionCommands } from './commands/session';
import { registerSyncCommands } from './commands/sync';
import { registerVaultCommands } from './commands/vault';
import type { GlobalOptions } from './context';
import { EXIT, exitCodeFor } from './exit-codes';
import { type CliIo, runWithIo } from './io';
import { VERSION } from './version';

export type { CliIo } from './io';

// An engine error that points at a confirmation the call lacked: say which flag gives it.
const CONFIRM_FLAG: Partial<Record<string, string>> = { confirmNewRemote: 'Pass --new-remote to go ahead.' };

/** Every usage error, from commander or from a command, is one line in this shape (and exits 2). */
export const usageLine = (message: string): string => `keyhold: ${message}\n`;

/** The whole `keyhold` program, built fresh for each run (commander keeps parse state on it). */
export function buildProgram(io: CliIo): Command {
  const program = new Command('keyhold')
    .description('Keyhold: a local-first vault for agent auth profiles and BYOK provider keys')
    .version(VERSION)
    .option('--vault <dir>', "vault directory (default: $KEYHOLD_VAULT, else the desktop app's data directory)")
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added so they inherit them: usage errors reach main below.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(usageLine(s.replace(/^error: /, '').trimEnd())),
    });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerVaultCommands(program, globals);
  registerRemoteCommands(program, globals);
  registerAgentCommands(program, globals);
  registerProfileCommands(program, globals);
  registerByokCommands(program, globals);
  registerSyncCommands(program, globals);
  registerShareCommands(program, globals);
  registerSessionCommands(program, globals);
  registerDevflowCommands(program, globals);
  registerCompletionCommand(program);
  return program;
}

/**
 * Runs one `keyhold` command line (without "node keyhold") against `io` and returns its exit
 * code. Nothing here touches the process: the binary passes the process's own io and exits with
 * the code; tests pass their own streams and environment.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runWithIo(io, async () => {
    try {
      await buildProgram(io).parseAsync([...argv], { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        io.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      } else {
        const payload = toErrorPayload(e);
        const flag = CONFIRM_FLAG[payload.field ?? ''];
        io.stderr.write(usageLine(`${payload.message}${flag ? ` ${flag}` : ''}`));
        io.exitCode = exitCodeFor(payload.code);
      }
    }
    return io.exitCode ?? EXIT.ok;
  });
}
