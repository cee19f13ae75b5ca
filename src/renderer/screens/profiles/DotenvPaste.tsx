// The .env paste flow of the profile form: main reads the text (dotenvRead, the CLI's parser),
// the form takes the entries, and a note says what was filled and what was skipped.
import { useId, useState } from 'react';
import type { ClipboardEvent } from 'react';
import { useApi } from '../../api';
import { isDotenvBlock, looksLikeDotenv } from '../../lib/dotenv';

export interface DotenvPaste {
  open: boolean;
  toggle: () => void;
  close: () => void;
  text: string;
  setText: (text: string) => void;
  note: string | null;
  /** Reads `text`, hands its entries to the form; false (with a note saying why) when none. */
  fill: (text: string) => Promise<boolean>;
  /** For a key input: a pasted .env block fills the rows instead of landing in the key. */
  onKeyPaste: (e: ClipboardEvent<HTMLInputElement>) => void;
  /** For a value input: a pasted .env block is held (in memory only) and the form offers to fill rows from it. */
  onValuePaste: (e: ClipboardEvent<HTMLInputElement>) => void;
  /** A .env block pasted into a value field, waiting for the person's answer. */
  held: boolean;
  fillHeld: () => void;
  dropHeld: () => void;
}

export function useDotenvPaste(onEntries: (entries: readonly { key: string; value: string }[]) => void): DotenvPaste {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [held, setHeld] = useState<string | null>(null);

  const fill = async (pasted: string) => {
    const read = await api.dotenvRead({ text: pasted }).catch((e: unknown) => {
      setNote(e instanceof Error ? e.message : 'That text could not be read.');
      return null;
    });
    if (read === null) return false;
    const { entries, skipped } = read;
    if (entries.length === 0) {
      setNote('No KEY=VALUE lines were found.');
      return false;
    }
    onEntries(entries);
    setNote(
      `Filled ${entries.length} ${entries.length === 1 ? 'row' : 'rows'}` +
        (skipped.length ? `; skipped line${skipped.length === 1 ? '' : 's'} ${skipped.join(', ')} (not KEY=VALUE).` : '.'),
    );
    return true;
  };

  const onKeyPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData('text');
    if (!looksLikeDotenv(pasted) || !pasted.includes('=')) return;
    e.preventDefault();
    void fill(pasted);
  };

  const onValuePaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData('text');
    if (!isDotenvBlock(pasted)) return;
    e.preventDefault();
    setNote(null);
    setHeld(pasted);
  };

  return {
    open,
    toggle: () => setOpen((o) => !o),
    close: () => setOpen(false),
    text,
    setText,
    note,
    fill,
    onKeyPaste,
    onValuePaste,
    held: held !== null,
    fillHeld: () => {
      if (held === null) return;
      setHeld(null);
      void fill(held);
    },
    dropHeld: () => {
      setHeld(null);
      setNote('Nothing was pasted.');
    },
  };
}

/** The paste box (while open) and the note on the last fill. */
export function DotenvPastePanel({ paste }: { paste: DotenvPaste }) {
  const id = useId();
  return (
    <>
      {paste.open ? (
        <div className="paste">
          <label htmlFor={id}>Paste KEY=VALUE lines (comments and quotes are fine)</label>
          <textarea id={id} className="mono" rows={5} spellCheck={false} value={paste.text} onChange={(e) => paste.setText(e.target.value)} />
          <div className="row-actions">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                void paste.fill(paste.text).then((filled) => {
                  if (!filled) return;
                  paste.setText('');
                  paste.close();
                });
              }}
            >
              Fill rows
            </button>
          </div>
        </div>
      ) : null}
      {paste.held ? (
        <div className="callout callout-warning small" role="group" aria-label="Pasted .env lines">
          <p role="status">You pasted several KEY=VALUE lines into a value, which keeps one line. Fill a row for each line instead?</p>
          <div className="row-actions">
            <button type="button" className="secondary" onClick={paste.fillHeld}>
              Fill rows from the pasted lines
            </button>
            <button type="button" className="ghost" onClick={paste.dropHeld}>
              Don't paste
            </button>
          </div>
        </div>
      ) : null}
      {paste.note ? (
        <p className="muted small" role="status">
          {paste.note}
        </p>
      ) : null}
    </>
  );
}
