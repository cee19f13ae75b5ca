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

/**
 * Free text as a part of an environment variable name, in upper snake case: `Claude Sonnet` is
 * `CLAUDE_SONNET`, `Café` `CAFE` (accents dropped, compatibility forms such as `ﬁ` spelled out),
 * `x-api-key` `X_API_KEY`; at most `maxChars` long, never starting or ending with `_`; empty when
 * no letter or digit of it is left. The one rule for the names a scan gives what it finds.
 */
export function envNamePart(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, maxChars)
    .replace(/_+$/, '');
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
  /** The environment the program also inherits: whose credentials an injected address must not take. */
  inherited: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  assertNoAddressForOthers(sources, inherited, allowEnv);
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

// The one KEYHOLD_ name Keyhold gives a program itself: the key of an `other` BYOK item (BYOK_ENV_NAME
// in src/cli/commands/devflow.ts). No keyhold reads it, so a profile may hold it too.
const GIVEN_BY_KEYHOLD = 'KEYHOLD_BYOK_KEY';

/**
 * A name a profile cannot give a program, allowed or not. Stripping Keyhold's variables from what a
 * child inherits is not enough: a key of that name in a profile would be injected, and a keyhold the
 * program starts (an apiKeyHelper, a wrapped MCP server) would take it as its own setting: another
 * vault (KEYHOLD_VAULT), another password or session, a lower KDF floor (KEYHOLD_INSECURE_TEST_KDF).
 */
export const isReservedForKeyhold = (name: string): boolean => isKeyholdVariable(name) && name.toUpperCase() !== GIVEN_BY_KEYHOLD;

const KEYHOLD_ITSELF = 'Keyhold itself';

