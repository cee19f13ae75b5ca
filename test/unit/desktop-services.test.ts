import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoLock, ClipboardGuard, DEFAULT_AUTO_LOCK_MINUTES, DEFAULT_CLIPBOARD_SECONDS, quickUnlockPolicy } from '../../src/core/desktop';
import type { ClipboardPort, LockReason, PowerEvent, PowerPort, SecretStorageBackend, Timers } from '../../src/core/desktop';
import { KeyholdError } from '../../src/shared/errors';

// Driven by Vitest's fake timers: time only moves when a test advances it.
const fakeTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

class MemoryClipboard implements ClipboardPort {
  text = '';
  writes: string[] = [];
  writeText(text: string): void {
    this.text = text;
    this.writes.push(text);
  }
  readText(): string {
    return this.text;
  }
}

class MemoryPower implements PowerPort {
  readonly listeners = new Map<PowerEvent, Set<() => void>>();
  on(event: PowerEvent, listener: () => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }
  emit(event: PowerEvent): void {
    for (const listener of this.listeners.get(event) ?? []) listener();
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ClipboardGuard', () => {
  it('clears the copied value after 30 seconds by default', () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, timers: fakeTimers });
    expect(guard.copy('sk-live-123')).toEqual({ clearsAfterSeconds: DEFAULT_CLIPBOARD_SECONDS });
    expect(clipboard.text).toBe('sk-live-123');
    vi.advanceTimersByTime(29_999);
    expect(clipboard.text).toBe('sk-live-123');
    vi.advanceTimersByTime(1);
    expect(clipboard.text).toBe('');
  });

  it('leaves the clipboard alone if the person copied something else meanwhile', () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clearAfterSeconds: 5, timers: fakeTimers });
    guard.copy('sk-live-123');
    clipboard.text = 'a shopping list';
    vi.advanceTimersByTime(5_000);
    expect(clipboard.text).toBe('a shopping list');
    expect(clipboard.writes).toEqual(['sk-live-123']);
  });

  it('a second copy replaces the first timer, and clearNow clears at once only if still ours', () => {
    const clipboard = new MemoryClipboard();
    const guard = new ClipboardGuard({ clipboard, clearAfterSeconds: 10, timers: fakeTimers });
    guard.copy('first');
    vi.advanceTimersByTime(8_000);
    guard.copy('second');
    vi.advanceTimersByTime(8_000);
    expect(clipboard.text).toBe('second');
    expect(guard.clearNow()).toBe(true);
    expect(clipboard.text).toBe('');
    expect(guard.clearNow()).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a nonsensical delay', () => {
    const clipboard = new MemoryClipboard();
    expect(() => new ClipboardGuard({ clipboard, clearAfterSeconds: 0 })).toThrow(KeyholdError);
    const guard = new ClipboardGuard({ clipboard, timers: fakeTimers });
    expect(() => guard.setClearAfterSeconds(Number.NaN)).toThrow(KeyholdError);
    guard.setClearAfterSeconds(12);
    guard.copy('x');
    vi.advanceTimersByTime(12_000);
    expect(clipboard.text).toBe('');
  });
});

