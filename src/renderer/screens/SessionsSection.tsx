import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api';
import { when } from '../lib/time';
import { qk } from '../queries';
import { useAppState } from '../state';
import { ConfirmDialog, count, Empty, ErrorNote, Spinner } from '../ui/kit';

/**
 * The command-line sessions of this vault (`keyhold unlock`): what each holds and until when, and
 * a way to end them all, as `keyhold lock` does. A session given to an agent tool shows here too.
 */
export function SessionsSection() {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  // Sessions begin in a terminal, another process: read afresh each time the section is shown.
  const sessions = useQuery({ queryKey: qk.sessions, queryFn: () => api.sessionsList(), staleTime: 0 });
  const [asking, setAsking] = useState(false);
  const end = useMutation({
    mutationFn: () => api.sessionsEnd(),
    onSuccess: ({ ended }) => {
      setAsking(false);
      void qc.invalidateQueries({ queryKey: qk.sessions });
      toast('info', `Ended ${count(ended, 'session')}. Shells that had one need the master password again.`);
    },
  });
  const list = sessions.data ?? [];
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Command-line sessions</h2>
      <p className="muted small">
        Each lets a shell (and whatever runs in it, an agent tool included) use the vault without the master password until it ends. Start one with{' '}
        <code>keyhold unlock</code>; <code>keyhold unlock --profile REF</code> gives one that holds that profile only.
      </p>
      {sessions.isPending ? <Spinner label="Loading sessions" /> : null}
      <ErrorNote error={sessions.error} />
      {sessions.data && list.length === 0 ? <Empty title="No open sessions">No shell can use the vault without the master password.</Empty> : null}
      {list.length > 0 ? (
        <>
          <table className="table" aria-label="Open sessions">
            <thead>
              <tr>
                <th scope="col">Holds</th>
                <th scope="col">Began</th>
                <th scope="col">Ends</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id}>
                  <td>{s.holds === null ? <strong>The whole vault</strong> : <span className="mono small">{s.holds}</span>}</td>
                  <td>{when(s.createdAt)}</td>
                  <td>{when(s.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="form-actions">
            <span className="spacer-flex" />
            <button type="button" className="danger" onClick={() => setAsking(true)}>
              End all sessions
            </button>
          </div>
        </>
      ) : null}
      {asking ? (
        <ConfirmDialog
          title="End every session?"
          confirm="End sessions"
          onConfirm={() => end.mutate()}
          onClose={() => setAsking(false)}
          busy={end.isPending}
          error={end.error}
        >
          <p>
            {count(list.length, 'shell')} with a session, and any agent tool started from one, will need the master password (or a new session) to use the vault
            again.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
