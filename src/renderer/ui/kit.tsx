import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';
import type { ItemVersion, SyncState } from '../../shared/domain';
import { errorText, isCancelled, useApi } from '../api';
import { describeStrength } from '../lib/strength';
import type { Strength } from '../lib/strength';
import { when } from '../lib/time';
import { plain } from '../lib/words';

const STATE_LABEL: Record<SyncState, string> = {
  draft: 'Draft',
  pending: 'Pending',
  synced: 'Synced',
  failed: 'Failed',
};

const STATE_HELP: Record<SyncState, string> = {
  draft: 'Kept here on purpose; not sent until you mark it ready.',
  pending: 'Waiting to be sent at the next sync.',
  synced: 'The remote service has this version.',
  failed: 'Needs you: the remote service refused it.',
};

/** The sync state of an item; a failed one carries its reason on hover and for screen readers. */
export function SyncBadge({ state, reason }: { state: SyncState; reason?: string | null }) {
  const help = state === 'failed' && reason ? plain(reason) : STATE_HELP[state];
  return (
    <span className={`badge badge-${state}`} title={help} aria-label={`${STATE_LABEL[state]}: ${help}`}>
      {STATE_LABEL[state]}
    </span>
  );
}

/**
 * Shows why a call failed, where it happened (`describe` words it for its screen). Renders nothing
 * when there is no error, or when the person answered Cancel in main's dialog: they chose that.
 */
export function ErrorNote({ error, id, describe = errorText }: { error: unknown; id?: string; describe?: (e: unknown) => string }) {
  if (error === null || error === undefined || isCancelled(error)) return null;
  return (
    <p className="error-note" role="alert" id={id}>
      {describe(error)}
    </p>
  );
}

export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint ? (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <p className="field-error" id={errId} role="alert">
          {plain(error)}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A modal dialog: focus moves into it, Escape cancels, Tab stays inside, and focus returns to
 * where it was when it closes.
 */
export function Dialog({
  title,
  children,
  onClose,
  tone = 'normal',
}: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  tone?: 'normal' | 'warning' | 'danger';
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('[data-autofocus], input, select, textarea, button');
    first?.focus();
    // The opener may be gone (the item was deleted); then the focus rescue picks a place.
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])')].filter(
      (el) => !el.hasAttribute('disabled'),
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className={`dialog dialog-${tone}`} role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKeyDown}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** A yes/no question before something that cannot be taken back; the safe answer has focus. */
export function ConfirmDialog({
  title,
  children,
  confirm,
  onConfirm,
  onClose,
  busy = false,
  error,
}: {
  title: string;
  children: ReactNode;
  confirm: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  error?: unknown;
}) {
  return (
    <Dialog title={title} tone="danger" onClose={onClose}>
      {children}
      <ErrorNote error={error} />
      <div className="dialog-actions">
        <button type="button" className="ghost" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}

/** "1 profile", "2 profiles": a count with its noun, never "1 profiles". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * When the focused element disappears (a form saved, an item deleted, a dialog closed over a
 * removed opener), focus would fall to <body>. This puts it back somewhere sensible: the
 * `[data-focus-home]` of the region it was in, if that region is still there, else the first
 * `[data-focus-home]` on the page, else the main content.
 */
export function useFocusRescue(): void {
  useEffect(() => {
    let last: Element | null = null;
    let scope: Element | null = null;
    const onFocusIn = (e: FocusEvent) => {
      if (!(e.target instanceof Element) || e.target === document.body) return;
      last = e.target;
      scope = e.target.closest('[data-focus-scope]');
    };
    const rescue = () => {
      if (document.activeElement && document.activeElement !== document.body) return;
      if (!last || last.isConnected) return;
      if (document.querySelector('[role="dialog"]')) return;
      const inScope = scope?.isConnected ? (scope.querySelector<HTMLElement>('[data-focus-home]') ?? scope.querySelector<HTMLElement>(FOCUSABLE)) : null;
      const target = inScope ?? document.querySelector<HTMLElement>('[data-focus-home]') ?? document.getElementById('main');
      last = null;
      target?.focus();
    };
    const mo = new MutationObserver(() => setTimeout(rescue, 0));
    mo.observe(document.body, { childList: true, subtree: true });
    document.addEventListener('focusin', onFocusIn);
    return () => {
      mo.disconnect();
      document.removeEventListener('focusin', onFocusIn);
    };
  }, []);
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-label={label}>
      <span aria-hidden="true" />
    </span>
  );
}

