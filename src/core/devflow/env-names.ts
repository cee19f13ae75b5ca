import { KeyholdError } from '../../shared/errors';

// The portable subset of POSIX names (IEEE 1003.1, "Environment Variables"): every shell can
// reference them as $NAME, and no OS rewrites or rejects them.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const MAX_SHOWN = 80;

/** A name quoted for an error message: names are not secrets, but they can be long or hold control characters. */
export function quoteName(name: string): string {
  const shown = name.length > MAX_SHOWN ? `${name.slice(0, MAX_SHOWN)}…` : name;
  return JSON.stringify(shown);
}

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

export function assertEnvName(name: string): void {
  if (!isEnvName(name)) {
    throw new KeyholdError('BadInput', `${quoteName(name)} is not a valid environment variable name: use letters, digits and "_", not starting with a digit.`, {
      field: name,
    });
  }
}

/** The OS refuses a NUL inside an environment value, and Node's own error would print the value. */
export function assertEnvValue(name: string, value: string): void {
  if (value.includes('\u0000')) {
    throw new KeyholdError('BadInput', `The value of ${name} contains a NUL character, which an environment variable cannot hold.`, { field: name });
  }
}

export interface EnvSource {
  /** How the person knows this source, e.g. `profile agent-1/default` or `byok openai`. */
  label: string;
  values: Readonly<Record<string, string>>;
}

// Windows looks environment names up without regard to case, so `Path` and `PATH` are one variable there.
const envKey = (name: string, platform: NodeJS.Platform): string => (platform === 'win32' ? name.toUpperCase() : name);

/**
 * Merges the variables to inject from several sources. Two sources may agree on a value; two that
 * disagree are refused, because silently picking one would run the program with a credential the
 * person did not choose.
 */
export function buildChildEnv(
  sources: readonly EnvSource[],
  platform: NodeJS.Platform = process.platform,
  allowEnv: readonly string[] = [],
): Record<string, string> {
  const merged = new Map<string, { name: string; value: string; label: string }>();
  for (const source of sources) {
    // Checked here again, whatever the vault says: a vault written before the rule, or changed
    // behind Keyhold's back, still cannot start a program with someone else's NODE_OPTIONS.
    assertEnvNamesAllowed(Object.keys(source.values), allowEnv, source.label.charAt(0).toUpperCase() + source.label.slice(1));
    for (const [name, value] of Object.entries(source.values)) {
      assertEnvName(name);
      assertEnvValue(name, value);
      const key = envKey(name, platform);
      const seen = merged.get(key);
      if (seen === undefined) {
        merged.set(key, { name, value, label: source.label });
      } else if (seen.value !== value) {
        const names = seen.name === name ? name : `${seen.name} (${name})`;
        throw new KeyholdError('Conflict', `${names} is set to different values by ${seen.label} and ${source.label}. Remove it from one of them.`, {
          field: name,
        });
      }
    }
  }
  return Object.fromEntries([...merged.values()].map(({ name, value }) => [name, value]));
}

/** The child's environment: the base environment, with every injected variable taking precedence. */
export function mergeEnv(
  base: Readonly<Record<string, string | undefined>>,
  injected: Readonly<Record<string, string>>,
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const injectedKeys = new Set(Object.keys(injected).map((name) => envKey(name, platform)));
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !injectedKeys.has(envKey(name, platform))) entries.push([name, value]);
  }
  return Object.fromEntries([...entries, ...Object.entries(injected)]);
}