// ---- variables that change how a program loads or runs ------------------------------------------
//
// A profile's keys become the environment of whatever `keyhold run` starts. Most names only carry a
// credential, but some make the program (or the interpreter, the dynamic loader, a shell it starts,
// git, an editor it opens) load or run other code: a bundle from a teammate holding NODE_OPTIONS=
// --require=/tmp/x.js runs their code on your machine. These names are refused unless the person
// allows each one by name. The test for a name: set by a stranger (a bundle, a .env file in a clone),
// it makes a common program run their code, load their library, trust their certificate or proxy,
// or write secrets where they choose. A name that only carries a value, or only tunes behaviour, is
// not here: every name on the list costs a legitimate user an --allow-env.
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
// Then, program by program, from each one's documentation; the ones marked (reproduced) were run
// against the real program with a value as an attacker would write it:
// - OpenSSL (openssl-env(7), config(5)): OPENSSL_CONF names a config whose `engines` section loads a
//   shared object (`dynamic_path`), at start-up, in every program linked with OpenSSL that loads the
//   config: the openssl tool, curl, Python's ssl, and Node itself (its `nodejs_conf` section)
//   (reproduced); OPENSSL_ENGINES (reproduced) and OPENSSL_MODULES are where engines and providers
//   are loaded from.
//   SSLKEYLOGFILE (the NSS key log format, honoured by curl, NSS, Chrome and Python's
//   ssl.create_default_context) writes every TLS session key to the named file: whoever reads it
//   decrypts captured traffic.
// - Vim (`:help initialization`, `:help $VIMRUNTIME`): VIMINIT, GVIMINIT and EXINIT are Ex commands run
//   at start-up (`:!cmd` runs a shell command: the editor git opens for a commit is enough); VIMRUNTIME
//   and VIM choose where defaults.vim and the runtime scripts are sourced from (all reproduced).
//   MYVIMRC is not here: Vim sets it to the vimrc it read, and never reads a vimrc from it (checked).
//   Emacs' EMACSLOADPATH chooses where site-start.el is loaded from. less(1) runs LESS as options
//   (`+!cmd` runs a shell command when git pages its output) and reads LESSKEYIN/LESSKEY files, whose
//   #env section sets LESSOPEN (both reproduced).
//   man-db's MANOPT takes -P (the pager to run). systemctl and journalctl run SYSTEMD_PAGER and
//   SYSTEMD_EDITOR (systemd(1), "Environment") as commands.
// - AWS ("Sourcing credentials with an external process"): AWS_CONFIG_FILE and
//   AWS_SHARED_CREDENTIALS_FILE may hold `credential_process`, a command the CLI and SDKs run (both
//   reproduced). Kubernetes' client-go runs the `exec` credential plugin a KUBECONFIG names; kubectl
//   runs KUBE_EDITOR and KUBECTL_EXTERNAL_DIFF. The Docker CLI runs every plugin in DOCKER_CONFIG's
//   cli-plugins folder (even for `docker --help`: reproduced), DOCKER_HOST sends builds and registry
//   credentials (X-Registry-Auth) to another daemon, and COMPOSE_FILE chooses what `docker compose
//   up` runs.
//   gcloud runs CLOUDSDK_PYTHON and reads its configuration from CLOUDSDK_CONFIG; `az` loads Python
//   extensions from AZURE_CONFIG_DIR/AZURE_EXTENSION_DIR; Terraform's CLI config
//   (TF_CLI_CONFIG_FILE) can point providers at other binaries (dev_overrides); Google's auth
//   libraries run a credential file's `executable` only when GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES
//   is set. ANSIBLE_CONFIG names the ansible.cfg read first, whose plugin folders (callbacks,
//   connections, lookups) are Python that runs.
// - Build tools: the JVM options of Maven, Gradle, sbt and Ant (MAVEN_OPTS, GRADLE_OPTS, SBT_OPTS,
//   ANT_OPTS, JAVA_OPTS which launcher scripts pass on: -javaagent loads a jar), MAVEN_ARGS and
//   ANT_ARGS (extensions, listeners), GRADLE_USER_HOME (its init.d scripts run in every build);
//   Cargo's configuration variables (doc.rust-lang.org/cargo/reference/config.html: CARGO_BUILD_*
//   such as build.rustc-wrapper, CARGO_TARGET_<triple>_RUNNER/LINKER, a registry's
//   credential-provider, which is a command), CARGO_HOME (its config.toml), rustup's RUSTUP_TOOLCHAIN
//   (may be a path) and RUSTUP_HOME; the C compiler's flags and search paths (CFLAGS=-fplugin=x.so,
//   COMPILER_PATH, GCC_EXEC_PREFIX, LIBRARY_PATH, CPATH…), used by make, node-gyp and pip builds, and
//   cgo's CGO_*FLAGS; Go's GOENV (a file of go settings), GOROOT, GOPATH and GOMODCACHE (code in the
//   module cache is not checked again). GOPROXY is not here: the go command checks every module
//   against the checksum database (go.sum, sum.golang.org), which is what lets it use an untrusted
//   proxy; the variables that turn that check off are here instead (GOSUMDB, GONOSUMDB, GOPRIVATE)
//   with GOINSECURE. Package indexes are different: pip (PIP_<option>, e.g. PIP_INDEX_URL,
//   PIP_CONFIG_FILE), uv (UV_INDEX_URL…) and Yarn (YARN_NPM_REGISTRY_SERVER, YARN_YARN_PATH) install
//   whatever the index serves, and installing a package runs its build or install scripts; npm's
//   registry is already covered by npm_config_*.
// - Ruby's GEMRC, Composer's COMPOSER_HOME (global plugins run on every command) and COMPOSER (the
//   composer.json, with its scripts); R's start-up files (R_PROFILE_USER, R_ENVIRON_USER…) and library
//   paths; Julia's depot (config/startup.jl); IPython's and Jupyter's configuration directories, which
//   hold Python run at start-up; psql's PSQLRC (`\!` runs a command); the MySQL client's
//   LIBMYSQL_PLUGINS/LIBMYSQL_PLUGIN_DIR (shared objects).
// - Version control other than git: Mercurial's HGRCPATH (hooks) and HGEDITOR, Subversion's SVN_SSH
//   and SVN_EDITOR, CVS's CVS_RSH, CVS_SERVER and CVSEDITOR, rsync's RSYNC_RSH and RSYNC_CONNECT_PROG;
//   git's GIT_COMMON_DIR (hooks and config, like GIT_DIR: reproduced), GIT_ALLOW_PROTOCOL (lets
//   `ext::` URLs run commands) and GIT_TRACE* (GIT_TRACE_CURL with GIT_TRACE_REDACT=0 writes
//   credentials to a file).
// - Keys and agents: GNUPGHOME (gpg-agent.conf names the pinentry-program it runs), SSH_AUTH_SOCK
//   (ssh-add sends the keys it loads to whatever listens there), DBUS_SESSION_BUS_ADDRESS (the Secret
//   Service that keyrings store passwords in is reached over it, and it may be a TCP address);
//   Kerberos' KRB5_CONFIG (its [plugins] load shared objects) and KRB5CCNAME (where tickets go).
// - Proxies (libcurl-env(3) and every HTTP client after it: http_proxy, HTTPS_PROXY, ALL_PROXY, FTP_PROXY): a
//   proxy sees where every request goes and reads whole every request that is not over TLS,
//   credentials included; it is the certificate-trust case for traffic that has no certificate.
//   NO_PROXY is not here (it only sends traffic direct). curl's CURL_HOME and Wget's WGETRC name
//   their start-up files, which can turn verification off, set a proxy, or upload a file. More
//   certificate trust: AWS_CA_BUNDLE (AWS CLI and SDKs), GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (gRPC),
//   PYTHONHTTPSVERIFY=0 (PEP 493, where the distribution supports it), DENO_CERT, Cargo's
//   CARGO_HTTP_CAINFO, gcloud's custom CA file and its switch that turns verification off.
// - Where programs write what is typed into them (HISTFILE, PSQL_HISTORY, NODE_REPL_HISTORY…).
// - Home and configuration directories: HOME and XDG_* (git, pip, npm, Vim, Neovim's plugin
//   directories, most tools read their configuration there), and Windows' USERPROFILE, APPDATA and
//   LOCALAPPDATA, which play the same part there, as does PowerShell's PSModulePath for modules.
//
// Not here, on purpose: glibc's other set-uid names (TMPDIR, TZDIR, NIS_PATH, GETCONF_DIR,
// MALLOC_TRACE): they matter when a program reads files with another user's rights, not ours; and
// variables that name a service's endpoint (OPENAI_BASE_URL, AWS_ENDPOINT_URL, PGHOST…): they send
// that service's requests elsewhere, an open-ended set no list can close, and are often the very
// value a profile exists to carry.
//
// Keyhold's own variables (KEYHOLD_*) are refused as well, and cannot be allowed (isReservedForKeyhold).
//
// Matching ignores case: Windows looks names up without regard to it, and being strict costs nothing.

