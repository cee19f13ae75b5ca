import type { Command } from 'commander';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { buildChildEnv, findReferences, isEnvName, parseReference, renderTemplate, runWithSecrets, writeFileExclusive0600 } from '../../core/devflow';
import type { EnvSource, KeyholdReference } from '../../core/devflow';
import { quoteName } from '../../core/devflow/env-names';
import {
  assertProjectTrusted,
  findProjectFile,
  projectFilePath,
  projectTrust,
  PROJECT_FILE,
  readProjectFile,
  readTemplateFile,
  type ProjectFile,
  type ProjectTrust,
} from '../../core/agents/project-file';
import type { Vault } from '../../core/vault/vault';
import type { ByokDetail } from '../../shared/domain';
import { plural } from '../../shared/text';
import { KeyholdError } from '../../shared/errors';
import { withItems, withVault, type GlobalOptions } from '../context';
import { vaultItems, type ItemReader, type SessionProfile } from '../../core/vault/session-items';
import { cleanField as f, confirm, currentIo, env, err, keepRunningOnClosedOutput, out, printJson, printTable, say, sayErr, setExitCode } from '../io';
import { checkOutputFile, readTextFile } from '../files';
import { collect } from '../parse';

/** The variable a BYOK key is injected as: the name each provider's own SDK reads. Documented in the README. */
export const BYOK_ENV_NAME: Record<ByokDetail['provider'], string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  google: 'GOOGLE_API_KEY',
  other: 'KEYHOLD_BYOK_KEY',
};

const isNotFound = (e: unknown) => e instanceof KeyholdError && e.code === 'NotFound';

function readSources(items: ItemReader, profiles: readonly string[], kinds: readonly string[]): EnvSource[] {
  const sources: EnvSource[] = [];
  for (const ref of profiles) {
    const profile = items.profile(ref);
    const label = `profile ${profile.agentId}/${profile.name}`;
    const badName = Object.keys(profile.authData).find((key) => !isEnvName(key));
    if (badName !== undefined) {
      throw new KeyholdError(
        'BadInput',
        `The key ${quoteName(badName)} of ${label} is not a valid environment variable name (letters, digits and "_", not starting with a digit). Rename it to use the profile with "keyhold run".`,
        { field: badName },
      );
    }
    sources.push({ label, values: profile.authData });
    // The Kura auth token rides along under its agent's variable name (the reveal above audited it);
    // a profile without one still runs.
    if (profile.authToken) {
      sources.push({ label: `the Kura token of ${label}`, values: { [profile.tokenEnv]: profile.authToken } });
    } else if (currentIo().stderr.isTTY === true) {
      // Only a person at a terminal is told: a script's stderr stays the command's own.
      const reason = items.whyNoToken(profile.id);
      if (reason !== null) sayErr(`keyhold: note: Keyhold does not set ${profile.tokenEnv}. ${reason}\n`);
    }
  }
  for (const kind of kinds) {
    const key = items.byok(kind);
    sources.push({ label: `byok ${key.kind}`, values: { [BYOK_ENV_NAME[key.provider]]: key.apiKey } });
  }
  return sources;
}

/**
 * Resolves keyhold:// references through the vault or a session for some items only; each item is
 * read (and, from the vault, its reveal audited) once per command.
 */
function itemResolver(items: ItemReader): (ref: KeyholdReference) => string | undefined {
  // Keyed by agent id and name apart: both may hold "/", so "a/b" + "c" and "a" + "b/c" differ.
  const profiles = new Map<string, SessionProfile | null>();
  const keys = new Map<string, string | null>();
  return (ref) => {
    if (ref.type === 'byok') {
      if (!keys.has(ref.kind)) {
        try {
          keys.set(ref.kind, items.byok(ref.kind).apiKey);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          keys.set(ref.kind, null);
        }
      }
      return keys.get(ref.kind) ?? undefined;
    }
    const key = JSON.stringify([ref.agentId, ref.name]);
    if (!profiles.has(key)) profiles.set(key, items.named(ref.agentId, ref.name));
    const profile = profiles.get(key);
    if (!profile) return undefined;
    if (ref.type === 'token') {
      // No token is an error that says why (never synced, renamed…), not an unknown reference.
      const why = profile.authToken === null ? items.whyNoToken(profile.id) : null;
      if (why !== null) throw new KeyholdError('NotFound', why);
      return profile.authToken ?? undefined;
    }
    return Object.hasOwn(profile.authData, ref.key) ? profile.authData[ref.key] : undefined;
  };
}

