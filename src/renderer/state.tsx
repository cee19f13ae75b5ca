import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { SyncProgress } from '../shared/sync';
import type { FormDraft, VaultStatus } from '../shared/contract';
import type { LockReason } from '../shared/contract';
import { useApi } from './api';
import { qk } from './queries';

export type View = 'setup' | 'profiles' | 'byok' | 'agents' | 'connections' | 'sync' | 'sharing' | 'health' | 'found' | 'activity' | 'trash' | 'settings';
export type { LockReason };

/** Where a view should put the person when it opens: an item, or a fresh form or search (nonces). */
export interface Focus {
  profileId?: string;
  byokKind?: string;
  newProfile?: number;
  search?: number;
  /** Unsaved edits Keyhold kept through the last lock, to put back in their forms (drafts.ts). */
  restore?: FormDraft[];
}

export interface Toast {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
  /** How many times the same message arrived; repeats are merged into one toast. */
  count: number;
}

interface AppState {
  online: boolean;
  progress: SyncProgress | null;
  lastSyncAt: string | null;
  lockReason: LockReason | null;
  toasts: Toast[];
  /** Shows a message; returns its id (a repeat keeps the id of the one it merged into). */
  toast(tone: Toast['tone'], text: string): number;
  dismiss(id: number): void;
  markSynced(): void;
  /** What the `locked` event does, for a lock this window asked for itself. */
  onLocked(reason: LockReason): void;
  view: View;
  /** Opens a section; asks first when a form holds unsaved edits. */
  go(view: View, focus?: Focus): void;
  focus: Focus;
  /** A form reports whether it holds unsaved edits (by a key of its own). */
  setDirty(key: string, dirty: boolean): void;
  /** Runs `action` now, or after the person agrees to discard unsaved edits. */
  guard(action: () => void): void;
  /** The action waiting on "Discard unsaved changes?", if that question is open. */
  leaving: (() => void) | null;
  answerLeave(discard: boolean): void;
}

const Ctx = createContext<AppState | null>(null);

export function useAppState(): AppState {
  const s = useContext(Ctx);
  if (s === null) throw new Error('useAppState() needs an <AppStateProvider> above it.');
  return s;
}

const TOAST_MS = 6_000;
const MAX_TOASTS = 4;

export const lockSoonText = (seconds: number): string =>
  `Keyhold locks in ${seconds} seconds without activity; your unsaved changes will wait, encrypted, until you unlock. Press a key or click to stay unlocked.`;

