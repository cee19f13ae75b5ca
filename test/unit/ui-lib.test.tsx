// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { looksLikeDotenv } from '../../src/renderer/lib/dotenv';
import { filterProfiles, groupRows, indexProfiles } from '../../src/renderer/lib/search';
import { mergeEntries, rowsToAuthData } from '../../src/renderer/screens/profiles/ProfileForm';
import type { ProfileSummary } from '../../src/shared/domain';

describe('pasting .env text', () => {
  it('tells a .env block from one key name', () => {
    expect(looksLikeDotenv('A=1\nB=2')).toBe(true);
    expect(looksLikeDotenv('USERNAME')).toBe(false);
  });

  it('merges into rows: same key updates, blank rows fill, one blank row stays for typing', () => {
    const rows = mergeEntries(
      [
        { key: 'A', value: '', existing: true },
        { key: '', value: '', existing: false },
      ],
      [
        { key: 'A', value: 'x' },
        { key: 'B', value: 'y' },
        { key: 'C', value: 'z' },
      ],
    );
    expect(rows).toEqual([
      { key: 'A', value: 'x', existing: true },
      { key: 'B', value: 'y', existing: false },
      { key: 'C', value: 'z', existing: false },
      { key: '', value: '', existing: false },
    ]);
    expect(rowsToAuthData([...rows, { key: 'KEEP', value: '', existing: true }])).toEqual({ A: 'x', B: 'y', C: 'z' });
  });
});

describe('profile search', () => {
  const p = (agentId: string, name: string, keys: string[]): ProfileSummary => ({
    id: `${agentId}/${name}`,
    agentId,
    name,
    keys,
    saveSession: false,
    syncState: 'draft',
    hasToken: false,
    lastSyncType: null,
    lastError: null,
    createdAt: '',
    updatedAt: '',
    version: 1,
  });
  const index = indexProfiles([p('zeta', 'b', ['TOKEN']), p('alpha', 'prod', ['USER']), p('alpha', 'dev', ['PASS']), p('zeta', 'a', [])]);

  it('matches every word over agent, name and key names, in agent then name order', () => {
    expect(filterProfiles(index, '', null).map((x) => x.id)).toEqual(['alpha/dev', 'alpha/prod', 'zeta/a', 'zeta/b']);
    expect(filterProfiles(index, 'ALPHA user', null).map((x) => x.id)).toEqual(['alpha/prod']);
    expect(filterProfiles(index, 'token', null).map((x) => x.id)).toEqual(['zeta/b']);
    expect(filterProfiles(index, '', 'zeta').map((x) => x.id)).toEqual(['zeta/a', 'zeta/b']);
  });

  it('groups rows under one header per agent', () => {
    const rows = groupRows(filterProfiles(index, '', null));
    expect(rows.map((r) => (r.type === 'group' ? `#${r.agentId}:${r.count}` : r.profile.name))).toEqual(['#alpha:2', 'dev', 'prod', '#zeta:2', 'a', 'b']);
  });
});
