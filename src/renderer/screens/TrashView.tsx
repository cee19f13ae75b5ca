import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TrashEntry } from '../../shared/domain';
import { errorCode, errorText, useApi } from '../api';
import { useInvalidateItems } from '../hooks';
import { ago, when } from '../lib/time';
import { qk } from '../queries';
import { useAppState } from '../state';
import { count, Empty, ErrorNote, PageHeader, Spinner } from '../ui/kit';

export const TRASH_DAYS = 30;

const label = (e: TrashEntry): string => (e.kind === 'profile' ? `the profile ${e.ref}` : `the ${e.ref} key`);

/**
 * Deleted profiles and BYOK keys, kept 30 days with their values, tokens and history. Delete
 * forever and Empty trash ask once, in main's own dialog (which names the item or counts the
 * trash); the window adds no question of its own before it.
 */
export function TrashView() {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  // Another process (the CLI) or the 30-day purge may have changed the trash: opening it always reads it anew.
  const trash = useQuery({ queryKey: qk.trash, queryFn: () => api.trashList(), refetchOnMount: 'always' });
  const refresh = () => {
    invalidate();
    void qc.invalidateQueries({ queryKey: qk.trash });
  };
  const restore = useMutation({
    mutationFn: (e: TrashEntry) => api.trashRestore({ id: e.id }),
    onSuccess: (_r, e) => {
      refresh();
      toast('success', `Restored ${label(e)}. It is back in ${e.kind === 'profile' ? 'Profiles' : 'BYOK keys'}.`);
    },
    onError: (err, e) =>
      toast(
        'error',
        errorCode(err) === 'Conflict'
          ? `${e.kind === 'profile' ? `The name ${e.ref}` : `The kind ${e.ref}`} is taken now. Rename or delete the one in use, then restore this one.`
          : `Nothing was restored. ${errorText(err)}`,
      ),
  });
  const purge = useMutation({
    mutationFn: (target: { id?: string }) => (target.id ? api.trashPurge({ id: target.id }) : api.trashPurge({ confirm: true })),
    onSuccess: ({ purged }) => {
      refresh();
      toast('success', `Deleted ${count(purged, 'item')} for good.`);
    },
  });
  const items = trash.data ?? [];
  const tokens = items.filter((e) => e.hasToken).length;
  return (
    <div className="page">
      <PageHeader
        title="Trash"
        focusHome
        action={
          items.length ? (
            <button type="button" className="ghost danger-text" onClick={() => purge.mutate({})} disabled={purge.isPending}>
              Empty trash
            </button>
          ) : null
        }
      >
        Deleted profiles and BYOK keys stay here for {TRASH_DAYS} days, with their values, Kura tokens and history.
      </PageHeader>
      {trash.isPending ? <Spinner label="Loading the trash" /> : null}
      <ErrorNote error={trash.error ?? purge.error} />
      {tokens ? (
        <div className="callout callout-warning" role="note">
          <strong>Delete forever takes a profile's Kura token with it.</strong> Kura cannot issue it again; the remote profile stays on Kura.
        </div>
      ) : null}
      {trash.data && items.length === 0 ? (
        <Empty title="The trash is empty">
          <p>
            When you delete a profile or a BYOK key it comes here for {TRASH_DAYS} days, with its Kura token and history, so a slip can be undone. After that it
            is deleted for good.
          </p>
        </Empty>
      ) : null}
      {items.length ? (
        <table className="table" aria-label="Deleted items">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Kura token</th>
              <th scope="col">Deleted</th>
              <th scope="col">Deleted for good on</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td>{e.kind === 'profile' ? 'Profile' : 'BYOK key'}</td>
                <td className="mono">{e.ref}</td>
                <td>{e.kind === 'profile' ? (e.hasToken ? 'Kept' : 'None') : '—'}</td>
                <td title={when(e.trashedAt)}>{ago(e.trashedAt)}</td>
                <td>{when(e.purgeAt)}</td>
                <td>
                  <span className="row-actions">
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => restore.mutate(e)}
                      disabled={restore.isPending}
                      aria-label={`Restore ${label(e)}`}
                    >
                      Restore
                    </button>
                    <button
                      type="button"
                      className="ghost small danger-text"
                      onClick={() => purge.mutate({ id: e.id })}
                      disabled={purge.isPending}
                      aria-label={`Delete ${label(e)} forever`}
                    >
                      Delete forever
                    </button>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