/**
 * Holds what main tells the page (events) and what the whole window shows (status bar, toasts,
 * current view). Events invalidate the queries they affect; `locked` drops every cached answer and
 * every mutation so nothing read from the vault or typed into it stays in memory behind the unlock screen.
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

  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const current = useRef<Toast[]>([]);
  const dismiss = useCallback((id: number) => {
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
    current.current = current.current.filter((t) => t.id !== id);
    setToasts(current.current);
  }, []);
  const toast = useCallback(
    (tone: Toast['tone'], text: string) => {
      const ts = current.current;
      const same = ts.find((t) => t.tone === tone && t.text === text);
      let id: number;
      let next: Toast[];
      if (same) {
        id = same.id;
        next = ts.map((t) => (t === same ? { ...t, count: t.count + 1 } : t));
      } else {
        id = nextId.current++;
        next = [...ts, { id, tone, text, count: 1 }];
        // Errors are never pushed out by newer messages; only the oldest others make room.
        const overflow = next.length - MAX_TOASTS;
        if (overflow > 0) {
          const drop = new Set(
            next
              .filter((t) => t.tone !== 'error')
              .slice(0, overflow)
              .map((t) => t.id),
          );
          next = next.filter((t) => !drop.has(t.id));
        }
      }
      current.current = next;
      setToasts(next);
      // Errors stay until dismissed: a person must be able to read what went wrong.
      if (tone !== 'error') {
        clearTimeout(timers.current.get(id));
        timers.current.set(
          id,
          setTimeout(() => dismiss(id), TOAST_MS),
        );
      }
      return id;
    },
    [dismiss],
  );
  const markSynced = useCallback(() => setLastSyncAt(new Date().toISOString()), []);

  const dirty = useRef(new Set<string>());
  const [leaving, setLeaving] = useState<(() => void) | null>(null);
  const setDirty = useCallback((key: string, d: boolean) => {
    if (d) dirty.current.add(key);
    else dirty.current.delete(key);
  }, []);
  const guard = useCallback((action: () => void) => {
    if (dirty.current.size === 0) action();
    else setLeaving(() => action);
  }, []);
  const answerLeave = useCallback(
    (discard: boolean) => {
      const action = leaving;
      setLeaving(null);
      if (discard && action) {
        dirty.current.clear();
        // Discarded means gone: main must not keep them through a lock the action may be.
        void api.formDraftDiscard().catch(() => undefined);
        action();
      }
    },
    [leaving, api],
  );
  const go = useCallback(
    (v: View, f: Focus = {}) =>
      guard(() => {
        setView(v);
        setFocus(f);
      }),
    [guard],
  );

  // Closing or reloading the window with unsaved edits asks first (main shows the question).
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (dirty.current.size === 0) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  // Shortly before an idle lock, main says so. It matters only to someone with unsaved edits, who
  // gets an alert that stays until their next key press or click: main counts that as activity,
  // so it is also what keeps Keyhold unlocked.
  const lockWarning = useRef<{ id: number; stop: () => void } | null>(null);
  const endLockWarning = useCallback(() => {
    const w = lockWarning.current;
    lockWarning.current = null;
    if (!w) return;
    w.stop();
    dismiss(w.id);
  }, [dismiss]);
  const onLockSoon = useCallback(
    (seconds: number) => {
      if (dirty.current.size === 0) return;
      endLockWarning();
      const id = toast('error', lockSoonText(seconds));
      const events = ['keydown', 'pointerdown', 'wheel'] as const;
      const stop = () => {
        for (const e of events) window.removeEventListener(e, endLockWarning, true);
      };
      for (const e of events) window.addEventListener(e, endLockWarning, true);
      lockWarning.current = { id, stop };
    },
    [toast, endLockWarning],
  );
  useEffect(() => endLockWarning, [endLockWarning]);

  const onLocked = useCallback(
    (reason: LockReason) => {
      endLockWarning();
      // A lock from main (idle, sleep, screen lock) cannot wait for an answer: the forms go (main kept
      // their unsaved state, sealed, and gives it back after the unlock: drafts.ts).
      dirty.current.clear();
      setLeaving(null);
      // Edits put back after the last unlock hold values: nothing typed stays in the page while locked.
      setFocus((f) => (f.restore ? { ...f, restore: undefined } : f));
      setLockReason(reason);
      setProgress(null);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== qk.vaultStatus[0] });
      // A mutation keeps what it was sent (a saved form's values) and what came back.
      qc.getMutationCache().clear();
      qc.setQueryData<VaultStatus>(qk.vaultStatus, (old) => (old ? { ...old, unlocked: false } : old));
      void qc.invalidateQueries({ queryKey: qk.vaultStatus });
    },
    [qc, endLockWarning],
  );

  useEffect(() => {
    const onOnline = () => setOnline(true);
    const onOffline = () => setOnline(false);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    const unsubs = [
      api.on('network', ({ online: o }) => setOnline(o)),
      api.on('locked', ({ reason }) => onLocked(reason)),
      api.on('lockSoon', ({ seconds }) => onLockSoon(seconds)),
      // The read went on; the person learns that Activity will not show it.
      api.on('auditUnrecorded', ({ message }) => toast('error', message)),
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
  }, [api, qc, onLocked, onLockSoon, toast]);

  const value = useMemo<AppState>(
    () => ({ online, progress, lastSyncAt, lockReason, toasts, toast, dismiss, markSynced, onLocked, view, go, focus, setDirty, guard, leaving, answerLeave }),
    [online, progress, lastSyncAt, lockReason, toasts, toast, dismiss, markSynced, onLocked, view, go, focus, setDirty, guard, leaving, answerLeave],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
