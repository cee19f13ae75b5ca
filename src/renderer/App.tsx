import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useApi } from './api';
import { useSyncNow, useSyncStatus } from './hooks';
import { ago, when } from './lib/time';
import { qk } from './queries';
import { ActivityView } from './screens/ActivityView';
import { ByokView } from './screens/ByokView';
import { ConnectionsView } from './screens/ConnectionsView';
import { HealthView } from './screens/HealthView';
import { ProfilesView } from './screens/profiles/ProfilesView';
import { applyTheme, SettingsView } from './screens/SettingsView';
import { SharingView } from './screens/sharing/SharingView';
import { SyncView } from './screens/SyncView';
import { CreateVault, Unlock } from './screens/VaultGate';
import { useAppState } from './state';
import type { View } from './state';
import { Dialog, ErrorNote, MOD, Spinner, useFocusRescue } from './ui/kit';
import { Toasts } from './ui/Toasts';

const NAV: { view: View; label: string }[] = [
  { view: 'profiles', label: 'Profiles' },
  { view: 'byok', label: 'BYOK keys' },
  { view: 'connections', label: 'Connections' },
  { view: 'sync', label: 'Sync' },
  { view: 'sharing', label: 'Sharing' },
  { view: 'health', label: 'Health' },
  { view: 'activity', label: 'Activity' },
  { view: 'settings', label: 'Settings' },
];

function StatusBar() {
  const { online, progress, lastSyncAt, go } = useAppState();
  const status = useSyncStatus();
  const c = status.data?.counts;
  const pending = c ? c.profile.pending + c.byok.pending : 0;
  const failed = c ? c.profile.failed + c.byok.failed : 0;
  const paused = status.data?.remotes.filter((r) => r.paused) ?? [];
  const connected = status.data?.remotes.length ?? 0;
  return (
    <footer className="statusbar" aria-label="Sync status">
      {status.data && connected === 0 ? (
        <button type="button" className="statusbar-link" onClick={() => go('connections')}>
          Not set up: no connections
        </button>
      ) : (
        <span className={`net ${online ? 'net-online' : 'net-offline'}`} role="status">
          <span className="dot" aria-hidden="true" />
          {online ? 'Network online' : 'Offline'}
        </span>
      )}
      <button type="button" className="statusbar-link" onClick={() => go('sync')} aria-label={`${pending} pending, ${failed} failed. Open Sync`}>
        <span data-testid="pending-count">{pending} pending</span>
        {failed ? <span className="failed-count"> · {failed} failed</span> : null}
        {paused.length ? <span className="failed-count"> · {paused.map((r) => (r.kind === 'kura' ? 'Kura' : 'Backside')).join(', ')} paused</span> : null}
      </button>
      {progress ? (
        <span className="statusbar-progress" role="status">
          <progress max={progress.total} value={progress.done} aria-label="Sync progress" /> Syncing {progress.done}/{progress.total}
        </span>
      ) : null}
      <span className="spacer-flex" />
      <span className="muted" title={when(lastSyncAt)}>
        Last sync: {lastSyncAt ? ago(lastSyncAt) : 'not in this session'}
      </span>
    </footer>
  );
}

function Shell() {
  const api = useApi();
  const { view, go, onLocked, toast, guard } = useAppState();
  useFocusRescue();
  const sync = useSyncNow();
  const settings = useQuery({ queryKey: qk.settings, queryFn: () => api.settingsGet() });
  const lock = useMutation({
    mutationFn: () => api.vaultLock(),
    onSuccess: () => onLocked('user'),
    onError: (e) => toast('error', `The vault did not lock. ${e instanceof Error ? e.message : ''}`),
  });

  useEffect(() => {
    if (settings.data) applyTheme(settings.data.theme);
  }, [settings.data]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      const key = e.key.toLowerCase();
      if (mod && !e.shiftKey && !e.altKey && key === 'l') {
        e.preventDefault();
        guard(() => lock.mutate());
      } else if ((mod && key === 'f') || (!mod && !typing && e.key === '/')) {
        e.preventDefault();
        go('profiles', { search: Date.now() });
      } else if (mod && key === 'n') {
        e.preventDefault();
        go('profiles', { newProfile: Date.now() });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go, lock, guard]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Sections">
        <div className="brand" aria-hidden="true">
          <span className="brand-mark">K</span>
          <span>Keyhold</span>
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.view}>
              <button type="button" className={`nav-item${view === n.view ? ' active' : ''}`} aria-current={view === n.view ? 'page' : undefined} onClick={() => go(n.view)}>
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button type="button" className="secondary wide" onClick={() => sync.mutate()} disabled={sync.isPending}>
            {sync.isPending ? 'Syncing…' : 'Sync now'}
          </button>
          <button type="button" className="ghost wide" onClick={() => guard(() => lock.mutate())} title={`Lock (${MOD}L)`}>
            Lock <kbd>{MOD}L</kbd>
          </button>
        </div>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {view === 'profiles' ? <ProfilesView /> : null}
        {view === 'byok' ? <ByokView /> : null}
        {view === 'connections' ? <ConnectionsView /> : null}
        {view === 'sync' ? <SyncView /> : null}
        {view === 'sharing' ? <SharingView /> : null}
        {view === 'health' ? <HealthView /> : null}
        {view === 'activity' ? <ActivityView /> : null}
        {view === 'settings' ? <SettingsView /> : null}
      </main>
      <StatusBar />
    </div>
  );
}

/** "Discard unsaved changes?": asked before navigation or a lock would drop a form's edits. */
function LeaveDialog() {
  const { leaving, answerLeave } = useAppState();
  if (!leaving) return null;
  return (
    <Dialog title="Discard unsaved changes?" tone="warning" onClose={() => answerLeave(false)}>
      <p>A form has changes that are not saved. Going on throws them away.</p>
      <div className="dialog-actions">
        <button type="button" className="primary" data-autofocus onClick={() => answerLeave(false)}>
          Keep editing
        </button>
        <button type="button" className="danger" onClick={() => answerLeave(true)}>
          Discard changes
        </button>
      </div>
    </Dialog>
  );
}

export function App() {
  const api = useApi();
  const { lockReason } = useAppState();
  const status = useQuery({ queryKey: qk.vaultStatus, queryFn: () => api.vaultStatus() });
  let body;
  if (status.isPending) body = <main className="gate"><Spinner label="Opening Keyhold" /></main>;
  else if (status.error) body = <main className="gate"><div className="gate-card"><ErrorNote error={status.error} /><button type="button" className="primary" onClick={() => void status.refetch()}>Try again</button></div></main>;
  else if (!status.data.exists) body = <CreateVault />;
  else if (!status.data.unlocked) body = <Unlock status={status.data} reason={lockReason} />;
  else body = <Shell />;
  return (
    <>
      {body}
      <LeaveDialog />
      <Toasts />
    </>
  );
}
