import { createHash } from 'node:crypto';
import { KeyholdError } from '../../shared/errors';
import { systemTimers } from './ports';
import type { ClipboardPort, Timers } from './ports';

export const DEFAULT_CLIPBOARD_SECONDS = 30;

export interface ClipboardGuardOptions {
  clipboard: ClipboardPort;
  clearAfterSeconds?: number;
  timers?: Timers;
}

// Only a digest of the copied secret is kept while waiting: enough to tell whether the clipboard
// still holds it, without a second plaintext copy living in this process for half a minute.
const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function checkSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new KeyholdError('BadInput', 'The clipboard delay must be a positive number of seconds.', {
      field: 'clipboardSeconds',
    });
  }
  return seconds;
}

/** Copies a secret and clears it later, unless the person has copied something else since. */
export class ClipboardGuard {
  readonly #clipboard: ClipboardPort;
  readonly #timers: Timers;
  #seconds: number;
  #pending: { digest: string; handle: unknown } | null = null;

  constructor(options: ClipboardGuardOptions) {
    this.#clipboard = options.clipboard;
    this.#timers = options.timers ?? systemTimers;
    this.#seconds = checkSeconds(options.clearAfterSeconds ?? DEFAULT_CLIPBOARD_SECONDS);
  }

  get clearAfterSeconds(): number {
    return this.#seconds;
  }

  setClearAfterSeconds(seconds: number): void {
    this.#seconds = checkSeconds(seconds);
  }

  copy(text: string): { clearsAfterSeconds: number } {
    this.#cancel();
    this.#clipboard.writeText(text);
    const handle = this.#timers.setTimeout(() => this.clearNow(), this.#seconds * 1000);
    this.#pending = { digest: digest(text), handle };
    return { clearsAfterSeconds: this.#seconds };
  }

  /** Clears at once (on lock, on quit) if the clipboard still holds what Keyhold put there. */
  clearNow(): boolean {
    const pending = this.#pending;
    this.#cancel();
    if (pending === null || digest(this.#clipboard.readText()) !== pending.digest) return false;
    this.#clipboard.writeText('');
    return true;
  }

  #cancel(): void {
    if (this.#pending !== null) this.#timers.clearTimeout(this.#pending.handle);
    this.#pending = null;
  }
}
