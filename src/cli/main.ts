import { Command, CommanderError } from 'commander';
import type { GlobalOptions } from './context';
import { EXIT, exitCodeFor } from './exit-codes';
import { type CliIo, cleanField, runWithIo } from './io';
import { SET_REMOTE } from './set-remote';
import { VERSION } from './version';

export type { CliIo } from './io';

type Register = (program: Command, globals: () => GlobalOptions) => void;

/*
 * Each command module is loaded only when its command runs: the engine behind a command (SQLite,
 * Argon2, age, undici, the zod schemas) costs several times Node's own start, and `keyhold --help`
 * or `keyhold profile list` should not pay for the rest. A module registers its commands; the one
 * line each top-level command shows in `keyhold --help` lives here, so that help needs no module.
 */
const MODULES = {
  vault: () => import('./commands/vault').then((m) => m.registerVaultCommands),
  remote: () => import('./commands/remote').then((m) => m.registerRemoteCommands),
  agent: () => import('./commands/agent').then((m) => m.registerAgentCommands),
  profile: () => import('./commands/profile').then((m) => m.registerProfileCommands),
  byok: () => import('./commands/byok').then((m) => m.registerByokCommands),
  trash: () => import('./commands/trash').then((m) => m.registerTrashCommands),
  sync: () => import('./commands/sync').then((m) => m.registerSyncCommands),
  share: () => import('./commands/share').then((m) => m.registerShareCommands),
  session: () => import('./commands/session').then((m) => m.registerSessionCommands),
  devflow: () => import('./commands/devflow').then((m) => m.registerDevflowCommands),
  agents: () => import('./commands/agents').then((m) => m.registerAgentToolCommands),
  completion: () =>
    import('./commands/completion').then(
      (m): Register =>
        (program) =>
          m.registerCompletionCommand(program),
    ),
} satisfies Record<string, () => Promise<Register>>;

type ModuleName = keyof typeof MODULES;

/** Every top-level command, in the order `keyhold --help` lists them: its module and its line. */
export const COMMANDS: Record<string, { module: ModuleName; description: string }> = {
  init: { module: 'vault', description: 'create a new vault (asks for a master password twice, or reads KEYHOLD_PASSWORD)' },
  passwd: { module: 'vault', description: 'change the master password and rotate the vault key (every value is re-encrypted; sessions end)' },
  doctor: { module: 'vault', description: 'check every encrypted value, the header, the listing index and the audit chain; list what is damaged' },
  log: { module: 'vault', description: 'show the security audit log' },
  remote: { module: 'remote', description: 'the Kura and Backside connections' },
  agent: { module: 'agent', description: "agents' declared input arguments, checked offline" },
  profile: { module: 'profile', description: 'agent auth profiles (REF is the id or AGENT_ID/NAME)' },
  byok: { module: 'byok', description: 'bring-your-own provider keys, one per agent kind' },
  trash: { module: 'trash', description: 'deleted profiles and BYOK keys, kept 30 days with their tokens and history (ID is the id or a unique prefix)' },
  sync: { module: 'sync', description: 'push every pending profile and BYOK key, retrying transient failures until done or --timeout' },
  status: { module: 'sync', description: 'sync state: counts, and every item that is not synced with its reason' },
  identity: {
    module: 'share',
    description: "this vault's public keys for sharing: the age recipient teammates encrypt to, and the signing key fingerprint",
  },
  contact: { module: 'share', description: "teammates' public keys: who you export to and whose signatures you recognise" },
  export: { module: 'share', description: 'write profiles (and optionally BYOK keys) to a signed, age-encrypted file for teammates' },
  import: { module: 'share', description: 'preview and import a bundle file; imported items arrive as pending (or drafts), never as synced' },
  unlock: {
    module: 'session',
    description: 'ask for the master password once and print a KEYHOLD_SESSION session for this shell (like "bw unlock"), or one for some items only',
  },
  lock: { module: 'session', description: 'end every session of this vault (never asks for the password)' },
  sessions: { module: 'session', description: 'list the sessions of this vault that have not ended, and what each holds' },
  run: { module: 'devflow', description: 'run a command with profiles\' values and BYOK keys in its environment, masked in its output (like "op run")' },
  trust: {
    module: 'devflow',
    description: 'trust a keyhold.toml (or a template), so that "keyhold run" injects (or "keyhold inject" fills in) what it lists (like "direnv allow")',
  },
  inject: { module: 'devflow', description: 'fill a template: every keyhold:// reference is replaced by its value (like "op inject")' },
  scan: { module: 'agents', description: 'find API keys lying in agent configs (MCP env blocks), .env files and shell start-up files' },
  mcp: { module: 'agents', description: 'move the secrets of MCP server configs into the vault' },
  redact: {
    module: 'agents',
    description:
      'copy standard input to standard output with every value the vault holds concealed (also base64, hex, URL-encoded, and escaped in JSON, Python or HTML)',
  },
  completion: { module: 'completion', description: 'print a shell completion script: bash, zsh or fish' },
};