/** The variables a trusted keyhold.toml names, each resolved; an unknown reference is an error, not a gap. */
function projectSource(vault: Vault, file: ProjectFile): EnvSource {
  assertProjectTrusted(vault, file);
  const resolve = itemResolver(vaultItems(vault));
  const values: Record<string, string> = {};
  for (const [name, text] of Object.entries(file.refs)) {
    const value = resolve(parseReference(text));
    if (value === undefined) throw new KeyholdError('NotFound', `${file.path}: ${name} names ${text}, which the vault does not hold.`, { field: name });
    values[name] = value;
  }
  return { label: file.path, values };
}

/** The keyhold.toml named on the command line (or the one in a folder named), else the nearest one from here up. */
function projectFileNamed(path: string | undefined): string {
  if (path !== undefined) return existsSync(path) && statSync(path).isDirectory() ? join(path, PROJECT_FILE) : path;
  const found = findProjectFile(process.cwd());
  if (found === null) throw new KeyholdError('NotFound', `No ${PROJECT_FILE} in this folder or any folder above it; name the file.`);
  return found;
}

/** What a file lists, each line marked against what was trusted at its path before (nothing: all new). */
function printReferences(file: ProjectFile, trust: ProjectTrust): void {
  const mark = (name: string): string => (trust.state !== 'changed' || trust.added.includes(name) ? 'new' : trust.changed.includes(name) ? 'changed' : '');
  const names = Object.keys(file.refs).sort();
  const removed = trust.state === 'changed' ? trust.removed : [];
  if (file.kind === 'template') {
    // A template's references are their own names.
    say(`${f(file.path)} holds ${plural(names.length, 'reference')}:\n`);
    printTable(['REFERENCE', ''], [...names.map((ref) => [f(ref), mark(ref)]), ...removed.map((ref) => [f(ref), 'removed'])]);
    return;
  }
  const before = trust.state === 'changed' ? trust.before : {};
  say(`${f(file.path)} lists ${plural(names.length, 'variable')}:\n`);
  printTable(
    ['VARIABLE', 'REFERENCE', ''],
    [...names.map((name) => [name, f(file.refs[name] as string), mark(name)]), ...removed.map((name) => [name, f(before[name] as string), 'removed'])],
  );
}

/**
 * Refuses a template that is another program's output rather than a file (`-i <(…)`, /dev/fd/N):
 * its path is a process's descriptor, a new one at every run, so trust kept by path never applies
 * to it again. Standard input needs no trust, so that is where it goes.
 */
function refuseTemplateFromProcess(file: ProjectFile): void {
  if (file.kind !== 'template' || !file.path.startsWith('/proc/')) return;
  throw new KeyholdError(
    'BadInput',
    `${file.path} is another program's output (such as <(…)), not a file, so it cannot be trusted by its path. Pipe it in instead: "keyhold inject -i -" needs no trust.`,
  );
}

/**
 * What "keyhold trust" was named: the nearest keyhold.toml (or the one in a folder named), or a
 * template for "keyhold inject" (any other file), read once: what is shown is what is trusted.
 */
function trustTarget(path: string | undefined): ProjectFile {
  if (path === '-') {
    // It would be read from standard input and recorded as a file named "-" in this folder.
    throw new KeyholdError('BadInput', 'A template on standard input needs no trust ("keyhold inject -i -" fills it in as it is); name a file to trust.');
  }
  const named = projectFileNamed(path);
  if (basename(named) === PROJECT_FILE) return readProjectFile(named, readTextFile(named, `the ${PROJECT_FILE}`));
  const template = readTemplateFile(named, readTextFile(named, 'the template'));
  refuseTemplateFromProcess(template);
  return template;
}

/**
 * Whether writing `output` would replace the file `template` was read from: the same file by another
 * spelling (`./t`, a `..`, a linked folder) or a hard link. A link named as the output is replaced
 * itself, not followed, so it is compared as a link.
 */
function isTemplateItself(template: string, output: string): boolean {
  try {
    const read = statSync(template);
    const replaced = lstatSync(output);
    return read.dev === replaced.dev && read.ino === replaced.ino;
  } catch {
    return false;
  }
}

interface TrustOptions {
  yes?: boolean;
  revoke?: boolean;
  list?: boolean;
  json?: boolean;
}

