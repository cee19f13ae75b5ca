import type { FormDraft } from '../../shared/contract';
import type { Cells } from '../vault/cells';

// The cell label a kept draft is sealed under: bound to this vault and to its purpose.
const CELL = ['form_drafts', 'window', 'draft'] as const;

/**
 * The window's unsaved form, kept across a lock (idle, sleep, screen lock) so nothing typed is lost.
 * While the vault is unlocked the window sends it as it changes, and main holds it as it holds the
 * vault key. At a lock it is sealed with the vault key, which goes with the lock: a locked Keyhold
 * holds it only encrypted. The next unlock opens it and hands it back once; after a password
 * change (a new vault key) it no longer opens and is dropped.
 */
export class DraftKeeper {
  #open: FormDraft | null = null;
  #sealed: Buffer | null = null;

  /** The latest state of the form, or null when it has nothing unsaved (saved, cancelled, clean). */
  keep(draft: FormDraft | null): void {
    this.#open = draft;
    this.#sealed = null;
  }

  /** At a lock, while the key is still there. */
  seal(cells: Cells): void {
    if (this.#open === null) return;
    this.#sealed = cells.encrypt(...CELL, this.#open);
    this.#open = null;
  }

  /** After an unlock: the draft, once. */
  take(cells: Cells): FormDraft | null {
    const [open, sealed] = [this.#open, this.#sealed];
    this.drop();
    if (open !== null || sealed === null) return open;
    try {
      return cells.decrypt<FormDraft>(...CELL, sealed);
    } catch {
      return null;
    }
  }

  drop(): void {
    this.#open = null;
    this.#sealed = null;
  }
}