const DANGEROUS_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      ['the program search path', 'PATH PATHEXT COMSPEC'],
      ['the dynamic loader', 'LIBPATH SHLIB_PATH GCONV_PATH LOCPATH NLSPATH HOSTALIASES LOCALDOMAIN RES_OPTIONS RESOLV_HOST_CONF'],
      ['shells', 'BASH_ENV ENV PS4 PROMPT_COMMAND IFS SHELLOPTS BASHOPTS GLOBIGNORE CDPATH FPATH NULLCMD READNULLCMD ZDOTDIR TMPPREFIX SHELL PSMODULEPATH'],
      ['home and configuration directories', 'HOME USERPROFILE APPDATA LOCALAPPDATA'],
      ['Node.js', 'NODE_OPTIONS NODE_PATH NODE_REPL_EXTERNAL_MODULE NODE_EXTRA_CA_CERTS NODE_TLS_REJECT_UNAUTHORIZED ELECTRON_RUN_AS_NODE'],
      [
        'Python',
        'PYTHONSTARTUP PYTHONPATH PYTHONHOME PYTHONINSPECT PYTHONUSERBASE PYTHONEXECUTABLE PYTHONWARNINGS PYTHONBREAKPOINT PYTHONPLATLIBDIR PYTHONPYCACHEPREFIX IPYTHONDIR JUPYTER_CONFIG_DIR',
      ],
      ['Python packages', 'UV_INDEX_URL UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_INDEX UV_FIND_LINKS UV_CONFIG_FILE UV_INSECURE_HOST'],
      ['Ruby', 'RUBYOPT RUBYLIB RUBYSHELL GEM_HOME GEM_PATH BUNDLE_GEMFILE GEMRC'],
      ['Perl', 'PERL5OPT PERL5LIB PERLLIB PERL5DB PERLIO_DEBUG'],
      ['Java', 'JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS CLASSPATH JAVA_HOME'],
      ['Java build tools', 'JAVA_OPTS MAVEN_OPTS MAVEN_ARGS GRADLE_OPTS GRADLE_USER_HOME SBT_OPTS ANT_OPTS ANT_ARGS'],
      ['.NET', 'DOTNET_STARTUP_HOOKS DOTNET_ADDITIONAL_DEPS DOTNET_ROOT'],
      ['Lua, PHP and Tcl', 'LUA_INIT LUA_PATH LUA_CPATH PHPRC PHP_INI_SCAN_DIR TCLLIBPATH COMPOSER COMPOSER_HOME'],
      ['R and Julia', 'R_PROFILE R_PROFILE_USER R_ENVIRON R_ENVIRON_USER R_LIBS R_LIBS_USER R_LIBS_SITE JULIA_DEPOT_PATH JULIA_LOAD_PATH'],
      ['Yarn', 'YARN_YARN_PATH YARN_RC_FILENAME YARN_NPM_REGISTRY_SERVER'],
      [
        'build tools',
        'MAKEFILES MAKEFLAGS CC CXX CFLAGS CXXFLAGS CPPFLAGS LDFLAGS COMPILER_PATH GCC_EXEC_PREFIX LIBRARY_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH ' +
          'CGO_CFLAGS CGO_CPPFLAGS CGO_CXXFLAGS CGO_FFLAGS CGO_LDFLAGS ' +
          'GOFLAGS GOTOOLCHAIN GOENV GOROOT GOPATH GOMODCACHE GOSUMDB GONOSUMDB GOPRIVATE GOINSECURE ' +
          'RUSTC RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS RUSTDOC RUSTDOCFLAGS RUSTUP_HOME RUSTUP_TOOLCHAIN ' +
          'CARGO_HOME CARGO_ENCODED_RUSTFLAGS CARGO_REGISTRY_CREDENTIAL_PROVIDER CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS',
      ],
      [
        'git',
        'GIT_SSH GIT_SSH_COMMAND GIT_EXEC_PATH GIT_ASKPASS GIT_EDITOR GIT_SEQUENCE_EDITOR GIT_PAGER GIT_EXTERNAL_DIFF GIT_PROXY_COMMAND GIT_TEMPLATE_DIR GIT_DIR GIT_WORK_TREE GIT_SSL_NO_VERIFY GIT_SSL_CAINFO ' +
          'GIT_SSL_CAPATH GIT_COMMON_DIR GIT_ALLOW_PROTOCOL',
      ],
      ['Mercurial, Subversion, CVS and rsync', 'HGRCPATH HGEDITOR SVN_SSH SVN_EDITOR CVS_RSH CVS_SERVER CVSEDITOR RSYNC_RSH RSYNC_CONNECT_PROG'],
      [
        'editors, pagers and prompts',
        'EDITOR VISUAL PAGER MANPAGER MANOPT LESS LESSOPEN LESSCLOSE BROWSER SSH_ASKPASS SUDO_ASKPASS SUDO_EDITOR TERMINFO TERMINFO_DIRS ' +
          'VIMINIT GVIMINIT EXINIT VIM VIMRUNTIME EMACSLOADPATH GH_EDITOR GH_PAGER GH_BROWSER SYSTEMD_EDITOR SYSTEMD_PAGER',
      ],
      ['OpenSSL', 'OPENSSL_CONF OPENSSL_ENGINES OPENSSL_MODULES'],
      ['TLS key logging', 'SSLKEYLOGFILE'],
      [
        'certificate trust',
        'SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE AWS_CA_BUNDLE GRPC_DEFAULT_SSL_ROOTS_FILE_PATH PYTHONHTTPSVERIFY DENO_CERT CARGO_HTTP_CAINFO',
      ],
      ['proxies', 'HTTP_PROXY HTTPS_PROXY ALL_PROXY FTP_PROXY CARGO_HTTP_PROXY CURL_HOME WGETRC'],
      ['keys and agents', 'GNUPGHOME SSH_AUTH_SOCK DBUS_SESSION_BUS_ADDRESS KRB5_CONFIG KRB5CCNAME'],
      [
        'cloud and container tools',
        'AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE KUBECONFIG KUBE_EDITOR KUBECTL_EXTERNAL_DIFF DOCKER_CONFIG DOCKER_HOST COMPOSE_FILE ' +
          'CLOUDSDK_CONFIG CLOUDSDK_PYTHON CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE CLOUDSDK_AUTH_DISABLE_SSL_VALIDATION GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES ' +
          'AZURE_CONFIG_DIR AZURE_EXTENSION_DIR TF_CLI_CONFIG_FILE TERRAFORM_CONFIG ANSIBLE_CONFIG',
      ],
      ['databases', 'PSQLRC LIBMYSQL_PLUGINS LIBMYSQL_PLUGIN_DIR'],
      ['history files', 'HISTFILE PSQL_HISTORY MYSQL_HISTFILE NODE_REPL_HISTORY PYTHON_HISTORY'],
    ] as const
  ).flatMap(([what, names]) => names.split(' ').map((name) => [name, what])),
);

