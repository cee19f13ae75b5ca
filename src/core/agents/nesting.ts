import { KeyholdError } from '../../shared/errors';

/**
 * The parsers of JSON and TOML configs (jsonc-parser, toml-patch) and the walks over what they
 * return go one call deeper per level of nesting, so a file of 100,000 nested arrays overflows the
 * call stack (a RangeError, which reached the person as "Something went wrong inside Keyhold").
 * No config is written that way: `read` runs the parse and its walks, and such a file gets
 * `tooDeep()` instead.
 */
export function boundedByStack<T>(read: () => T, tooDeep: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError) return tooDeep();
    throw e;
  }
}

/** The refusal for a file nested past the stack: what it is, and that nothing was changed. */
export const nestedTooDeeply = (what: string): KeyholdError =>
  new KeyholdError('BadInput', `${what} nests its values too deeply to be read as a config (thousands of levels). Nothing was changed.`);
