// Sharing's public face: export (collect, sign, encrypt), and import in three steps (open the
// file, preview every change, apply with consent). Each lives in its own module.
export * from './export';
export * from './import';
export * from './import-open';
export * from './import-preview';
export type { PhaseTimer } from './phases';
