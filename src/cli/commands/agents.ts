import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  formatOfConfig,
  importFindings,
  MCP_PROFILE_NAME,
  planWrap,
  publicFinding,
  readConfigText,
  scan,
  vaultLookup,
  type EarlierProfile,
  type Finding,
  type ImportOutcome,
  type ImportTarget,
  type LeftCredential,
  type SkippedFile,
  wrapDiff,
} from '../../core/agents';
import { assertNoBackup, assertOneName, backupOf, configTarget, restoreWrapped, storeWrapSecrets, writeWrapped } from '../../core/agents/mcp-files';
import type { SecretMask } from '../../core/devflow';
import { redactionMask } from '../../core/devflow/redact';
import { sessionToken, withItems, withVault, type GlobalOptions } from '../context';
import { KeyholdError } from '../../shared/errors';
import { cleanField, currentIo, env, err, printJson, printTable, processIo, say, sayErr, setExitCode } from '../io';
import { shellWord } from '../parse';

/** Found credentials: the exit status scripts and hooks test, as `grep` does. */
const EXIT_FOUND = 1;

const targetText = (t: ImportTarget): string => (t.type === 'byok' ? `byok ${t.kind}` : `profile ${t.agentId}/${t.name} ${t.key}`);

function printFindings(findings: readonly Finding[]): void {
  printTable(
    ['FILE:LINE', 'WHERE', 'KIND', 'KEY', 'IN VAULT'],
    findings.map((f) => [`${f.file}:${f.line}`, f.where || '-', f.label, f.masked, f.vaultItem ?? f.inVault]),
  );
}

/** The files scan meant to read and could not, after the summary: a file passed over is never silent. */
function saySkipped(skipped: readonly SkippedFile[]): void {
  if (skipped.length === 0) return;
  sayErr(`Not read (${skipped.length} file${skipped.length === 1 ? '' : 's'}):\n`);
  for (const s of skipped) sayErr(`  ${cleanField(s.path)}: ${s.message}\n`);
}

/** Said once, when an import begins a file's own profile beside the one an earlier import filled for its folder. */
function sayEarlier(earlier: readonly EarlierProfile[]): void {
  for (const e of earlier) {
    sayErr(`${e.profile}, from an earlier import, is left as it is: each file's values now go to a profile of its own (${e.now.join(', ')}).\n`);
  }
}

interface ScanOpts {
  json?: boolean;
  wellKnown: boolean;
  import?: boolean;
}