/** The top of a page: its title, what it is for (`children`), and its main action. */
export function PageHeader({ title, children, action, focusHome = false }: { title: string; children?: ReactNode; action?: ReactNode; focusHome?: boolean }) {
  return (
    <header className="page-header">
      <div>
        <h1 {...(focusHome ? { tabIndex: -1, 'data-focus-home': true } : {})}>{title}</h1>
        {children ? <p className="muted">{children}</p> : null}
      </div>
      {action}
    </header>
  );
}

/** The one button that ends a dialog that asks nothing: Close, or a primary Done after a task. */
export function CloseActions({ onClose, label = 'Close', primary = false }: { onClose: () => void; label?: string; primary?: boolean }) {
  return (
    <div className="dialog-actions">
      <button type="button" className={primary ? 'primary' : 'ghost'} onClick={onClose}>
        {label}
      </button>
    </div>
  );
}

/** Keyboard shortcut text for this platform: ⌘ on macOS, Ctrl elsewhere. */
export const MOD = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+';

/** An item's versions, newest first, each restorable except the current one. */
export function VersionList({
  versions,
  current,
  onRestore,
  busy,
}: {
  versions: ItemVersion[] | undefined;
  current: number;
  onRestore: (version: number) => void;
  busy: boolean;
}) {
  const sorted = [...(versions ?? [])].sort((a, b) => b.version - a.version);
  return (
    <ol className="history" aria-label="Versions">
      {sorted.map((v) => (
        <li key={v.version}>
          <div>
            <strong>Version {v.version}</strong>{' '}
            <span className="muted">
              · {v.reason} · {when(v.at)}
            </span>
            <div className="small">{v.summary}</div>
            {v.source ? <div className="small muted">From {v.source}</div> : null}
          </div>
          {v.version === current ? (
            <span className="muted small">Current</span>
          ) : (
            <button type="button" className="secondary small" onClick={() => onRestore(v.version)} disabled={busy}>
              Restore
            </button>
          )}
        </li>
      ))}
    </ol>
  );
}

/**
 * An item's history in a dialog: its versions (loading, or why they could not be read), a
 * Restore on each old one, `children` (a follow-up question), why a restore failed, and Close.
 */
export function VersionsDialog({
  title,
  history,
  current,
  onRestore,
  restoring,
  restoreError,
  onClose,
  children,
}: {
  title: string;
  history: { isPending: boolean; error: unknown; data: ItemVersion[] | undefined };
  current: number;
  onRestore: (version: number) => void;
  restoring: boolean;
  restoreError: unknown;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      {history.isPending ? <Spinner /> : null}
      <ErrorNote error={history.error} />
      <VersionList versions={history.data} current={current} onRestore={onRestore} busy={restoring} />
      {children}
      <ErrorNote error={restoreError} />
      <CloseActions onClose={onClose} />
    </Dialog>
  );
}

/**
 * The strength of `secret` as the engine estimates it (zxcvbn-ts, as in the CLI), while typing.
 * The query key holds the typed text only in this window's memory; it is dropped at lock.
 */
export function useStrength(secret: string): Strength | null {
  const api = useApi();
  const deferred = useDeferredValue(secret);
  const q = useQuery({
    queryKey: ['strength', deferred],
    queryFn: () => api.passwordStrength({ password: deferred }),
    enabled: deferred.length > 0,
    gcTime: 0,
    staleTime: Infinity,
    placeholderData: (previous) => previous,
  });
  if (!secret || !q.data) return null;
  return describeStrength(q.data.score, q.data.label, q.data.strongEnough);
}

/** A field hint: how strong a typed password or passphrase is, or `fallback` while it is empty. */
export function StrengthHint({ secret, label, fallback }: { secret: string; label: string; fallback: ReactNode }) {
  const strength = useStrength(secret);
  if (!secret || !strength) return <>{fallback}</>;
  return (
    <span className="strength">
      <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label={label} />
      <span className={`strength-label strength-${strength.score}`}>{strength.label}</span>
      <span>{strength.hint}</span>
    </span>
  );
}
