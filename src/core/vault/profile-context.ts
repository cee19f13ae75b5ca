import type Database from 'better-sqlite3';
import type { ProfileSummary } from '../../shared/domain';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import type { ItemStore } from './items';
import type { ProfileIndex } from './profile-index';
import type { ProfileMeta, ProfileRemote, ProfileSecrets, ProfileSnapshot } from './profile-model';

/** What the parts of `Profiles` (tokens, history, trash, sync outcomes) share. */
export interface ProfileContext {
  db: Database.Database;
  cells: () => Cells;
  audit: AuditLog;
  now: () => number;
  store: ItemStore<ProfileMeta, ProfileSecrets, ProfileRemote, ProfileSnapshot>;
  index: ProfileIndex;
  /** The full item (see Profiles.load). */
  load: (id: string) => { summary: ProfileSummary; meta: ProfileMeta; secrets: ProfileSecrets; remote: ProfileRemote | null };
}
