import type { FormDraft } from '../../shared/contract';
import { KeyholdError } from '../../shared/errors';
import type { Cells } from '../vault/cells';

// The cell label kept drafts are sealed under: bound to this vault and to its purpose.
const CELL = ['form_drafts', 'window', 'draft'] as const;

/** The most forms whose edits are kept at once: a window shows one section, and no section has more than two forms. */
export const MAX_KEPT_FORMS = 8;

/**
 * The window's unsaved forms, kept across a lock (idle, sleep, screen lock) so nothing typed is
 * lost. While the vault is unlocked each form sends its state as it changes, and main holds them as
 * it holds the vault key. At a lock they are sealed with the vault key, which goes with the lock: a
 * locked Keyhold holds them only encrypted. The next unlock opens them and hands them back once;
 * after a password change (a new vault key) they no longer open and are dropped.
 */
export class DraftKeeper {
  readonly #open = new Map<string, string>();
  #sealed: Buffer | null = null;

  /** One form's latest state, or null when it has nothing unsaved (saved, cancelled, clean, gone). */
  keep(key: string, values: string | null): void {
    if (values === null) {
      this.#open.delete(key);
      return;
    }
    if (!this.#open.has(key) && this.#open.size >= MAX_KEPT_FORMS) {
      throw new KeyholdError('BadInput', `Keyhold keeps the unsaved edits of at most ${MAX_KEPT_FORMS} forms at once.`, { field: 'key' });
    }
    this.#open.set(key, values);
  }

  /**
   * At a lock, while the key is still there. Drafts sealed at an earlier lock and never taken (the
   * window did not come back) stay, unless a form has newer edits under the same key.
   */
  seal(cells: Cells): void {
    if (this.#open.size === 0) return;
    const kept = new Map([...this.#unseal(cells)].map((d) => [d.key, d.values]));
    for (const [key, values] of this.#open) kept.set(key, values);
    this.#sealed = cells.encrypt(...CELL, [...kept].map(([key, values]) => ({ key, values })) satisfies FormDraft[]);
    this.#open.clear();
  }

  /** After an unlock: what was sealed at the lock, once. Forms changed since then are the window's own. */
  take(cells: Cells): FormDraft[] {
    const drafts = this.#unseal(cells);
    this.#sealed = null;
    return drafts;
  }

  #unseal(cells: Cells): FormDraft[] {
    if (this.#sealed === null) return [];
    try {
      return cells.decrypt<FormDraft[]>(...CELL, this.#sealed);
    } catch {
      // Sealed under a key the vault no longer has (a password change): nothing to give back.
      return [];
    }
  }

  /** The person discarded their edits, or Keyhold is closing: nothing is kept. */
  drop(): void {
    this.#open.clear();
    this.#sealed = null;
  }
}
