import { useMutation } from '@tanstack/react-query';
import type { StatusRow } from '../../shared/sync';
import { REMOTE_LABEL } from '../../shared/domain';
import { useApi } from '../api';
import { useInvalidateItems, useSyncNow, useSyncStatus } from '../hooks';
import { ago, when } from '../lib/time';
import { plain } from '../lib/words';
import { useAppState } from '../state';
import { count, Empty, ErrorNote, PageHeader, Spinner, SyncBadge } from '../ui/kit';

const MISSING_PREFIX = 'Remote profile missing';

function ItemRow({ row }: { row: StatusRow }) {
  const api = useApi();
  const { go, toast } = useAppState();
  const invalidate = useInvalidateItems();
  const missing = row.kind === 'profile' && (row.lastError ?? '').startsWith(MISSING_PREFIX);
  const open = () => (row.kind === 'profile' ? go('profiles', { profileId: row.id }) : go('byok', { byokKind: row.ref }));
  const act = useMutation({
    mutationFn: async (): Promise<unknown> =>
      missing ? api.profileRecreate({ ref: row.id }) : row.kind === 'byok' ? api.byokValidate({ kind: row.ref }) : api.profileRetry({ ref: row.id }),
    onSuccess: () => {
      invalidate();
      toast(
        'info',
        missing
          ? `${row.ref} will be created again on Kura at the next sync.`
          : row.kind === 'byok'
            ? `Checked the ${row.ref} key with Backside: see BYOK keys for the answer.`
            : `${row.ref} is queued again.`,
      );
    },
  });
  return (
    <li className="sync-row">
      <div className="sync-row-main">
        <button type="button" className="link mono" onClick={open}>
          {row.ref}
        </button>
        <span className="muted small">{row.kind === 'profile' ? 'Profile → Kura' : 'BYOK key → Backside'}</span>
      </div>
      <SyncBadge state={row.state} reason={row.lastError} />
      <div className="sync-row-detail small">
        {row.lastError ? <span className="reason">{plain(row.lastError)}</span> : <span className="muted">Waiting for the next sync.</span>}
        {row.attempts > 0 ? (
          <span className="muted">
            {' '}
            · {row.attempts} {row.attempts === 1 ? 'attempt' : 'attempts'}
          </span>
        ) : null}
        {row.nextAttemptAt ? (
          <span className="muted" title={when(row.nextAttemptAt)}>
            {' '}
            · next try {ago(row.nextAttemptAt)}
          </span>
        ) : null}
      </div>
      {row.state === 'failed' ? (
        // What fixes a failure: a new key (a rejected or revoked one stays rejected), a check of
        // the key, the profile's keys, or re-creating a profile Kura no longer has.
        <span className="row-actions">
          {missing ? (
            <button type="button" className="secondary small" onClick={() => act.mutate()} disabled={act.isPending}>
              Re-create
            </button>
          ) : (
            <>
              <button type="button" className="secondary small" onClick={open}>
                {row.kind === 'byok' ? 'Edit key' : 'Edit profile'}
              </button>
              {row.kind === 'byok' ? (
                <button type="button" className="ghost small" onClick={() => act.mutate()} disabled={act.isPending}>
                  Check key
                </button>
              ) : null}
            </>
          )}
        </span>
      ) : (
        <span />
      )}
      {act.error ? (
        <div className="sync-row-error">
          <ErrorNote error={act.error} />
        </div>
      ) : null}
    </li>
  );
}

/** The totals shown at the top, in this order, and what each is called. */
const STATS = [
  ['synced', 'synced'],
  ['pending', 'pending'],
  ['failed', 'failed'],
  ['draft', 'drafts'],
] as const;

/** A titled list of sync rows; nothing when there are none. */
function ItemList({ title, label, rows }: { title: string; label: string; rows: StatusRow[] }) {
  if (!rows.length) return null;
  return (
    <>
      <h2 className="section-title">
        {title} ({rows.length})
      </h2>
      <ul className="sync-list" aria-label={label}>
        {rows.map((r) => (
          <ItemRow key={`${r.kind}-${r.id}`} row={r} />
        ))}
      </ul>
    </>
  );
}

export function SyncView() {
  const status = useSyncStatus();
  const sync = useSyncNow();
  const { progress, online, lastSyncAt } = useAppState();
  const rows = status.data?.items.filter((i) => i.state === 'pending' || i.state === 'failed') ?? [];
  const failed = rows.filter((r) => r.state === 'failed');
  const pending = rows.filter((r) => r.state === 'pending');
  const counts = status.data?.counts;
  const total = (k: 'draft' | 'pending' | 'synced' | 'failed') => (counts ? counts.profile[k] + counts.byok[k] : 0);

  return (
    <div className="page">
      <PageHeader
        title="Sync"
        action={
          <button type="button" className="primary" onClick={() => sync.mutate()} disabled={sync.isPending || progress !== null}>
            {sync.isPending || progress ? 'Syncing…' : 'Sync now'}
          </button>
        }
      >
        Local changes are the truth; Keyhold brings Kura and Backside up to them. Last sync: {lastSyncAt ? ago(lastSyncAt) : 'not in this session'}.
      </PageHeader>
      {!online ? (
        <div className="callout callout-warning" role="note">
          This computer is offline. Changes are kept and sent when it is back online.
        </div>
      ) : null}
      {progress ? (
        <div className="progress" role="group" aria-label="Sync progress">
          <progress max={progress.total} value={progress.done} aria-label={`Sent ${progress.done} of ${progress.total}`} />
          <span className="small">
            {progress.done} of {progress.total}
          </span>
        </div>
      ) : null}
      {counts ? (
        <ul className="stats" aria-label="Sync totals">
          {STATS.map(([state, words]) => (
            <li key={state}>
              <strong>{total(state)}</strong> {words}
            </li>
          ))}
        </ul>
      ) : null}
      {status.data?.remotes
        .filter((r) => r.paused)
        .map((r) => (
          <div key={r.kind} className="callout callout-danger" role="alert">
            <strong>Sync to {REMOTE_LABEL[r.kind]} is paused.</strong> {r.pausedReason ? `${plain(r.pausedReason).replace(/[.]$/, '')}.` : ''} Update its
            credentials under Connections.
          </div>
        ))}
      {status.isPending ? <Spinner label="Loading sync status" /> : null}
      <ErrorNote error={status.error} />
      <ItemList title="Needs attention" label="Failed items" rows={failed} />
      <ItemList title="Waiting to send" label="Pending items" rows={pending} />
      {status.data && rows.length === 0 && total('synced') + total('draft') === 0 ? (
        <Empty title="Nothing to send yet">
          <p>Add a profile or a BYOK key; it is sent here at the next sync.</p>
        </Empty>
      ) : null}
      {status.data && rows.length === 0 && total('synced') + total('draft') > 0 ? (
        <Empty title="Nothing waiting">
          <p>
            {count(total('synced'), 'item')} sent{total('draft') ? `, ${count(total('draft'), 'draft')} kept here on purpose` : ''}. Nothing is waiting or
            failed.
          </p>
        </Empty>
      ) : null}
    </div>
  );
}
