import { useMutation, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FormDraft } from '../../../shared/contract';
import type { ProfileSummary } from '../../../shared/domain';
import { errorText, useApi } from '../../api';
import { useKeptDrafts } from '../../drafts';
import { openPalette } from '../../ui/Palette';
import { filterProfiles, groupRows, indexProfiles } from '../../lib/search';
import type { Row } from '../../lib/search';
import { qk } from '../../queries';
import { useAppState } from '../../state';
import { count, Empty, ErrorNote, MOD, Spinner, SyncBadge } from '../../ui/kit';
import { ProfileDetailPane } from './ProfileDetail';
import { ProfileForm } from './ProfileForm';
import { draftKeyOf, draftTarget } from './profileRows';

const GROUP_PX = 30;
const ITEM_PX = 56;

/**
 * A block of empty height. The page's CSP allows no inline styles, so the virtual list pads
 * itself with an SVG whose height is an attribute rather than a style.
 */
function Gap({ height }: { height: number }) {
  return height > 0 ? <svg className="gap" width="1" height={height} aria-hidden="true" focusable="false" /> : null;
}

type Mode = { kind: 'view'; id: string; takeFocus?: boolean } | { kind: 'new' } | { kind: 'edit'; profile: ProfileSummary } | { kind: 'none' };

