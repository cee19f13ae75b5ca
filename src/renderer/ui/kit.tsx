import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';
import type { ItemVersion, SyncState } from '../../shared/domain';
import { errorText } from '../api';
import { passwordStrength } from '../lib/strength';
import { when } from '../lib/time';

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
  const help = state === 'failed' && reason ? reason : STATE_HELP[state];
  return (
    <span className={`badge badge-${state}`} title={help} aria-label={`${STATE_LABEL[state]}: ${help}`}>
      {STATE_LABEL[state]}
    </span>
  );
}

/** Shows why a call failed, where it happened. Renders nothing when there is no error. */
export function ErrorNote({ error, id }: { error: unknown; id?: string }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error-note" role="alert" id={id}>
      {errorText(error)}
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
          {error}
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
    return () => before?.focus();
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
            <strong>Version {v.version}</strong> <span className="muted">· {v.reason} · {when(v.at)}</span>
            <div className="small">{v.summary}</div>
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

/** A field hint: how strong a typed password or passphrase is, or `fallback` while it is empty. */
export function StrengthHint({ secret, label, fallback }: { secret: string; label: string; fallback: ReactNode }) {
  if (!secret) return <>{fallback}</>;
  const strength = passwordStrength(secret);
  return (
    <span className="strength">
      <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label={label} />
      <span className={`strength-label strength-${strength.score}`}>{strength.label}</span>
      <span>{strength.hint}</span>
    </span>
  );
}