interface RunOptions {
  profile?: string[];
  byok?: string[];
  allowEnv?: string[];
  mask: boolean;
}

export function registerDevflowCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .option(
      '--profile <ref>',
      'inject this profile\'s keys as variables, and its Kura token as KURA_AUTH_TOKEN (see "agent set --token-env"; repeatable)',
      collect,
    )
    .option('--byok <kind>', `inject the BYOK key of this agent kind as ${Object.values(BYOK_ENV_NAME).join(' / ')} by provider (repeatable)`, collect)
    .option('--allow-env <name>', 'inject this key although it changes how programs run (NODE_OPTIONS, LD_PRELOAD, PATH…; repeatable)', collect)
    .option('--no-mask', "do not conceal the injected values in the command's output")
    .argument('<command>', 'the program to run (after "--"), without a shell')
    .argument('[args...]', 'its arguments, passed as they are')
    .showHelpAfterError('(put the command after "--": keyhold run --profile REF -- COMMAND [ARGS...])')
    .addHelpText(
      'after',
      '\nWithout --profile or --byok, the variables listed in the nearest keyhold.toml (this folder or above) are injected,\n' +
        'once you have read and trusted it ("keyhold trust").\n' +
        '\nExample:\n  keyhold run --profile crm-bot/prod --byok claude-code -- node agent.js --verbose\n',
    )
    .action(async (command: string, args: string[], opts: RunOptions) => {
      const profiles = opts.profile ?? [];
      const kinds = opts.byok ?? [];
      const projectFile = profiles.length === 0 && kinds.length === 0 ? findProjectFile(process.cwd()) : null;
      if (profiles.length === 0 && kinds.length === 0 && projectFile === null) {
        throw new KeyholdError(
          'BadInput',
          `Nothing to inject: give at least one --profile REF or --byok KIND, or run it where a ${PROJECT_FILE} lists the variables.`,
        );
      }
      const project = projectFile === null ? null : readProjectFile(projectFile, readTextFile(projectFile, `the ${PROJECT_FILE}`));
      // The vault is closed (its key zeroed) before the command starts: it runs with its values only.
      // A keyhold.toml needs the vault (its trust is a vault record); named items can also come from a
      // session opened for them only.
      const sources =
        project === null
          ? await withItems(globals(), (items) => readSources(items, profiles, kinds))
          : await withVault(globals(), (vault) => [projectSource(vault, project)]);
      const allowEnv = opts.allowEnv ?? [];
      const childEnv = buildChildEnv(sources, process.platform, allowEnv, env());
      // Output that nobody reads any more is the child's to notice (EPIPE); this process waits for it.
      keepRunningOnClosedOutput();
      const io = currentIo();
      const result = await runWithSecrets({
        command,
        args,
        env: childEnv,
        mask: opts.mask,
        allowEnv,
        baseEnv: env(),
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
      });
      if ('code' in result) {
        setExitCode(result.code);
        return;
      }
      // Ending the same way lets a shell or supervisor see what happened to the command. The exit
      // code is the shell's convention for a signal Node ignores when raised (SIGPIPE).
      setExitCode(128 + (constants.signals[result.signal] ?? 0));
      io.raiseSignal?.(result.signal);
    });

  program
    .command('trust')
    .argument('[file]', `the ${PROJECT_FILE} or its folder (default: the nearest one, this folder or above), or a template for "keyhold inject"`)
    .option('-y, --yes', 'trust it without asking (a script that has checked it)')
    .option('--revoke', 'stop trusting it')
    .option('--list', 'list the trusted files')
    .option('--json', 'with --list: print JSON')
    .addHelpText(
      'after',
      `\nA ${PROJECT_FILE} chooses which secrets "keyhold run" hands to the command, and a template which ones\n` +
        '"keyhold inject" writes out, so each is used only while it lists exactly the references you trusted;\n' +
        'a comment or a reordering needs no new trust.\n',
    )
    .action(async (path: string | undefined, opts: TrustOptions) => {
      if (opts.list) {
        if (path !== undefined || opts.revoke || opts.yes) throw new KeyholdError('BadInput', 'Give --list alone (with --json if you like).');
        const { files, damaged } = await withVault(globals(), (vault) => vault.trustedFiles.list());
        if (damaged.length > 0) {
          err(
            `keyhold: ${plural(damaged.length, 'damaged trust record')} could not be read (${damaged.join(', ')}); those files count as not trusted. Run "keyhold doctor" for details.\n`,
          );
        }
        if (opts.json) printJson(files);
        else if (files.length === 0) say('No trusted files.\n');
        else
          printTable(
            ['FILE', 'REFERENCES', 'TRUSTED'],
            files.map((t) => [f(t.path), String(Object.keys(t.refs).length), t.trustedAt]),
          );
        return;
      }
      if (opts.json) throw new KeyholdError('BadInput', '--json goes with --list.');
      if (opts.revoke) {
        // A deleted project's file can still be named by the path it had.
        const where = projectFilePath(projectFileNamed(path));
        if (!(await withVault(globals(), (vault) => vault.trustedFiles.revoke(where)))) {
          throw new KeyholdError('NotFound', `${where} is not trusted.`);
        }
        say(`No longer trusted: ${f(where)}\n`);
        return;
      }
      // The file is read once: what is shown is what is trusted, whatever it says by the time you answer.
      const file = trustTarget(path);
      await withVault(globals(), async (vault) => {
        const trust = projectTrust(vault, file);
        if (trust.state === 'trusted') {
          say(`${f(file.path)} is already trusted with these references.\n`);
          return;
        }
        printReferences(file, trust);
        if (!opts.yes) {
          if (!currentIo().stdin.isTTY) {
            throw new KeyholdError('BadInput', 'Nothing was trusted: there is no terminal to confirm on. Read the file, then run it again with --yes.');
          }
          const question = file.kind === 'project' ? 'Let "keyhold run" inject these?' : 'Let "keyhold inject" write these out?';
          if (!(await confirm(`${question} [y/N] `))) throw new KeyholdError('Cancelled', 'Nothing was trusted.');
        }
        vault.trustedFiles.trust(file);
        say(`Trusted: ${f(file.path)}\n`);
      });
    });

  program
    .command('inject')
    .requiredOption('-i, --in-file <template>', 'the template ("-" for standard input)')
    .option('-o, --out-file <file>', 'write the result to FILE, created readable by you only (0600), instead of standard output')
    .option('--force', 'replace FILE if it exists')
    .addHelpText(
      'after',
      '\nReferences: keyhold://profile/AGENT_ID/NAME/KEY, keyhold://token/AGENT_ID/NAME (the Kura auth token)\n' +
        'and keyhold://byok/KIND, bare or as {{ keyhold://… }}.\n' +
        'Characters outside A-Z a-z 0-9 - . _ ~ are written %XX (UTF-8).\n' +
        '\nA template file is used once you have read and trusted its references ("keyhold trust TEMPLATE");\n' +
        'one on standard input needs no trust.\n',
    )
    .action(async (opts: { inFile: string; outFile?: string; force?: boolean }) => {
      const template = readTextFile(opts.inFile, 'the template');
      // A malformed reference is reported before the password is asked for.
      findReferences(template);
      // A template file arrives like a keyhold.toml, with a clone or a pull, and chooses which secrets
      // are written out: it is used only as trusted. What comes on standard input is the person's own.
      const fromFile = opts.inFile === '-' ? null : readTemplateFile(opts.inFile, template);
      if (fromFile !== null && Object.keys(fromFile.refs).length > 0) refuseTemplateFromProcess(fromFile);
      if (opts.outFile !== undefined) {
        if (opts.inFile !== '-' && isTemplateItself(opts.inFile, opts.outFile)) {
          // With --force the template, often committed, was replaced by its secrets.
          throw new KeyholdError(
            'BadInput',
            `${opts.outFile} is the template itself: filled in, it would hold the secrets in place of the references. Name another file with -o.`,
          );
        }
        await checkOutputFile(opts.outFile, opts.force);
      }
      // What it was trusted with is in the vault; standard input and a template without references
      // can also be filled from a session for some items only.
      const rendered =
        fromFile !== null && Object.keys(fromFile.refs).length > 0
          ? await withVault(globals(), (vault) => {
              assertProjectTrusted(vault, fromFile);
              return renderTemplate(template, itemResolver(vaultItems(vault)));
            })
          : await withItems(globals(), (items) => renderTemplate(template, itemResolver(items)));
      if (opts.outFile === undefined) out(rendered);
      else await writeFileExclusive0600(opts.outFile, rendered, { force: opts.force ?? false });
    });
}