// An engine error names the field it concerns (a confirmation the call lacked, a missing item):
// the CLI adds, in its own terms, what to type next.
const CONFIRM_FLAG: Partial<Record<string, string>> = {
  confirmNewRemote: 'Pass --new-remote to go ahead.',
  confirmTokenLoss: 'Pass --force to delete it anyway.',
  confirmPurge: 'Pass --yes to go ahead.',
  allowEnv: 'To allow one: --allow-env NAME.',
  weakPassword: 'Choose a stronger one, or pass --weak-password to use it anyway.',
  damaged: 'Run "keyhold doctor" to list every damaged item; "keyhold doctor --salvage FILE" saves what is readable.',
  replaceBackup: 'Use --force to replace it.',
  restoreChanged: 'Use --force to restore it anyway.',
  // Core says what is missing in neutral words and names it with a field; the CLI says where to look.
  replaceFile: 'Use --force to replace it.',
  credential: 'Give it with --api-key-stdin (kura) or --token-stdin (backside).',
  noVault: 'Create one with "keyhold init".',
  kuraConnection: `Set it with "${SET_REMOTE.kura}".`,
  backsideConnection: `Set it with "${SET_REMOTE.backside}".`,
  session: 'Run "keyhold unlock" for a new session.',
  unknownProfile: 'Name it by its id, a 6+ character id prefix or AGENT_ID/NAME (see "keyhold profile list").',
  inTrash: 'See "keyhold trash list"; "keyhold trash restore ID" brings it back.',
  unknownVersion: 'See "keyhold profile history".',
  unknownByokVersion: 'See "keyhold byok history KIND".',
  unknownKind: 'See "keyhold byok list".',
  unknownContact: 'See "keyhold contact list".',
  undeclaredImport: 'Declare them with "keyhold agent set", or import with --on-conflict skip.',
  select: 'Give --all, --select REF or --with-byok (not --all with --select).',
  notExportable: 'Change it ("keyhold profile edit ID", "keyhold byok set"), or export a selection without it (--select).',
  target: 'Give --to RECIPIENT or a passphrase, not both.',
  trustFile: 'To trust it, run "keyhold trust" from this folder.',
  trustTemplate: 'To trust it, run "keyhold trust" with its path.',
  wrapServer: 'To wrap one server: --server NAME.',
};

/** Every error, from commander or from a command, is one line in this shape on standard error. */
export const errorLine = (message: string): string => `keyhold: ${message}\n`;

/**
 * The root `keyhold` command with its global options, before any command is registered. Commander
 * reads the root's options after a command's name too (`keyhold profile list --vault DIR`), so
 * `--version` is left off when a command is named: `keyhold profile history REF --version 2` would
 * otherwise print Keyhold's version and succeed instead of saying the command has no such option.
 */
function rootProgram(io: CliIo, withVersion = true): Command {
  const program = new Command('keyhold').description('Keyhold: a local-first vault for agent auth profiles and BYOK provider keys');
  if (withVersion) program.version(VERSION);
  return (
    program
      .option('--vault <dir>', "vault directory (default: $KEYHOLD_VAULT, else the desktop app's data directory)")
      .showHelpAfterError('(run with --help for usage)')
      // Set before the subcommands are added so they inherit them: usage errors reach main below.
      .exitOverride()
      .configureOutput({
        writeOut: (s) => io.stdout.write(s),
        writeErr: (s) => io.stderr.write(s),
        outputError: (s, write) => write(errorLine(s.replace(/^error: /, '').trimEnd())),
      })
  );
}

/** Registers the commands of `modules` (all of them when omitted) with their help lines. */
async function registerModules(program: Command, modules: readonly ModuleName[] = Object.keys(MODULES) as ModuleName[]): Promise<void> {
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  for (const register of await Promise.all(modules.map((name) => MODULES[name]()))) register(program, globals);
  for (const command of program.commands) {
    const entry = COMMANDS[command.name()];
    if (entry) command.description(entry.description);
  }
  // Help lists commands in the table's order, whichever module registered them first.
  const order = Object.keys(COMMANDS);
  (program.commands as Command[]).sort((a, b) => order.indexOf(a.name()) - order.indexOf(b.name()));
}

/** The whole `keyhold` program, every command registered (completion and tests walk it). */
export async function buildProgram(io: CliIo): Promise<Command> {
  const program = rootProgram(io);
  await registerModules(program);
  return program;
}

/** The top-level command a command line names, skipping the global options before it. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--vault') i++;
    else if (!word.startsWith('-')) return word === 'help' ? argv[i + 1] : word;
    else if (word === '--') return undefined;
  }
  return undefined;
}

/** The program for this command line: only the module of the command named, or one line per command for help. */
async function programFor(argv: readonly string[], io: CliIo): Promise<Command> {
  const word = commandWord(argv);
  const entry = word === undefined || !Object.hasOwn(COMMANDS, word) ? undefined : COMMANDS[word];
  // The completion script offers every root option, --version included.
  const program = rootProgram(io, entry === undefined || entry.module === 'completion');
  if (entry === undefined || entry.module === 'completion') {
    if (entry === undefined) {
      // No command, or one that does not exist: commander shows the list (or the nearest name).
      for (const [name, { description }] of Object.entries(COMMANDS)) program.command(name).description(description);
    } else await registerModules(program);
    return program;
  }
  await registerModules(program, [entry.module]);
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
      const program = await programFor(argv, io);
      await program.parseAsync([...argv], { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        io.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      } else {
        const { toErrorPayload } = await import('../shared/errors');
        const payload = toErrorPayload(e);
        const flag = CONFIRM_FLAG[payload.field ?? ''];
        // A message can carry a server's words or a name from a file: shown, never interpreted by the terminal.
        io.stderr.write(errorLine(`${cleanField(payload.message)}${flag ? ` ${flag}` : ''}`));
        io.exitCode = exitCodeFor(payload.code);
      }
    }
    return io.exitCode ?? EXIT.ok;
  });
}
