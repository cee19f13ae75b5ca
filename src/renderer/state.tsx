import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { SyncProgress } from '../shared/sync';
import type { VaultStatus } from '../shared/contract';
import { useApi } from './api';
import { qk } from './queries';

export type View = 'profiles' | 'byok' | 'connections' | 'sync' | 'sharing' | 'health' | 'found' | 'activity' | 'settings';
export type LockReason = 'user' | 'idle' | 'suspend' | 'lock-screen';

/** Where a view should put the person when it opens: an item, or a fresh form or search (nonces). */
export interface Focus {
  profileId?: string;
  byokKind?: string;
  newProfile?: number;
  search?: number;
}

export interface Toast {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
}

interface AppState {
  online: boolean;
  progress: SyncProgress | null;
  lastSyncAt: string | null;
  lockReason: LockReason | null;
  toasts: Toast[];
  toast(tone: Toast['tone'], text: string): void;
  dismiss(id: number): void;
  markSynced(): void;
  /** What the `locked` event does, for a lock this window asked for itself. */
  onLocked(reason: LockReason): void;
  view: View;
  go(view: View, focus?: Focus): void;
  focus: Focus;
}

const Ctx = createContext<AppState | null>(null);

export function useAppState(): AppState {
  const s = useContext(Ctx);
  if (s === null) throw new Error('useAppState() needs an <AppStateProvider> above it.');
  return s;
}

const TOAST_MS = 6_000;

/**
 * Holds what main tells the page (events) and what the whole window shows (status bar, toasts,
 * current view). Events invalidate the queries they affect; `locked` drops every cached answer so
 * nothing read from the vault stays in memory behind the unlock screen.
 */
export function AppStateProvider({ children, initialView = 'profiles' }: { children: ReactNode; initialView?: View }) {
  const api = useApi();
  const qc = useQueryClient();
  const [online, setOnline] = useState(() => (typeof navigator === 'undefined' ? true : navigator.onLine));
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [lastSyncAt, setLastSyncAt] = useState<string | null>(null);
  const [lockReason, setLockReason] = useState<LockReason | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [view, setView] = useState<View>(initialView);
  const [focus, setFocus] = useState<Focus>({});
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const toast = useCallback(
    (tone: Toast['tone'], text: string) => {
      const id = nextId.current++;
      setToasts((ts) => [...ts.slice(-2), { id, tone, text }]);
      // Errors stay until dismissed: a person must be able to read what went wrong.
      if (tone !== 'error') setTimeout(() => dismiss(id), TOAST_MS);
    },
    [dismiss],
  );
  const markSynced = useCallback(() => setLastSyncAt(new Date().toISOString()), []);
  const go = useCallback((v: View, f: Focus = {}) => {
    setView(v);
    setFocus(f);
  }, []);

  const onLocked = useCallback(
    (reason: LockReason) => {
      setLockReason(reason);
      setProgress(null);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== qk.vaultStatus[0] });
      qc.setQueryData<VaultStatus>(qk.vaultStatus, (old) => (old ? { ...old, unlocked: false } : old));
      void qc.invalidateQueries({ queryKey: qk.vaultStatus });
    },
    [qc],
  );

  useEffect(() => {
    const onOnline = () => setOnline(true);
    const onOffline = () => setOnline(false);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    const unsubs = [
      api.on('network', ({ online: o }) => setOnline(o)),
      api.on('locked', ({ reason }) => onLocked(reason)),
      api.on('itemChanged', ({ kind }) => {
        void qc.invalidateQueries({ queryKey: kind === 'profile' ? qk.profiles : qk.byok });
        void qc.invalidateQueries({ queryKey: qk.syncStatus });
        void qc.invalidateQueries({ queryKey: qk.health });
      }),
      api.on('syncProgress', (p) => {
        const finished = p.done >= p.total;
        setProgress(finished ? null : p);
        if (finished) {
          setLastSyncAt(new Date().toISOString());
          void qc.invalidateQueries({ queryKey: qk.profiles });
          void qc.invalidateQueries({ queryKey: qk.byok });
          void qc.invalidateQueries({ queryKey: qk.syncStatus });
          void qc.invalidateQueries({ queryKey: qk.remotes });
        }
      }),
    ];
    return () => {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      for (const u of unsubs) u();
    };
  }, [api, qc, onLocked]);

  const value = useMemo<AppState>(
    () => ({ online, progress, lastSyncAt, lockReason, toasts, toast, dismiss, markSynced, onLocked, view, go, focus }),
    [online, progress, lastSyncAt, lockReason, toasts, toast, dismiss, markSynced, onLocked, view, go, focus],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