const DANGEROUS_PREFIXES: readonly (readonly [string, string])[] = [
  ['LD_', 'the dynamic loader'],
  ['DYLD_', 'the dynamic loader'],
  ['_RLD', 'the dynamic loader'],
  ['LDR_', 'the dynamic loader'],
  ['BASH_FUNC_', 'shells'],
  ['XDG_', 'home and configuration directories'],
  ['GIT_CONFIG', 'git'],
  ['GIT_TRACE', 'git'],
  ['NPM_CONFIG_', 'npm'],
  ['PIP_', 'Python packages'],
  ['CORECLR_', '.NET'],
  ['COR_PROFILER', '.NET'],
  ['COR_ENABLE_PROFILING', '.NET'],
  // build.rustc, build.rustc-wrapper, build.rustdoc…; target.<triple>.runner and .linker (and
  // CARGO_TARGET_DIR: cargo runs what it finds up to date there); host.linker; credential aliases.
  ['CARGO_BUILD_', 'build tools'],
  ['CARGO_TARGET_', 'build tools'],
  ['CARGO_HOST_', 'build tools'],
  ['CARGO_CREDENTIAL_ALIAS_', 'build tools'],
  ['LESSKEY', 'editors, pagers and prompts'],
  ['CLOUDSDK_PROXY_', 'proxies'],
  ['KEYHOLD_', KEYHOLD_ITSELF],
];

