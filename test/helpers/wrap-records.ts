import type { WrapRecord, WrapRecords } from '../../src/core/vault/wrapped-configs';

/** The vault's record of wraps, kept in memory: for tests of planWrap/writeWrapped/restoreWrapped without a vault. */
export function memoryWrapRecords(): WrapRecords & { kept: Map<string, WrapRecord> } {
  const kept = new Map<string, WrapRecord>();
  return { kept, get: (path) => kept.get(path) ?? null, record: (r) => void kept.set(r.path, r), forget: (path) => void kept.delete(path) };
}
