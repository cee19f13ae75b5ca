// Agent-native work: finding credentials in agent tools' configs and plain files, and moving MCP
// configs onto Keyhold. Detectors are pure; walking the file system is separate.
export {
  classifyValue,
  detect,
  detectDotenv,
  detectJson,
  detectShell,
  detectText,
  detectToml,
  formatPath,
  type Detected,
  type FileFormat,
  type FindingSource,
} from './detect';
export { detectYaml } from './yaml-detect';
export { formatOf, wellKnownPlaces, type Place } from './locations';
export {
  formatOfConfig,
  isWrapped,
  planWrap,
  wrapDiff,
  type ConfigFormat,
  type LeftCredential,
  type ServerWrap,
  type WrapOptions,
  type WrapPlan,
} from './mcp-wrap';
export { ALL_RULES_PATTERN, KEY_RULES, shannonEntropy, type KeyProvider, type KeyRule } from './rules';
export { DOTENV_BESIDE_KEYHOLD_TOML, publicFinding, scan, type Finding, type InVault, type ScanOptions, type ScanResult } from './scan';
export { heldValues, vaultLookup, type HeldValue } from '../vault/held-values';
export { readCandidate, walkTree, type SkippedFile, type WalkedFile } from './walk';
export {
  fileProfileName,
  importFindings,
  importTarget,
  importTargets,
  LOCAL_PROFILE_NAME,
  MCP_PROFILE_NAME,
  type EarlierProfile,
  type ImportOutcome,
  type ImportReport,
  type ImportTarget,
} from './import';
export { findProjectFile, parseProjectFile, PROJECT_FILE } from './project-file';
export { assertNoBackup, backupOf, configTarget, readConfigText, restoreWrapped, storeWrapSecrets, writeWrapped } from './mcp-files';
