import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { AuditEvent } from '../../shared/domain';
import type { AuditEntry } from '../../shared/domain';
import { useApi } from '../api';
import { when } from '../lib/time';
import { qk } from '../queries';
import { Empty, ErrorNote, PageHeader, Spinner } from '../ui/kit';

const label = (e: string) => e.replace(/_/g, ' ');

const ITEM_WORD: Record<string, string> = { profile: 'profile', byok: 'BYOK key' };
const DETAIL_WORD: Record<string, string> = {
  key: 'key',
  reason: 'reason',
  result: 'result',
  method: 'method',
  via: 'via',
  count: 'count',
  kind: 'connection',
  minutes: 'minutes',
};
// Ids and protocol details stay out of a person's view: the row names the item instead.
const HIDDEN = new Set(['id', 'item', 'session', 'status']);

/** What an entry is about, by name: ids are looked up in what the vault holds now. */
export function detailText(detail: AuditEntry['detail'], names: Map<string, string>): string {
  const parts: string[] = [];
  const id = typeof detail.id === 'string' ? detail.id : null;
  const item = typeof detail.item === 'string' ? (ITEM_WORD[detail.item] ?? detail.item) : null;
  if (id) parts.push(names.get(id) ?? (item ? `a ${item} no longer in the vault` : 'an item no longer in the vault'));
  else if (item) parts.push(item);
  for (const [k, v] of Object.entries(detail)) {
    if (HIDDEN.has(k)) continue;
    if (typeof v === 'boolean') {
      if (v) parts.push(k.replace(/([A-Z])/g, ' $1').toLowerCase());
      continue;
    }
    const value = String(v).replace(/-/g, ' ');
    parts.push(`${DETAIL_WORD[k] ?? k.replace(/([A-Z])/g, ' $1').toLowerCase()}: ${value}`);
  }
  return parts.join(' · ');
}

export function ActivityView() {
  const api = useApi();
  const [event, setEvent] = useState<AuditEvent | ''>('');
  const list = useQuery({
    queryKey: qk.audit(event),
    queryFn: () => api.auditList(event ? { limit: 500, event } : { limit: 500 }),
  });
  const verify = useMutation({ mutationFn: () => api.auditVerify() });
  const profiles = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  const byok = useQuery({ queryKey: qk.byok, queryFn: () => api.byokList() });
  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of profiles.data ?? []) m.set(p.id, `${p.agentId}/${p.name}`);
    for (const b of byok.data ?? []) m.set(b.id, `${b.kind} key`);
    return m;
  }, [profiles.data, byok.data]);

  return (
    <div className="page">
      <PageHeader
        title="Activity"
        action={
          <button type="button" className="secondary" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? 'Verifying…' : 'Verify the log'}
          </button>
        }
      >
        A tamper-evident record of what happened in this vault: unlocks, reveals, copies, changes and sync results.
      </PageHeader>
      {verify.data ? (
        verify.data.ok ? (
          <p className="ok-note" role="status">
            ✓ The log is intact: {verify.data.entries} entries, none altered or removed.
          </p>
        ) : (
          <p className="error-note" role="alert">
            The log was altered: {verify.data.problem ?? 'an entry does not match the chain.'}
          </p>
        )
      ) : null}
      <ErrorNote error={verify.error} />
      <div className="list-filter">
        <label htmlFor="audit-event">Show</label>
        <select id="audit-event" value={event} onChange={(e) => setEvent(e.target.value as AuditEvent | '')}>
          <option value="">All events</option>
          {AuditEvent.options.map((e) => (
            <option key={e} value={e}>
              {label(e)}
            </option>
          ))}
        </select>
      </div>
      {list.isPending ? <Spinner label="Loading activity" /> : null}
      <ErrorNote error={list.error} />
      {list.data && list.data.length === 0 ? <Empty title="No activity of this kind yet" /> : null}
      {list.data && list.data.length > 0 ? (
        <table className="table" aria-label="Activity">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {[...list.data]
              .sort((a, b) => b.seq - a.seq)
              .map((e) => (
                <tr key={e.seq}>
                  <td className="muted">{e.seq}</td>
                  <td>{when(e.at)}</td>
                  <td>
                    <span className={`event event-${e.event}`}>{label(e.event)}</span>
                  </td>
                  <td className="small">{detailText(e.detail, names)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
