import { useQuery } from '@tanstack/react-query';
import type { HealthFinding } from '../../shared/contract';
import { useApi } from '../api';
import { plain } from '../lib/words';
import { qk } from '../queries';
import { useAppState } from '../state';
import { useSyncStatus } from '../hooks';
import { ago, when } from '../lib/time';
import { count, Empty, ErrorNote, PageHeader, Spinner } from '../ui/kit';

const RULE_TITLE: Record<HealthFinding['rule'], string> = {
  'old-key': 'Old key',
  'failed-probe': 'Key failed its check',
  'reused-key': 'Key used twice',
  'undeclared-keys': 'Keys the agent does not declare',
  'stale-draft': 'Forgotten draft',
  'sync-failed': 'Sync failed',
  'remote-paused': 'Connection paused',
  'key-expiry': 'Key expires soon',
  'vault-files-open': 'Vault open to other users',
};

export function HealthView() {
  const api = useApi();
  const { go } = useAppState();
  const report = useQuery({ queryKey: qk.health, queryFn: () => api.healthReport() });
  const open = (f: HealthFinding) => {
    if (f.kind === 'profile') go('profiles', { profileId: f.id });
    else if (f.kind === 'byok') go('byok', { byokKind: f.ref });
    else if (f.kind === 'remote') go('connections');
  };
  const found = useQuery({ queryKey: qk.found, queryFn: () => api.agentScan() });
  const plaintext = found.data?.findings.length ?? 0;
  const problems = report.data?.filter((f) => f.severity === 'problem').length ?? 0;
  const remotes = useQuery({ queryKey: qk.remotes, queryFn: () => api.remotesList() });
  const status = useSyncStatus();
  const c = status.data?.counts;
  const items = c ? Object.values(c.profile).reduce((a, b) => a + b, 0) + Object.values(c.byok).reduce((a, b) => a + b, 0) : 0;
  const nothingSetUp = remotes.data?.length === 0 && items === 0;
  const checkedAt = report.dataUpdatedAt ? new Date(report.dataUpdatedAt).toISOString() : null;
  return (
    <div className="page">
      <PageHeader
        title="Health"
        action={
          <button type="button" className="secondary" onClick={() => void report.refetch()} disabled={report.isFetching}>
            {report.isFetching ? 'Checking…' : 'Check again'}
          </button>
        }
      >
        Old or reused keys, failed checks, forgotten drafts and anything sync could not finish.
      </PageHeader>
      {plaintext > 0 ? (
        <p className="badge-note" role="status">
          <span className="badge">{plaintext}</span> {plaintext === 1 ? 'key lies' : 'keys lie'} in plain files on this computer.{' '}
          <button type="button" className="link" onClick={() => go('found')}>
            Found on this computer
          </button>
        </p>
      ) : null}
      {report.isPending ? <Spinner label="Checking the vault" /> : null}
      <ErrorNote error={report.error} />
      {report.data && report.data.length === 0 && nothingSetUp ? (
        <Empty title="Not set up">
          <p>There is nothing to check yet: no connections, profiles or keys.</p>
          <button type="button" className="primary" onClick={() => go('connections')}>
            Connect Kura
          </button>
        </Empty>
      ) : null}
      {report.data && report.data.length === 0 && !nothingSetUp ? (
        <Empty title="No problems found">
          <p>
            Checked {ago(checkedAt)} ({when(checkedAt)}): {count(items, 'item')} and {count(remotes.data?.length ?? 0, 'connection')} looked at.
          </p>
        </Empty>
      ) : null}
      {report.data && report.data.length > 0 ? (
        <p className="muted" role="status">
          {count(problems, 'problem')}, {count(report.data.length - problems, 'warning')} · checked {ago(checkedAt)}
        </p>
      ) : null}
      <ul className="findings" aria-label="Findings">
        {report.data?.map((f) => (
          <li key={`${f.rule}-${f.kind}-${f.id}`} className={`finding finding-${f.severity}`}>
            <span className="finding-icon" aria-hidden="true">
              {f.severity === 'problem' ? '!' : '•'}
            </span>
            <div>
              <div className="finding-title">
                {RULE_TITLE[f.rule]} <span className="sr-only">({f.severity})</span>
              </div>
              <div className="small">{plain(f.message)}</div>
            </div>
            {f.kind === 'vault' ? (
              // Nothing in the window to open: the fix is the folder's mode, named in the message.
              <span className="mono small">{f.ref}</span>
            ) : (
              <button type="button" className="link mono" onClick={() => open(f)}>
                {f.ref}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
