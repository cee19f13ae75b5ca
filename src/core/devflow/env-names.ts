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
    throw new KeyholdError(
      'BadInput',
      `${quoteName(name)} is not a valid environment variable name: use letters, digits and "_", not starting with a digit.`,
      { field: name },
    );
  }
}

/** The OS refuses a NUL inside an environment value, and Node's own error would print the value. */
export function assertEnvValue(name: string, value: string): void {
  if (value.includes('\u0000')) {
    throw new KeyholdError(
      'BadInput',
      `The value of ${name} contains a NUL character, which an environment variable cannot hold.`,
      { field: name },
    );
  }
}

export interface EnvSource {
  /** How the person knows this source, e.g. `profile agent-1/default` or `byok openai`. */
  label: string;
  values: Readonly<Record<string, string>>;
}

// Windows looks environment names up without regard to case, so `Path` and `PATH` are one variable there.
const envKey = (name: string, platform: NodeJS.Platform): string =>
  platform === 'win32' ? name.toUpperCase() : name;

/**
 * Merges the variables to inject from several sources. Two sources may agree on a value; two that
 * disagree are refused, because silently picking one would run the program with a credential the
 * person did not choose.
 */
export function buildChildEnv(
  sources: readonly EnvSource[],
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const merged = new Map<string, { name: string; value: string; label: string }>();
  for (const source of sources) {
    for (const [name, value] of Object.entries(source.values)) {
      assertEnvName(name);
      assertEnvValue(name, value);
      const key = envKey(name, platform);
      const seen = merged.get(key);
      if (seen === undefined) {
        merged.set(key, { name, value, label: source.label });
      } else if (seen.value !== value) {
        const names = seen.name === name ? name : `${seen.name} (${name})`;
        throw new KeyholdError(
          'Conflict',
          `${names} is set to different values by ${seen.label} and ${source.label}. Remove it from one of them.`,
          { field: name },
        );
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
