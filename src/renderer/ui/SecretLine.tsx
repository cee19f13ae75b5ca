import { ErrorNote } from './kit';

/**
 * One secret in a `.secrets` list: its name, its value as dots until revealed, Reveal or Hide,
 * and Copy (which happens in main). The caller owns the reveal (useReveal) and the calls.
 */
export function SecretLine({
  name,
  mono = false,
  value,
  valueLabel,
  what,
  valueTestId,
  onReveal,
  revealing,
  onHide,
  onCopy,
  copying,
  error,
}: {
  name: string;
  /** The name is a key: monospace. */
  mono?: boolean;
  /** The revealed value, or null while masked. */
  value: string | null;
  /** What a screen reader calls the value; " hidden" is added while it is masked. */
  valueLabel: string;
  /** What the buttons call it: "Reveal {what}", "Hide {what}", "Copy {what}". */
  what: string;
  valueTestId?: string;
  onReveal: () => void;
  revealing: boolean;
  onHide: () => void;
  onCopy: () => void;
  copying: boolean;
  error: unknown;
}) {
  return (
    <li className="secret-row">
      <span className={mono ? 'secret-key mono' : 'secret-key'}>{name}</span>
      <span
        className={`secret-value mono${value === null ? ' masked' : ''}`}
        aria-label={value === null ? `${valueLabel} hidden` : valueLabel}
        data-testid={valueTestId}
      >
        {value === null ? '••••••••••••' : value}
      </span>
      <span className="row-actions">
        {value === null ? (
          <button type="button" className="ghost small" onClick={onReveal} disabled={revealing} aria-label={`Reveal ${what}`}>
            Reveal
          </button>
        ) : (
          <button type="button" className="ghost small" onClick={onHide} aria-label={`Hide ${what}`}>
            Hide
          </button>
        )}
        <button type="button" className="ghost small" onClick={onCopy} disabled={copying} aria-label={`Copy ${what}`}>
          Copy
        </button>
      </span>
      {error ? (
        <span className="secret-error">
          <ErrorNote error={error} />
        </span>
      ) : null}
    </li>
  );
}