export function ProfilesView() {
  const api = useApi();
  const { focus, guard, toast } = useAppState();
  const copy = useMutation({
    mutationFn: ({ id, key }: { id: string; key: string; label: string }) => api.profileCopy({ ref: id, key }),
    onSuccess: (r, { key, label }) => toast('success', `Copied ${key} of ${label}. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
    onError: (e) => toast('error', `Nothing was copied. ${errorText(e)}`),
  });
  const list = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  const [query, setQuery] = useState('');
  const [agent, setAgent] = useState<string | null>(null);
  const [mode, setModeNow] = useState<Mode>(focus.profileId ? { kind: 'view', id: focus.profileId } : { kind: 'none' });
  // Leaving a form with unsaved edits (another profile, a new one) asks first.
  const setMode = (m: Mode) => guard(() => setModeNow(m));
  const searchRef = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focus.newProfile) setModeNow({ kind: 'new' });
  }, [focus.newProfile]);
  // Unsaved edits kept through a lock go back into the form they came from.
  const [restore, setRestore] = useState<FormDraft | null>(null);
  useKeptDrafts('profiles', (kept) => {
    const draft = kept[0] as FormDraft;
    const target = draftTarget(draft.key);
    if (target === null) return;
    if (target === 'new') {
      setRestore(draft);
      setModeNow({ kind: 'new' });
      return;
    }
    api.profileGet({ ref: target }).then(
      (profile) => {
        setRestore(draft);
        setModeNow({ kind: 'edit', profile });
      },
      () => toast('error', 'Keyhold kept your unsaved edits through the lock, but their profile is gone now.'),
    );
  });
  const restoredFor = (key: string) => (restore?.key === key ? { restored: restore.values, onRestored: () => setRestore(null) } : {});
  useEffect(() => {
    if (focus.search) searchRef.current?.focus();
  }, [focus.search]);
  useEffect(() => {
    if (focus.profileId) setModeNow({ kind: 'view', id: focus.profileId });
  }, [focus.profileId]);

  const index = useMemo(() => indexProfiles(list.data ?? []), [list.data]);
  const agents = useMemo(() => [...new Set(index.map((i) => i.profile.agentId))], [index]);
  const filtered = useMemo(() => filterProfiles(index, query, agent), [index, query, agent]);
  const rows: Row[] = useMemo(() => (agent === null ? groupRows(filtered) : filtered.map((profile) => ({ type: 'item', profile }))), [filtered, agent]);
  const itemIndexes = useMemo(() => rows.flatMap((r, i) => (r.type === 'item' ? [i] : [])), [rows]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.type === 'group' ? GROUP_PX : ITEM_PX),
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);

  const selectedId = mode.kind === 'view' ? mode.id : mode.kind === 'edit' ? mode.profile.id : null;
  const selectedRow = selectedId === null ? -1 : rows.findIndex((r) => r.type === 'item' && r.profile.id === selectedId);

  const move = (delta: number | 'first' | 'last') => {
    if (itemIndexes.length === 0) return;
    const at = itemIndexes.indexOf(selectedRow);
    const next = delta === 'first' ? 0 : delta === 'last' ? itemIndexes.length - 1 : Math.min(itemIndexes.length - 1, Math.max(0, at === -1 ? 0 : at + delta));
    const rowIndex = itemIndexes[next] as number;
    const row = rows[rowIndex];
    if (row?.type === 'item') {
      setMode({ kind: 'view', id: row.profile.id });
      virtualizer.scrollToIndex(rowIndex, { align: 'auto' });
    }
  };

  const onListKey = (e: React.KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(1),
      ArrowUp: () => move(-1),
      PageDown: () => move(10),
      PageUp: () => move(-10),
      Home: () => move('first'),
      End: () => move('last'),
    };
    const selected = selectedRow >= 0 ? rows[selectedRow] : undefined;
    if (e.key.toLowerCase() === 'c' && !e.ctrlKey && !e.metaKey && !e.altKey && selected?.type === 'item') {
      e.preventDefault();
      const p = selected.profile;
      const key = p.keys.length === 1 ? p.keys[0] : undefined;
      if (key !== undefined) copy.mutate({ id: p.id, key, label: `${p.agentId}/${p.name}` });
      else openPalette(`copy ${p.agentId}/${p.name}`);
      return;
    }
    const run = keys[e.key];
    if (run) {
      e.preventDefault();
      run();
    }
  };

  const total = list.data?.length ?? 0;

  return (
    <div className="split">
      <section className="list-pane" aria-label="Profiles">
        <div className="list-tools">
          <div className="search">
            <input
              ref={searchRef}
              id="profile-search"
              type="search"
              placeholder={`Search profiles  (${MOD}F)`}
              aria-label="Search profiles by agent, name or key"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'ArrowDown') {
                  e.preventDefault();
                  scrollRef.current?.focus();
                  move('first');
                } else if (e.key === 'Escape' && query) {
                  setQuery('');
                }
              }}
            />
          </div>
          <div className="list-filter">
            <select aria-label="Show agent" value={agent ?? ''} onChange={(e) => setAgent(e.target.value || null)}>
              <option value="">All agents ({agents.length})</option>
              {agents.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
            <button type="button" className="primary" onClick={() => setMode({ kind: 'new' })} title={`New profile (${MOD}N)`}>
              + New
            </button>
          </div>
          <p className="list-count muted small" role="status" aria-live="polite">
            {query || agent ? `${filtered.length} of ${count(total, 'profile')}` : count(total, 'profile')}
          </p>
        </div>
        {list.isPending ? <Spinner label="Loading profiles" /> : null}
        <ErrorNote error={list.error} />
        <div
          ref={scrollRef}
          className="list-scroll"
          role="listbox"
          aria-label="Profile list"
          tabIndex={0}
          data-focus-home
          aria-activedescendant={selectedId ? `profile-${selectedId}` : undefined}
          onKeyDown={onListKey}
        >
          <Gap height={top} />
          {items.map((vi) => {
            const row = rows[vi.index];
            if (!row) return null;
            if (row.type === 'group') {
              return (
                <div key={`g-${row.agentId}`} className="row-group" role="presentation">
                  <span className="mono">{row.agentId}</span>
                  <span className="muted">{row.count}</span>
                </div>
              );
            }
            const p = row.profile;
            const selected = p.id === selectedId;
            return (
              <div
                key={p.id}
                id={`profile-${p.id}`}
                role="option"
                aria-selected={selected}
                className={`row-item${selected ? ' selected' : ''}`}
                onClick={() => setMode({ kind: 'view', id: p.id })}
              >
                <div className="row-main">
                  <span className="row-title">{p.name}</span>
                  <span className="row-sub mono">{agent === null ? `${p.keys.length} ${p.keys.length === 1 ? 'key' : 'keys'}` : p.agentId}</span>
                </div>
                <SyncBadge state={p.syncState} reason={p.lastError} />
              </div>
            );
          })}
          <Gap height={bottom} />
        </div>
        {list.data && rows.length === 0 ? (
          <Empty title={total === 0 ? 'No profiles yet' : 'Nothing matches'}>
            {total === 0 ? (
              <button type="button" className="primary" onClick={() => setMode({ kind: 'new' })}>
                Add your first profile
              </button>
            ) : (
              <p className="muted">Search looks at agent ids, names and key names — never at values.</p>
            )}
          </Empty>
        ) : null}
      </section>
      <section className="detail-pane" aria-label="Profile details" data-focus-scope>
        {mode.kind === 'view' ? (
          <ProfileDetailPane
            key={mode.id}
            id={mode.id}
            takeFocus={mode.takeFocus ?? false}
            onEdit={(profile) => setMode({ kind: 'edit', profile })}
            onDeleted={() => setModeNow({ kind: 'none' })}
          />
        ) : mode.kind === 'new' ? (
          <ProfileForm
            key={`new-${focus.newProfile ?? 0}`}
            {...restoredFor(draftKeyOf())}
            onDone={(s) => setModeNow({ kind: 'view', id: s.id, takeFocus: true })}
            onCancel={() => setModeNow({ kind: 'none' })}
          />
        ) : mode.kind === 'edit' ? (
          <ProfileForm
            key={`edit-${mode.profile.id}`}
            original={mode.profile}
            {...restoredFor(draftKeyOf(mode.profile.id))}
            onDone={(s) => setModeNow({ kind: 'view', id: s.id, takeFocus: true })}
            onCancel={() => setModeNow({ kind: 'view', id: mode.profile.id })}
          />
        ) : (
          <Empty title="Select a profile">
            <p className="muted">
              {MOD}N new profile · {MOD}F search · ↑↓ move in the list · {MOD}L lock
            </p>
          </Empty>
        )}
      </section>
    </div>
  );
}