// ---- variables that change how a program loads or runs ------------------------------------------
//
// A profile's keys become the environment of whatever `keyhold run` starts. Most names only carry a
// credential, but some make the program (or the interpreter, the dynamic loader, a shell it starts,
// git, an editor it opens) load or run other code: a bundle from a teammate holding NODE_OPTIONS=
// --require=/tmp/x.js runs their code on your machine. These names are refused unless the person
// allows each one by name.
//
// Sources for the list: sudo's `initial_badenv_table` (env.c: IFS, CDPATH, LOCALDOMAIN, RES_OPTIONS,
// HOSTALIASES, NLSPATH, LD_*, _RLD*, SHLIB_PATH, LIBPATH, DYLD_*, ENV, BASH_ENV, PS4, GLOBIGNORE,
// BASHOPTS, SHELLOPTS, JAVA_TOOL_OPTIONS, PERLLIB, PERL5LIB, PERL5OPT, PERL5DB, FPATH, NULLCMD,
// ZDOTDIR, TMPPREFIX, PYTHONHOME, PYTHONPATH, PYTHONINSPECT, PYTHONUSERBASE, RUBYLIB, RUBYOPT,
// TERMINFO…); glibc's UNSECURE_ENVVARS, which the loader drops for set-uid programs (LD_PRELOAD,
// LD_LIBRARY_PATH, LD_AUDIT, GCONV_PATH, LOCPATH…); GitHub Actions, which refuses NODE_OPTIONS in
// `GITHUB_ENV` for the same reason; and each runtime's documented start-up hooks (Node's
// NODE_OPTIONS/NODE_PATH, Python's PYTHONSTARTUP/PYTHONWARNINGS/PYTHONBREAKPOINT, which import
// modules, git's GIT_SSH_COMMAND/GIT_CONFIG_*/GIT_EXEC_PATH, .NET's startup hooks and profilers,
// npm's npm_config_* which set `script-shell` and `node-options`). Variables that choose which
// certificates a program trusts are here too: with them a file can make a program send its
// credentials to whoever holds the matching key.
//
// Matching ignores case: Windows looks names up without regard to it, and being strict costs nothing.

const DANGEROUS_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      ['the program search path', 'PATH PATHEXT COMSPEC'],
      ['the dynamic loader', 'LIBPATH SHLIB_PATH GCONV_PATH LOCPATH NLSPATH HOSTALIASES LOCALDOMAIN RES_OPTIONS RESOLV_HOST_CONF'],
      [
        'shells',
        'BASH_ENV ENV PS4 PROMPT_COMMAND IFS SHELLOPTS BASHOPTS GLOBIGNORE CDPATH FPATH NULLCMD READNULLCMD ZDOTDIR TMPPREFIX SHELL HOME XDG_CONFIG_HOME',
      ],
      ['Node.js', 'NODE_OPTIONS NODE_PATH NODE_REPL_EXTERNAL_MODULE NODE_EXTRA_CA_CERTS NODE_TLS_REJECT_UNAUTHORIZED ELECTRON_RUN_AS_NODE'],
      [
        'Python',
        'PYTHONSTARTUP PYTHONPATH PYTHONHOME PYTHONINSPECT PYTHONUSERBASE PYTHONEXECUTABLE PYTHONWARNINGS PYTHONBREAKPOINT PYTHONPLATLIBDIR PYTHONPYCACHEPREFIX',
      ],
      ['Ruby', 'RUBYOPT RUBYLIB RUBYSHELL GEM_HOME GEM_PATH BUNDLE_GEMFILE'],
      ['Perl', 'PERL5OPT PERL5LIB PERLLIB PERL5DB PERLIO_DEBUG'],
      ['Java', 'JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS CLASSPATH JAVA_HOME'],
      ['.NET', 'DOTNET_STARTUP_HOOKS DOTNET_ADDITIONAL_DEPS'],
      ['Lua, PHP and Tcl', 'LUA_INIT LUA_PATH LUA_CPATH PHPRC PHP_INI_SCAN_DIR TCLLIBPATH'],
      ['build tools', 'MAKEFILES MAKEFLAGS GOFLAGS GOTOOLCHAIN RUSTC RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CC CXX'],
      [
        'git',
        'GIT_SSH GIT_SSH_COMMAND GIT_EXEC_PATH GIT_ASKPASS GIT_EDITOR GIT_SEQUENCE_EDITOR GIT_PAGER GIT_EXTERNAL_DIFF GIT_PROXY_COMMAND GIT_TEMPLATE_DIR GIT_DIR GIT_WORK_TREE GIT_SSL_NO_VERIFY GIT_SSL_CAINFO',
      ],
      ['editors, pagers and prompts', 'EDITOR VISUAL PAGER MANPAGER LESSOPEN LESSCLOSE BROWSER SSH_ASKPASS SUDO_ASKPASS TERMINFO TERMINFO_DIRS'],
      ['certificate trust', 'SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE'],
    ] as const
  ).flatMap(([what, names]) => names.split(' ').map((name) => [name, what])),
);