// registries.<name>.credential-provider is a command; the registry's token (…_TOKEN) is only a value.
// Lua reads LUA_INIT_5_4 (LUA_PATH_5_4, LUA_CPATH_5_4) before LUA_INIT: the same start-up code and
// module paths under its version's name (the Lua manual, "lua – Standalone interpreter" and package.path).
const DANGEROUS_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/^CARGO_REGISTRIES_\w+_CREDENTIAL_PROVIDER$/, 'build tools'],
  [/^LUA_(?:INIT|PATH|CPATH)_\d+_\d+$/, 'Lua, PHP and Tcl'],
];

/**
 * What a variable of this name controls, if it changes how a program loads or runs (e.g. "Node.js"
 * for NODE_OPTIONS); null for a name that only carries a value.
 */
export function dangerousEnvName(name: string): string | null {
  const upper = name.toUpperCase();
  if (upper === GIVEN_BY_KEYHOLD) return null;
  const exact = DANGEROUS_NAMES[upper];
  if (exact !== undefined) return exact;
  for (const [prefix, what] of DANGEROUS_PREFIXES) if (upper.startsWith(prefix)) return what;
  for (const [pattern, what] of DANGEROUS_PATTERNS) if (pattern.test(upper)) return what;
  return null;
}

/** Allowances are matched as the names are: without regard to case. */
const allowedSet = (allowed: Iterable<string>): Set<string> => new Set([...allowed].map((n) => n.toUpperCase()));

const listed = (names: readonly string[], show: (name: string) => string): string =>
  names.slice(0, 10).map(show).join(', ') + (names.length > 10 ? ` and ${names.length - 10} more` : '');

/**
 * Refuses Keyhold's own variables outright: no allowance covers them (isReservedForKeyhold says why).
 * The error's field is the first such name, not `allowEnv`, so no caller offers an allowance.
 */
export function refuseKeyholdVariables(names: readonly string[], where: string | undefined): void {
  const refused = names.filter(isReservedForKeyhold);
  if (refused.length === 0) return;
  const one = refused.length === 1;
  throw new KeyholdError(
    'DangerousKey',
    `${where === undefined ? '' : `${where}: `}${listed(refused, quoteName)} ${one ? 'is a variable' : 'are variables'} of Keyhold itself. ` +
      'Injected, it would be read by any keyhold the program starts (an apiKeyHelper, a wrapped MCP server) as its own setting: ' +
      'another vault, password or session, or a weaker key derivation. No allowance can let a key of that name through; rename or remove it.',
    { field: refused[0] as string },
  );
}

/**
 * The names among `names` that change how a program runs and are not in `allowed`, in order. Throws
 * (DangerousKey) for any of Keyhold's own variables, which no allowance covers; `where` says what holds
 * the keys, for that message.
 */
export function unallowedEnvNames(names: Iterable<string>, allowed: Iterable<string> = [], where?: string): string[] {
  const all = [...names];
  refuseKeyholdVariables(all, where);
  const ok = allowedSet(allowed);
  return all.filter((name) => dangerousEnvName(name) !== null && !ok.has(name.toUpperCase()));
}