export function registerAgentToolCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('scan')
    .argument('[paths...]', 'also search these folders (honouring .gitignore) or files')
    .option('--no-well-known', "skip the agent tools' own config locations and the shell start-up files")
    .option('--import', 'store what is found in the vault (as drafts; values it already holds are skipped)')
    .option('--json', 'print the findings as JSON (values are never printed)')
    .addHelpText(
      'after',
      '\nExit status: 0 nothing found, 1 something found (after --import: 0 once every finding is in the vault).\n' +
        'Whether the vault holds a value is shown when it is open (KEYHOLD_SESSION), else "unknown".\n' +
        'Files it meant to read and could not (too large, unreadable, not UTF-8, binary, a pipe or device, a link in a folder)\n' +
        'are named on standard error after the table (--json: "skipped"); they do not change the exit status.\n' +
        "--import puts the values of each file in a profile of its own: shell/zshrc, FOLDER/env-TAG (TAG: from the folder's path).\n",
    )
    .action(async (paths: string[], opts: ScanOpts) => {
      const run = (lookup?: (value: string) => string | null) => scan({ paths, wellKnown: opts.wellKnown, env: env(), lookup });
      let outcomes: ImportOutcome[] | undefined;
      let earlier: EarlierProfile[] = [];
      let result;
      if (opts.import) {
        ({ result, outcomes, earlier } = await withVault(globals(), (vault) => {
          const found = run(vaultLookup(vault));
          return { result: found, ...importFindings(vault, found.findings) };
        }));
      } else if (sessionToken() !== undefined) {
        try {
          result = await withVault(globals(), (vault) => run(vaultLookup(vault)));
        } catch (e) {
          // A session for some items only cannot say what the vault holds: scan as without one.
          if (!(e instanceof KeyholdError && e.field === 'sessionScope')) throw e;
          result = run();
        }
      } else {
        result = run();
      }
      const { findings } = result;
      if (opts.json) {
        printJson({
          filesRead: result.filesRead,
          findings: findings.map((f, i) => ({
            ...publicFinding(f),
            ...(outcomes
              ? {
                  import: {
                    result: outcomes[i]!.result,
                    target: targetText(outcomes[i]!.target),
                    ...(outcomes[i]!.reason === undefined ? {} : { reason: outcomes[i]!.reason }),
                  },
                }
              : {}),
          })),
          skipped: result.skipped,
          ...(outcomes ? { earlier } : {}),
        });
      } else if (outcomes) {
        printTable(
          ['FILE:LINE', 'KEY', 'RESULT', 'TO'],
          outcomes.map((o) => [`${o.finding.file}:${o.finding.line}`, o.finding.masked, o.result, targetText(o.target)]),
        );
      } else {
        printFindings(findings);
      }
      const files = new Set(findings.map((f) => f.file)).size;
      if (!opts.json) {
        sayErr(`${findings.length} credential${findings.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'} (${result.filesRead} read).\n`);
        saySkipped(result.skipped);
        sayEarlier(earlier);
        if (outcomes?.some((o) => o.result === 'conflict')) {
          err('Conflicts were left as they are: the vault already holds another value there. Import those by hand.\n');
        }
        // A file's path (a folder's name) and a reason that quotes one may hold line breaks: one line each, escaped.
        for (const o of outcomes ?? []) {
          if (o.result === 'refused')
            sayErr(`Refused ${cleanField(o.finding.file)}:${o.finding.line}: ${cleanField(o.reason ?? '')} Import it by hand under another name.\n`);
          else if (o.result === 'conflict' && o.reason !== undefined)
            sayErr(`Left ${cleanField(o.finding.file)}:${o.finding.line}: ${cleanField(o.reason)} Import it by hand under another name.\n`);
        }
      }
      const remaining = outcomes ? outcomes.filter((o) => o.result === 'conflict' || o.result === 'refused').length : findings.length;
      if (remaining > 0) setExitCode(EXIT_FOUND);
    });

  const mcp = program.command('mcp');

  mcp
    .command('wrap')
    .description('rewrite an MCP config so its servers get their secrets from the vault via "keyhold run"')
    .argument('<file>', 'claude_desktop_config.json, .mcp.json, .cursor/mcp.json, .vscode/mcp.json, ~/.codex/config.toml, ~/.continue/config.yaml…')
    .option('--server <name>', 'only this server')
    .option('--dry-run', 'show the change (secrets concealed) and change nothing')
    .option('--force', 'replace an existing backup')
    .addHelpText(
      'after',
      `\nEach server's secret env values go to the profile SERVER/${MCP_PROFILE_NAME} (as a draft); its command becomes\n` +
        '"keyhold run --profile SERVER/mcp -- COMMAND ARGS…". The original file is kept as FILE.keyhold-backup;\n' +
        '"keyhold mcp unwrap FILE" puts it back. The tool must start keyhold with a session (KEYHOLD_SESSION).\n',
    )
    .action(async (file: string, opts: { server?: string; dryRun?: boolean; force?: boolean }) => {
      // As it is on disk, a byte order mark included: the backup and the check before writing compare bytes.
      const text = readConfigText(file);
      const vaultDir = globals().vault;
      const plan = planWrap(text, formatOfConfig(file), {
        server: opts.server,
        keyholdCommand: 'keyhold',
        keyholdArgs: vaultDir ? ['--vault', resolve(vaultDir)] : [],
        profileName: MCP_PROFILE_NAME,
      });
      if (plan.servers.length === 0) {
        sayErr(`No server in ${file} has secret env values to move.\n`);
        sayLeft(file, plan.left);
        return;
      }
      if (opts.dryRun) {
        say(wrapDiff(file, text, plan));
        return;
      }
      assertOneName(file);
      if (!opts.force) assertNoBackup(file);
      await withVault(globals(), async (vault) => {
        storeWrapSecrets(vault, plan, resolve(file));
        await writeWrapped(file, text, plan, vault.wrappedConfigs, { force: opts.force ?? false });
      });
      for (const s of plan.servers) {
        say(`Wrapped ${s.server}: ${s.secrets.map((x) => x.name).join(', ')} moved to profile ${s.profile.agentId}/${s.profile.name}\n`);
      }
      sayErr(`The original is in ${backupOf(file)} (it still holds the secrets: delete it once the servers work).\n`);
      // The servers start keyhold with the session of the shell the tool was started from: one for
      // their profiles only keeps the tool (and what it runs) from the rest of the vault.
      const only = [
        ...(vaultDir ? ['--vault', resolve(vaultDir)] : []),
        ...plan.servers.flatMap((s) => ['--profile', `${s.profile.agentId}/${s.profile.name}`]),
      ];
      sayErr(`Start the tool from a shell with a session for these servers only: eval "$(keyhold unlock ${only.map(shellWord).join(' ')})"\n`);
      sayLeft(file, plan.left);
      const target = configTarget(file);
      if (target !== file) {
        sayErr(`${file} is a link: the change was written to ${target}. If that file is in a repository, its history still holds the secrets.\n`);
      }
    });

  mcp
    .command('unwrap')
    .description('put back the config "keyhold mcp wrap" changed, from its backup')
    .argument('<file>')
    .option('--force', 'restore even if the file changed since it was wrapped (those changes are lost)')
    .action(async (file: string, opts: { force?: boolean }) => {
      // The vault's record of the wrap says which file to write and which backup to trust.
      const done = await withVault(globals(), (vault) => restoreWrapped(file, vault.wrappedConfigs, { force: opts.force ?? false }));
      if (done === 'unfinished') {
        say(
          `${file} was never wrapped: the wrap stopped before writing it. Its backup and the vault's record of the wrap are removed; the file is as it was.\n`,
        );
      } else {
        say(`Restored ${file}\n`);
      }
    });

  program
    .command('redact')
    .option('--mask <text>', 'what a concealed value becomes', '<concealed by keyhold>')
    .addHelpText('after', '\nFor a Claude Code PostToolUse hook, see the README. Needs an open vault (KEYHOLD_SESSION) or the password.\n')
    .action(async (opts: { mask: string }) => {
      // With a session for some items only, what it holds: the values the tool it serves can get.
      const values = await withItems(globals(), (items) => items.values());
      await redactStream(redactionMask(values, { mask: opts.mask }));
    });
}