const DANGEROUS_PREFIXES: readonly (readonly [string, string])[] = [
  ['LD_', 'the dynamic loader'],
  ['DYLD_', 'the dynamic loader'],
  ['_RLD', 'the dynamic loader'],
  ['LDR_', 'the dynamic loader'],
  ['BASH_FUNC_', 'shells'],
  ['GIT_CONFIG', 'git'],
  ['NPM_CONFIG_', 'npm'],
  ['CORECLR_', '.NET'],
  ['COR_PROFILER', '.NET'],
  ['COR_ENABLE_PROFILING', '.NET'],
];

/**
 * What a variable of this name controls, if it changes how a program loads or runs (e.g. "Node.js"
 * for NODE_OPTIONS); null for a name that only carries a value.
 */
export function dangerousEnvName(name: string): string | null {
  const upper = name.toUpperCase();
  const exact = DANGEROUS_NAMES[upper];
  if (exact !== undefined) return exact;
  for (const [prefix, what] of DANGEROUS_PREFIXES) if (upper.startsWith(prefix)) return what;
  return null;
}

/** Allowances are matched as the names are: without regard to case. */
const allowedSet = (allowed: Iterable<string>): Set<string> => new Set([...allowed].map((n) => n.toUpperCase()));

/** The names among `names` that change how a program runs and are not in `allowed`, in order. */
export function unallowedEnvNames(names: Iterable<string>, allowed: Iterable<string> = []): string[] {
  const ok = allowedSet(allowed);
  return [...names].filter((name) => dangerousEnvName(name) !== null && !ok.has(name.toUpperCase()));
}

/** The allowances that still name a key present, for storing with a profile. */
export function keptAllowances(names: Iterable<string>, allowed: Iterable<string>): string[] {
  const present = allowedSet(names);
  return [...new Set(allowed)].filter((name) => present.has(name.toUpperCase()) && dangerousEnvName(name) !== null).sort();
}

const describeDangerous = (names: readonly string[]): string =>
  names
    .slice(0, 10)
    .map((n) => `${quoteName(n)} (${dangerousEnvName(n)})`)
    .join(', ') + (names.length > 10 ? ` and ${names.length - 10} more` : '');

/**
 * Refuses variables that change how a program loads or runs unless each is allowed by name. The
 * error's field is `allowEnv` so a caller can say how it gives an allowance; `where` says what
 * holds the keys (e.g. `profile agent-1/default`).
 */
export function assertEnvNamesAllowed(names: Iterable<string>, allowed: Iterable<string>, where: string): void {
  const refused = unallowedEnvNames(names, allowed);
  if (refused.length === 0) return;
  throw new KeyholdError(
    'DangerousKey',
    `${where} has ${refused.length === 1 ? 'a key' : 'keys'} that would change how a program loads or runs when injected as ` +
      `environment variables: ${describeDangerous(refused)}. Such a variable can make a program run someone else's code; ` +
      'allow each one by name only if you set it yourself.',
    { field: 'allowEnv' },
  );
}

// ---- Keyhold's own variables ------------------------------------------------------------------------

/**
 * Keyhold's own variables (KEYHOLD_PASSWORD, KEYHOLD_SESSION, KEYHOLD_VAULT…): a program started with
 * secrets gets those secrets, not the means to open the whole vault or to find it.
 */
export const isKeyholdVariable = (name: string): boolean => name.toUpperCase().startsWith('KEYHOLD_');

/** The environment a child inherits: this process's, without Keyhold's own variables. */
export function withoutKeyholdVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isKeyholdVariable(name)));
}