/** The allowances that still name a key present, for storing with a profile. */
export function keptAllowances(names: Iterable<string>, allowed: Iterable<string>): string[] {
  const present = allowedSet(names);
  return [...new Set(allowed)].filter((name) => present.has(name.toUpperCase()) && dangerousEnvName(name) !== null && !isReservedForKeyhold(name)).sort();
}

const describeDangerous = (names: readonly string[]): string => listed(names, (n) => `${quoteName(n)} (${dangerousEnvName(n)})`);

/**
 * Refuses variables that change how a program loads or runs unless each is allowed by name. The
 * error's field is `allowEnv` so a caller can say how it gives an allowance; `where` says what holds
 * the keys (e.g. `profile agent-1/default`). Keyhold's own variables are refused whatever is allowed.
 */
export function assertEnvNamesAllowed(names: Iterable<string>, allowed: Iterable<string>, where: string): void {
  const refused = unallowedEnvNames(names, allowed, where);
  if (refused.length === 0) return;
  throw new KeyholdError(
    'DangerousKey',
    `${where} has ${refused.length === 1 ? 'a key' : 'keys'} that would change how a program loads or runs when injected as ` +
      `environment variables: ${describeDangerous(refused)}. Such a variable can make a program run someone else's code; ` +
      'allow each one by name only if you set it yourself.',
    { field: 'allowEnv' },
  );
}

// ---- an address from one source, a credential from another ---------------------------------------
//
// A variable that says where a service's requests go (OPENAI_BASE_URL) carries no secret, and a
// profile holding its own service's address beside its own key is ordinary. Set by one source next
// to that service's credential from another (a second profile, a BYOK key, or the environment
// keyhold was started in), it sends that credential to whoever wrote the address: a teammate's
// profile holding ANTHROPIC_BASE_URL, run beside your Claude key, hands your key to their server.
// Such an address is allowed by name, as the variables above are.

const ADDRESS = /^(.+?)_(?:BASE_URL|API_BASE|API_BASE_URL|API_URL|API_HOST|ENDPOINT|ENDPOINT_URL|HOST|URL)$/;
const CREDENTIAL = /(?:KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?)$/;
/** Addresses whose service's credentials are not named with the address's own prefix (Gemini's CLI). */
const ADDRESS_PREFIXES: Readonly<Record<string, readonly string[]>> = { GOOGLE_GEMINI_BASE_URL: ['GEMINI_', 'GOOGLE_'] };
const INHERITED = 'the environment keyhold was started in';

/** The name prefixes of the credentials a service address serves (ANTHROPIC_ for ANTHROPIC_BASE_URL), or null. */
function servedPrefixes(name: string): readonly string[] | null {
  const upper = name.toUpperCase();
  const explicit = ADDRESS_PREFIXES[upper];
  if (explicit !== undefined) return explicit;
  const m = ADDRESS.exec(upper);
  return m ? [`${m[1] as string}_`] : null;
}

/** Refuses a service address from one source beside that service's credential from another, unless the address is allowed by name. */
export function assertNoAddressForOthers(
  sources: readonly EnvSource[],
  inherited: Readonly<Record<string, string | undefined>>,
  allowed: Iterable<string>,
): void {
  // Each credential-like name, with the sources that give it (the inherited environment only where no source does).
  const givers = new Map<string, { name: string; labels: Set<string> }>();
  const give = (name: string, label: string) => {
    const upper = name.toUpperCase();
    if (!CREDENTIAL.test(upper)) return;
    const entry = givers.get(upper) ?? { name, labels: new Set<string>() };
    entry.labels.add(label);
    givers.set(upper, entry);
  };
  for (const source of sources) for (const name of Object.keys(source.values)) give(name, source.label);
  for (const [name, value] of Object.entries(inherited)) if (value !== undefined && !givers.has(name.toUpperCase())) give(name, INHERITED);
  const ok = allowedSet(allowed);
  for (const source of sources) {
    for (const address of Object.keys(source.values)) {
      const prefixes = servedPrefixes(address);
      if (prefixes === null || ok.has(address.toUpperCase())) continue;
      for (const [upper, { name, labels }] of givers) {
        if (labels.has(source.label) || !prefixes.some((p) => upper.startsWith(p))) continue;
        const from = [...labels][0] as string;
        throw new KeyholdError(
          'DangerousKey',
          `${quoteName(address)} from ${source.label} would send ${quoteName(name)} from ${from} to the address it holds. ` +
            'Allow the address by name only if you set it yourself.',
          { field: 'allowEnv' },
        );
      }
    }
  }
}
