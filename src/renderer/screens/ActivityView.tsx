import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { AuditEvent } from '../../shared/domain';
import type { AuditEntry } from '../../shared/domain';
import { useApi } from '../api';
import { when } from '../lib/time';
import { qk } from '../queries';
import { Empty, ErrorNote, Spinner } from '../ui/kit';

const label = (e: string) => e.replace(/_/g, ' ');

function detailText(detail: AuditEntry['detail']): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(' · ');
}

export function ActivityView() {
  const api = useApi();
  const [event, setEvent] = useState<AuditEvent | ''>('');
  const list = useQuery({
    queryKey: qk.audit(event),
    queryFn: () => api.auditList(event ? { limit: 500, event } : { limit: 500 }),
  });
  const verify = useMutation({ mutationFn: () => api.auditVerify() });

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Activity</h1>
          <p className="muted">A tamper-evident record of what happened in this vault: unlocks, reveals, copies, changes and sync results.</p>
        </div>
        <button type="button" className="secondary" onClick={() => verify.mutate()} disabled={verify.isPending}>
          {verify.isPending ? 'Verifying…' : 'Verify the log'}
        </button>
      </header>
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
            {[...list.data].sort((a, b) => b.seq - a.seq).map((e) => (
              <tr key={e.seq}>
                <td className="muted">{e.seq}</td>
                <td>{when(e.at)}</td>
                <td>
                  <span className={`event event-${e.event}`}>{label(e.event)}</span>
                </td>
                <td className="small mono">{detailText(e.detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
