// What the sharing dialogs have in common: how a failure reads, and the panel that ends an export or an import.
import type { ReactNode } from 'react';
import { errorCode, errorText } from '../../api';
import { CloseActions, ErrorNote } from '../../ui/kit';

// What to add to a sharing failure so the person knows what to do about the file in front of them.
const ADVICE: Partial<Record<string, string>> = {
  SignatureInvalid: 'Do not trust this file: ask the sender to export it again.',
  BundleInvalid: 'Ask the sender to export it again; nothing was imported.',
  TooLarge: 'Export fewer items, or split them over several files.',
};

export function shareErrorText(e: unknown): string {
  const text = errorText(e);
  const advice = ADVICE[errorCode(e) ?? ''];
  return advice && !text.includes(advice) ? `${text} ${advice}` : text;
}

export function ShareError({ error, id }: { error: unknown; id?: string }) {
  return <ErrorNote error={error} id={id} describe={shareErrorText} />;
}

/** The end of an export or an import: what happened, the facts worth knowing, and Done. */
export function Finished({ label, headline, onClose, children }: { label: string; headline: ReactNode; onClose: () => void; children: ReactNode }) {
  return (
    <div role="status" aria-label={label}>
      <p className="ok-note">✓ {headline}</p>
      <ul className="small facts-list">{children}</ul>
      <CloseActions onClose={onClose} label="Done" primary />
    </div>
  );
}
