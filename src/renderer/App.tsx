import { useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ComponentType } from 'react';
import { REMOTE_LABEL } from '../shared/domain';
import { errorText, useApi } from './api';
import { sectionOf } from './drafts';
import { useSyncNow, useSyncStatus } from './hooks';
import { ago, when } from './lib/time';
import { qk } from './queries';
import { ActivityView } from './screens/ActivityView';
import { AgentsView } from './screens/AgentsView';
import { resumeSetup, SetupView, setupSkipped, useSetupSteps } from './screens/SetupView';
import { ByokView } from './screens/ByokView';
import { ConnectionsView } from './screens/ConnectionsView';
import { FoundView } from './screens/FoundView';
import { HealthView } from './screens/HealthView';
import { ProfilesView } from './screens/profiles/ProfilesView';
import { applyTheme, SettingsView } from './screens/SettingsView';
import { SharingView } from './screens/sharing/SharingView';
import { SyncView } from './screens/SyncView';
import { TrashView } from './screens/TrashView';
import { CreateVault, Unlock } from './screens/VaultGate';
import { useAppState } from './state';
import type { View } from './state';
import { Dialog, ErrorNote, MOD, Spinner, useFocusRescue } from './ui/kit';
import { Toasts } from './ui/Toasts';
import { Palette, PALETTE_EVENT, ShortcutsHelp } from './ui/Palette';
import type { Command, Shortcut } from './ui/Palette';

/** Every section of the window: its name in the sidebar (in this order) and its screen. */
const SECTIONS: Record<View, { label: string; Screen: ComponentType }> = {
  setup: { label: 'Get started', Screen: SetupView },
  profiles: { label: 'Profiles', Screen: ProfilesView },
  byok: { label: 'BYOK keys', Screen: ByokView },
  agents: { label: 'Agents', Screen: AgentsView },
  connections: { label: 'Connections', Screen: ConnectionsView },
  sync: { label: 'Sync', Screen: SyncView },
  sharing: { label: 'Sharing', Screen: SharingView },
  health: { label: 'Health', Screen: HealthView },
  found: { label: 'Found on this computer', Screen: FoundView },
  activity: { label: 'Activity', Screen: ActivityView },
  trash: { label: 'Trash', Screen: TrashView },
  settings: { label: 'Settings', Screen: SettingsView },
};

const NAV = (Object.keys(SECTIONS) as View[]).map((view) => ({ view, label: SECTIONS[view].label }));

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
        {paused.length ? <span className="failed-count"> · {paused.map((r) => REMOTE_LABEL[r.kind]).join(', ')} paused</span> : null}
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

const SHORTCUTS: Shortcut[] = [
  { keys: `${MOD}K`, what: 'Command palette: every section, action, profile and key' },
  { keys: '?', what: 'This list' },
  ...NAV.slice(0, 9).map((n, i) => ({ keys: `${MOD}${i + 1}`, what: `Go to ${n.label}` })),
  { keys: `${MOD}N`, what: 'New profile' },
  { keys: `${MOD}F or /`, what: 'Search profiles' },
  { keys: '↑ ↓ Home End', what: 'Move in the profile list' },
  { keys: 'C', what: 'In the profile list: copy the selected profile’s value (asks which one if it has several)' },
  { keys: `${MOD}Shift+S`, what: 'Sync now' },
  { keys: `${MOD}L`, what: 'Lock the vault' },
  { keys: 'Esc', what: 'Close a dialog or clear the search' },
];