describe('AutoLock', () => {
  function setup(idleMinutes?: number) {
    const power = new MemoryPower();
    const reasons: LockReason[] = [];
    const autoLock = new AutoLock({
      power,
      timers: fakeTimers,
      lock: (reason) => {
        reasons.push(reason);
      },
      ...(idleMinutes === undefined ? {} : { idleMinutes }),
    });
    return { power, reasons, autoLock };
  }

  it('locks after 10 idle minutes by default', () => {
    const { autoLock, reasons } = setup();
    autoLock.start();
    vi.advanceTimersByTime(DEFAULT_AUTO_LOCK_MINUTES * 60_000 - 1);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(['idle']);
  });

  it('activity pushes the deadline back', () => {
    const { autoLock, reasons } = setup(2);
    autoLock.start();
    vi.advanceTimersByTime(90_000);
    autoLock.activity();
    vi.advanceTimersByTime(90_000);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(30_000);
    expect(reasons).toEqual(['idle']);
  });

  it('locks at once on suspend and on screen lock', () => {
    const { autoLock, reasons, power } = setup();
    autoLock.start();
    power.emit('suspend');
    power.emit('lock-screen');
    expect(reasons).toEqual(['suspend', 'lock-screen']);
  });

  it('does nothing before start or after stop, and does not re-lock a vault nobody touched', () => {
    const { autoLock, reasons, power } = setup(1);
    power.emit('suspend');
    autoLock.activity();
    vi.advanceTimersByTime(120_000);
    expect(reasons).toEqual([]);
    autoLock.start();
    vi.advanceTimersByTime(10 * 60_000);
    expect(reasons).toEqual(['idle']);
    autoLock.stop();
    power.emit('lock-screen');
    expect(reasons).toEqual(['idle']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('applies a shorter delay to the time already idle', () => {
    const { autoLock, reasons } = setup(10);
    autoLock.start();
    vi.advanceTimersByTime(4 * 60_000);
    autoLock.setIdleMinutes(5);
    vi.advanceTimersByTime(60_000 - 1);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(['idle']);
    expect(() => autoLock.setIdleMinutes(-1)).toThrow(KeyholdError);
  });

  it('warns once per idle stretch, a minute before an idle lock (half the delay when shorter), never before suspend', () => {
    const power = new MemoryPower();
    const events: string[] = [];
    const autoLock = new AutoLock({
      power,
      timers: fakeTimers,
      idleMinutes: 10,
      lock: (reason) => void events.push(`lock ${reason}`),
      onSoon: (seconds) => void events.push(`soon ${seconds}`),
    });
    autoLock.start();
    vi.advanceTimersByTime(9 * 60_000 - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['soon 60']);
    // The person comes back after the warning: no lock, and the next stretch warns again.
    vi.advanceTimersByTime(30_000);
    autoLock.activity();
    vi.advanceTimersByTime(9 * 60_000);
    expect(events).toEqual(['soon 60', 'soon 60']);
    vi.advanceTimersByTime(60_000);
    expect(events).toEqual(['soon 60', 'soon 60', 'lock idle']);

    // A one-minute delay warns after 30 seconds; a delay shortened past the warning warns at once.
    events.length = 0;
    autoLock.setIdleMinutes(1);
    autoLock.activity();
    vi.advanceTimersByTime(30_000);
    expect(events).toEqual(['soon 30']);
    vi.advanceTimersByTime(30_000);
    expect(events).toEqual(['soon 30', 'lock idle']);
    events.length = 0;
    autoLock.setIdleMinutes(10);
    autoLock.activity();
    vi.advanceTimersByTime(8 * 60_000);
    autoLock.setIdleMinutes(8.5);
    vi.advanceTimersByTime(0);
    expect(events).toEqual(['soon 30']);
    vi.advanceTimersByTime(30_000);
    expect(events).toEqual(['soon 30', 'lock idle']);

    events.length = 0;
    autoLock.activity();
    power.emit('suspend');
    expect(events).toEqual(['lock suspend']);
  });

  it('reports a failing lock instead of throwing from a timer', async () => {
    const power = new MemoryPower();
    const onError = vi.fn();
    const autoLock = new AutoLock({
      power,
      timers: fakeTimers,
      onError,
      lock: () => Promise.reject(new Error('db busy')),
    });
    autoLock.start();
    power.emit('suspend');
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
  });
});

describe('quickUnlockPolicy', () => {
  const storage = (available: boolean, backend: SecretStorageBackend) => ({
    isAvailable: () => available,
    backend: () => backend,
    encrypt: (text: string) => Buffer.from(text),
    decrypt: (data: Buffer) => data.toString(),
  });

  it('allows a real keychain', () => {
    for (const backend of ['keychain', 'dpapi', 'gnome_libsecret', 'kwallet5'] as const) {
      expect(quickUnlockPolicy(storage(true, backend))).toEqual({ allowed: true });
    }
  });

  it("refuses Linux's basic_text fallback, an unknown backend, and an unavailable keychain", () => {
    expect(quickUnlockPolicy(storage(true, 'basic_text'))).toMatchObject({ allowed: false, reason: 'insecure-backend' });
    expect(quickUnlockPolicy(storage(true, 'unknown'))).toMatchObject({ allowed: false, reason: 'insecure-backend' });
    expect(quickUnlockPolicy(storage(false, 'keychain'))).toMatchObject({ allowed: false, reason: 'unavailable' });
  });
});
