import { useEffect } from 'react';
import type { ClipboardEvent } from 'react';
import type { UseFormRegisterReturn } from 'react-hook-form';
import { useApi } from '../../api';
import { ErrorNote } from '../../ui/kit';
import { useReveal } from '../../ui/useReveal';

/**
 * One value input. A saved value is never put in the form: its row shows a masked placeholder,
 * and Reveal asks the engine for it (an audited reveal, as in the detail view) and shows it
 * read-only for a few seconds. What the person types is theirs to show and hide.
 */
export function ValueInput({
  index,
  profileId,
  keyName,
  typed,
  shown,
  onToggle,
  invalid,
  describedBy,
  register,
  onPaste,
}: {
  index: number;
  profileId: string | undefined;
  keyName: string;
  typed: string;
  shown: boolean;
  onToggle: () => void;
  invalid: boolean;
  /** The id of the row's error about this value, if any. */
  describedBy?: string | undefined;
  register: UseFormRegisterReturn;
  onPaste?: (e: ClipboardEvent<HTMLInputElement>) => void;
}) {
  const api = useApi();
  const reveal = useReveal(async () => (await api.profileReveal({ ref: profileId as string, key: keyName })).value);
  const { value: revealed, hide } = reveal;
  const saved = profileId !== undefined && typed === '';
  // Typing replaces the saved value: the revealed one is no longer shown, so it is not kept either.
  useEffect(() => {
    if (!saved && revealed !== null) hide();
  }, [saved, revealed, hide]);
  return (
    <>
      <div className="input-with-action">
        <input
          aria-label={`Value ${index + 1}`}
          className="mono"
          type={shown && !saved ? 'text' : 'password'}
          autoComplete="off"
          spellCheck={false}
          placeholder={profileId !== undefined ? '•••••••• saved; type to replace' : ''}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          {...register}
          onPaste={onPaste}
        />
        {saved ? (
          <button
            type="button"
            className="icon"
            aria-label={revealed === null ? `Reveal saved value ${index + 1}` : `Hide saved value ${index + 1}`}
            onClick={revealed === null ? reveal.reveal : hide}
            disabled={reveal.revealing}
          >
            {revealed === null ? 'Reveal' : 'Hide'}
          </button>
        ) : (
          <button
            type="button"
            className="icon"
            aria-label={shown ? `Hide value ${index + 1}` : `Show value ${index + 1}`}
            aria-pressed={shown}
            onClick={onToggle}
          >
            {shown ? 'Hide' : 'Show'}
          </button>
        )}
      </div>
      {saved && revealed !== null ? (
        <output className="revealed mono small" aria-label={`Saved value of ${keyName}`}>
          {revealed}
        </output>
      ) : null}
      <ErrorNote error={reveal.error} />
    </>
  );
}
