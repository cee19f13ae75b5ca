// The developer workflow engine (`keyhold run`, `inject`, .env import and export), independent of
// the vault: callers pass plain maps of names to secret values.
export { assertEnvName, assertEnvValue, buildChildEnv, isEnvName, mergeEnv, type EnvSource } from './env-names';
export { DEFAULT_MASK, MIN_MASKED_LENGTH, SecretMask, type MaskOptions, type StreamMasker } from './mask';
export { runWithSecrets, type RunOptions, type RunResult } from './run';
export { parseDotenv, serializeDotenv } from './dotenv';
export { findReferences, formatReference, parseReference, renderTemplate, type FoundReference, type KeyholdReference } from './inject';
export { writeFileExclusive0600 } from './write-file';