function Shell() {
  const api = useApi();
  const { view, go, onLocked, toast, guard, focus } = useAppState();
  const Screen = SECTIONS[view].Screen;
  useFocusRescue();
  const [overlay, setOverlay] = useState<{ kind: 'palette'; query?: string } | { kind: 'help' } | null>(null);
  const setup = useSetupSteps();
  const setupLeft = setup.steps ? setup.steps.filter((s) => !s.done).length : null;
  const landed = useRef(false);
  const shownView = useRef(view);
  useEffect(() => {
    if (shownView.current === view) return;
    shownView.current = view;
    // A new section takes the focus (unless one of its fields already did), so Tab starts there.
    const t = setTimeout(() => {
      const main = document.getElementById('main');
      if (main && !main.contains(document.activeElement) && !document.querySelector('[role="dialog"]')) main.focus();
    }, 0);
    return () => clearTimeout(t);
  }, [view]);
  useEffect(() => {
    // A form that had unsaved edits when Keyhold locked (sleep, screen lock, idle) opens again with them.
    api.formDraftTake().then(
      (restore) => {
        // Only one section's forms can hold unsaved edits: leaving a section with any asks first.
        const section = restore[0] ? sectionOf(restore[0].key) : null;
        if (section) go(section, { restore });
      },
      () => undefined,
    );
  }, [api, go]);
  useEffect(() => {
    // A vault with nothing in it yet opens on the guide (unless the person skipped it, or has
    // already gone somewhere else since the window opened).
    if (landed.current || !setup.steps) return;
    landed.current = true;
    const untouched = view === 'profiles' && !focus.newProfile && !focus.profileId && !focus.search && !focus.restore?.length;
    if (untouched && setup.profileCount === 0 && !setup.steps.slice(0, 5).every((s) => s.done) && !setupSkipped()) go('setup');
  }, [setup.steps, setup.profileCount, go, view, focus]);
  const copyValue = useMutation({
    mutationFn: ({ id, key }: { id: string; key: string; label: string }) => api.profileCopy({ ref: id, key }),
    onSuccess: (r, { key, label }) => toast('success', `Copied ${key} of ${label}. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
    onError: (e) => toast('error', `Nothing was copied. ${errorText(e)}`),
  });
  const copyToken = useMutation({
    mutationFn: ({ id }: { id: string; label: string }) => api.profileTokenCopy({ ref: id }),
    onSuccess: (r, { label }) => toast('success', `Copied the Kura token of ${label}. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
    onError: (e) => toast('error', `Nothing was copied. ${errorText(e)}`),
  });
  const copyByok = useMutation({
    mutationFn: (kind: string) => api.byokCopy({ kind }),
    onSuccess: (r, kind) => toast('success', `Copied the ${kind} key. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
    onError: (e) => toast('error', `Nothing was copied. ${errorText(e)}`),
  });
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
      const inDialog = e.target instanceof Element && e.target.closest('[role="dialog"]') !== null;
      if (mod && !e.shiftKey && !e.altKey && key === 'k') {
        e.preventDefault();
        setOverlay((o) => (o?.kind === 'palette' ? null : { kind: 'palette' }));
        return;
      }
      if (inDialog) return;
      if (!mod && !typing && e.key === '?') {
        e.preventDefault();
        setOverlay({ kind: 'help' });
      } else if (mod && !e.shiftKey && !e.altKey && /^[1-9]$/.test(e.key)) {
        const target = NAV[Number(e.key) - 1];
        if (target) {
          e.preventDefault();
          go(target.view);
        }
      } else if (mod && e.shiftKey && key === 's') {
        e.preventDefault();
        sync.mutate();
      } else if (mod && !e.shiftKey && !e.altKey && key === 'l') {
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
  }, [go, lock, guard, sync]);

  useEffect(() => {
    const onOpen = (e: Event) => setOverlay({ kind: 'palette', query: String((e as CustomEvent).detail ?? '') });
    window.addEventListener(PALETTE_EVENT, onOpen);
    return () => window.removeEventListener(PALETTE_EVENT, onOpen);
  }, []);

  const baseCommands = useMemo<Command[]>(
    () => [
      { id: 'new-profile', label: 'New profile', group: 'Action', run: () => go('profiles', { newProfile: Date.now() }) },
      { id: 'search', label: 'Search profiles', group: 'Action', run: () => go('profiles', { search: Date.now() }) },
      { id: 'sync', label: 'Sync now', group: 'Action', run: () => sync.mutate() },
      { id: 'lock', label: 'Lock the vault', group: 'Action', run: () => guard(() => lock.mutate()) },
      { id: 'help', label: 'Show keyboard shortcuts', group: 'Action', run: () => setOverlay({ kind: 'help' }) },
      {
        id: 'setup',
        label: 'Resume the setup guide',
        group: 'Action',
        run: () => {
          resumeSetup();
          go('setup');
        },
      },
    ],
    [go, sync, lock, guard],
  );
  const onCopyValue = useCallback((id: string, key: string, label: string) => copyValue.mutate({ id, key, label }), [copyValue]);
  const onCopyToken = useCallback((id: string, label: string) => copyToken.mutate({ id, label }), [copyToken]);
  const onCopyByok = useCallback((kind: string) => copyByok.mutate(kind), [copyByok]);

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
          {NAV.map((n, i) => (
            <li key={n.view}>
              <button
                type="button"
                className={`nav-item${view === n.view ? ' active' : ''}`}
                aria-current={view === n.view ? 'page' : undefined}
                onClick={() => go(n.view)}
                aria-keyshortcuts={i < 9 ? `${MOD === '⌘' ? 'Meta' : 'Control'}+${i + 1}` : undefined}
              >
                {n.label}
                {n.view === 'setup' && setupLeft ? <span className="nav-count"> ({setupLeft} left)</span> : null}
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
          <button type="button" className="ghost wide" onClick={() => setOverlay({ kind: 'palette' })}>
            Commands <kbd>{MOD}K</kbd>
          </button>
        </div>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Screen />
      </main>
      <StatusBar />
      {overlay?.kind === 'palette' ? (
        <Palette
          onClose={() => setOverlay(null)}
          base={baseCommands}
          sections={NAV}
          go={go}
          copyProfileValue={onCopyValue}
          copyProfileToken={onCopyToken}
          copyByok={onCopyByok}
          initialQuery={overlay.query ?? ''}
        />
      ) : null}
      {overlay?.kind === 'help' ? <ShortcutsHelp shortcuts={SHORTCUTS} onClose={() => setOverlay(null)} /> : null}
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
  if (status.isPending)
    body = (
      <main className="gate">
        <Spinner label="Opening Keyhold" />
      </main>
    );
  else if (status.error)
    body = (
      <main className="gate">
        <div className="gate-card">
          <ErrorNote error={status.error} />
          <button type="button" className="primary" onClick={() => void status.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
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
