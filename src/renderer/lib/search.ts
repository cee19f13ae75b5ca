import type { ProfileSummary } from '../../shared/domain';

export interface Indexed {
  profile: ProfileSummary;
  /** Lower-cased agent, name and key names: what search matches (never values). */
  text: string;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
const byAgentThenName = (a: ProfileSummary, b: ProfileSummary) => collator.compare(a.agentId, b.agentId) || collator.compare(a.name, b.name);

/** Built once per list answer, sorted by agent then name, so each keystroke only filters. */
export function indexProfiles(profiles: ProfileSummary[]): Indexed[] {
  return [...profiles].sort(byAgentThenName).map((profile) => ({
    profile,
    text: `${profile.agentId}/${profile.name} ${profile.keys.join(' ')}`.toLowerCase(),
  }));
}

/** Every word of the query must appear; agent narrows to one agent. Keeps the index order. */
export function filterProfiles(index: Indexed[], query: string, agent: string | null): ProfileSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: ProfileSummary[] = [];
  for (const { profile, text } of index) {
    if (agent !== null && profile.agentId !== agent) continue;
    if (words.every((w) => text.includes(w))) out.push(profile);
  }
  return out;
}

export type Row = { type: 'group'; agentId: string; count: number } | { type: 'item'; profile: ProfileSummary };

/** One header per agent over profiles already in index order. */
export function groupRows(sorted: ProfileSummary[]): Row[] {
  const rows: Row[] = [];
  let i = 0;
  while (i < sorted.length) {
    const agentId = (sorted[i] as ProfileSummary).agentId;
    let j = i;
    while (j < sorted.length && (sorted[j] as ProfileSummary).agentId === agentId) j++;
    rows.push({ type: 'group', agentId, count: j - i });
    for (let k = i; k < j; k++) rows.push({ type: 'item', profile: sorted[k] as ProfileSummary });
    i = j;
  }
  return rows;
}