/** The credentials a wrap leaves in the file (a command's arguments, a comment): the file is not clean. */
function sayLeft(file: string, left: readonly LeftCredential[]): void {
  if (left.length === 0) return;
  sayErr(`Still in ${file}, where a wrap cannot move them (a command's arguments, a comment): move these by hand.\n`);
  for (const l of left) sayErr(`  line ${l.line}${l.where ? ` ${l.where}` : ''}: ${l.label}\n`);
}

/** Standard input through the mask to standard output, in large reads; a closed output ends it quietly. */
async function redactStream(mask: SecretMask): Promise<void> {
  const masker = mask.createMasker();
  const io = currentIo();
  // A file on standard input (`< big.log`) is read in 1 MiB reads. Anything else goes through the
  // stream Node made for it: a hook runner that is itself a Node program (Claude Code) hands over
  // a non-blocking pipe, where fs reads of fd 0 fail with EAGAIN as soon as the writer pauses.
  const { createReadStream, fstatSync } = await import('node:fs');
  const fromFile = io === processIo() && fstatSync(0).isFile();
  const input = fromFile ? createReadStream('', { fd: 0, highWaterMark: 1 << 20 }) : io.stdin;
  // A closed output ends the binary quietly (guardClosedPipes in io.ts).
  const write = (chunk: Buffer) =>
    chunk.length === 0 || io.stdout.write(chunk) ? Promise.resolve() : new Promise<void>((r) => io.stdout.once('drain', () => r()));
  for await (const chunk of input) await write(masker.write(chunk as Buffer));
  await write(masker.end());
}
