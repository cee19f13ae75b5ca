// One place for query keys, so an event from main invalidates exactly what it changed.
export const qk = {
  vaultStatus: ['vaultStatus'] as const,
  profiles: ['profiles'] as const,
  profile: (ref: string) => ['profiles', 'detail', ref] as const,
  profileHistory: (ref: string) => ['profiles', 'history', ref] as const,
  byok: ['byok'] as const,
  trash: ['trash'] as const,
  byokHistory: (kind: string) => ['byok', 'history', kind] as const,
  remotes: ['remotes'] as const,
  agents: ['agents'] as const,
  syncStatus: ['syncStatus'] as const,
  health: ['health'] as const,
  found: ['found'] as const,
  audit: (event: string) => ['audit', event] as const,
  settings: ['settings'] as const,
  identity: ['identity'] as const,
  contacts: ['contacts'] as const,
};
