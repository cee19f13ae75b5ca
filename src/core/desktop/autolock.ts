import type { LockReason as SharedLockReason } from '../../shared/contract';
import { KeyholdError } from '../../shared/errors';
import { systemTimers } from './ports';
import type { PowerPort, Timers } from './ports';

export const DEFAULT_AUTO_LOCK_MINUTES = 10;

/** The reasons auto-lock itself locks for (the person's own lock is not one). */
export type LockReason = Exclude<SharedLockReason, 'user'>;

export interface AutoLockOptions {
  lock: (reason: LockReason) => void | Promise<void>;
  power: PowerPort;
  idleMinutes?: number;
  timers?: Timers;
  /** A failed lock must be visible somewhere, but the error may not be rethrown from a timer. */
  onError?: (error: unknown) => void;
  /**
   * Heard once per idle stretch, shortly before an idle lock (a minute before, or half the delay
   * when that is shorter), with the seconds left: the window warns whoever has unsaved edits.
   * Suspend and screen lock come without warning.
   */
  onSoon?: (secondsLeft: number) => void;
}

const WARN_MS = 60_000;

// What a person does in the window: keys, clicks, wheel and touch. Pointer moves are left out (a
// hand resting on the mouse makes them), and so is everything the window does on its own: its
// calls to the engine follow sync events and timers as much as clicks, so they never count.
const PERSON_INPUT = new Set([
  'keyDown',
  'rawKeyDown',
  'char',
  'mouseDown',
  'mouseUp',
  'mouseWheel',
  'touchStart',
  'touchMove',
  'gestureScrollBegin',
  'gestureTap',
]);

/** Whether an input event in the window (Electron's InputEvent type) is a person's activity. */
export function isPersonInput(type: string): boolean {
  return PERSON_INPUT.has(type);
}

function checkMinutes(minutes: number): number {
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new KeyholdError('BadInput', 'The auto-lock delay must be a positive number of minutes.', {
      field: 'autoLockMinutes',
    });
  }
  return minutes;
}

/**
 * Locks after a stretch of inactivity in Keyhold, and at once when the machine suspends or the
 * screen locks. Only a person's input counts as activity: background sync, and whatever the
 * window fetches because of it, never keeps the vault unlocked. Activity only records a time: one timer is re-armed when it fires early, so a
 * stream of key presses costs no timer churn.
 */
export class AutoLock {
  readonly #options: AutoLockOptions;
  readonly #timers: Timers;
  #idleMs: number;
  #lastActivity = 0;
  /** The activity time whose idle stretch has been warned about. */
  #warnedFor = -1;
  #handle: unknown = null;
  #unsubscribe: (() => void)[] = [];

  constructor(options: AutoLockOptions) {
    this.#options = options;
    this.#timers = options.timers ?? systemTimers;
    this.#idleMs = checkMinutes(options.idleMinutes ?? DEFAULT_AUTO_LOCK_MINUTES) * 60_000;
  }

  get running(): boolean {
    return this.#unsubscribe.length > 0;
  }

  start(): void {
    if (this.running) return;
    this.#unsubscribe = [
      this.#options.power.on('suspend', () => this.#fire('suspend')),
      this.#options.power.on('lock-screen', () => this.#fire('lock-screen')),
    ];
    this.activity();
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#clear();
  }

  activity(): void {
    if (!this.running) return;
    this.#lastActivity = this.#timers.now();
    if (this.#handle === null) this.#schedule(this.#idleMs);
  }

  setIdleMinutes(minutes: number): void {
    this.#idleMs = checkMinutes(minutes) * 60_000;
    if (!this.running) return;
    this.#clear();
    this.#schedule(Math.max(0, this.#lastActivity + this.#idleMs - this.#timers.now()));
  }

  get #warnMs(): number {
    return Math.min(WARN_MS, this.#idleMs / 2);
  }

  /** Arms the one timer for the warning or the lock, whichever comes first, `remaining` before the lock. */
  #schedule(remaining: number): void {
    const untilWarning = remaining - this.#warnMs;
    const warned = this.#warnedFor === this.#lastActivity || this.#options.onSoon === undefined;
    this.#handle = this.#timers.setTimeout(
      () => {
        this.#handle = null;
        const left = this.#lastActivity + this.#idleMs - this.#timers.now();
        if (left <= 0) return this.#fire('idle');
        if (left <= this.#warnMs && this.#warnedFor !== this.#lastActivity) {
          this.#warnedFor = this.#lastActivity;
          this.#warn(left);
        }
        this.#schedule(left);
      },
      warned ? remaining : Math.max(0, untilWarning),
    );
  }

  #warn(msLeft: number): void {
    try {
      this.#options.onSoon?.(Math.ceil(msLeft / 1000));
    } catch (e) {
      (this.#options.onError ?? (() => undefined))(e);
    }
  }

  #clear(): void {
    if (this.#handle !== null) this.#timers.clearTimeout(this.#handle);
    this.#handle = null;
  }

  #fire(reason: LockReason): void {
    // Nothing is armed again until the next activity (the unlock itself counts), so a locked,
    // untouched vault is not locked over and over.
    this.#clear();
    const report = this.#options.onError ?? (() => undefined);
    try {
      Promise.resolve(this.#options.lock(reason)).catch(report);
    } catch (e) {
      report(e);
    }
  }
}
