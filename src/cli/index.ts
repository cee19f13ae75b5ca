import { Command, CommanderError } from 'commander';
import { toErrorPayload } from '../shared/errors';
import { registerAgentCommands } from './commands/agent';
import { registerAgentToolCommands } from './commands/agents';
import { registerByokCommands } from './commands/byok';
import { registerCompletionCommand } from './commands/completion';
import { registerDevflowCommands } from './commands/devflow';
import { registerProfileCommands } from './commands/profile';
import { registerRemoteCommands } from './commands/remote';
import { registerShareCommands } from './commands/share';
import { registerSessionCommands } from './commands/session';
import { registerSyncCommands } from './commands/sync';
import { registerTrashCommands } from './commands/trash';
import { registerVaultCommands } from './commands/vault';
import { EXIT, exitCodeFor } from './exit-codes';
import { cleanField, guardClosedPipes } from './io';
import type { GlobalOptions } from './context';

guardClosedPipes();

const program = new Command('keyhold')
  .description('Keyhold: a local-first vault for agent auth profiles and BYOK provider keys')
  .version('0.1.0')
  .option('--vault <dir>', 'vault directory (default: $KEYHOLD_VAULT, else the desktop app\'s data directory)')
  .showHelpAfterError('(run with --help for usage)')
  // Set before the subcommands are added so they inherit it: usage errors reach the handler below.
  .exitOverride();
program.configureOutput({ writeErr: (s) => process.stderr.write(s) });

// An engine error that points at a confirmation the call lacked: say which flag gives it.
const CONFIRM_FLAG: Partial<Record<string, string>> = {
  confirmNewRemote: 'Pass --new-remote to go ahead.',
  confirmTokenLoss: 'Pass --force to delete it anyway.',
  confirmPurge: 'Pass --yes to go ahead.',
  allowEnv: 'To allow one: --allow-env NAME.',
  weakPassword: 'Choose a stronger one, or pass --weak-password to use it anyway.',
  damaged: 'Run "keyhold doctor" to list every damaged item; "keyhold doctor --salvage FILE" saves what is readable.',
  replaceBackup: 'Use --force to replace it.',
  restoreChanged: 'Use --force to restore it anyway.',
};

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerVaultCommands(program, globals);
registerRemoteCommands(program, globals);
registerAgentCommands(program, globals);
registerProfileCommands(program, globals);
registerByokCommands(program, globals);
registerTrashCommands(program, globals);
registerSyncCommands(program, globals);
registerShareCommands(program, globals);
registerSessionCommands(program, globals);
registerDevflowCommands(program, globals);
registerAgentToolCommands(program, globals);
registerCompletionCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const payload = toErrorPayload(e);
    const flag = CONFIRM_FLAG[payload.field ?? ''];
    // A message can carry a server's words or a name from a file: shown, never interpreted by the terminal.
    process.stderr.write(`keyhold: ${cleanField(payload.message)}${flag ? ` ${flag}` : ''}\n`);
    process.exitCode = exitCodeFor(payload.code);
  }
}
