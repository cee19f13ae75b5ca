import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend, DesktopServices } from '../../src/main/app';
import { stubHandlers, testContract, testEvents } from '../unit/ipc-test-contract';

// Attack (by accident): background sync kept the vault unlocked forever. Each pushed item emits
// an event, the window refreshes what it shows through IPC, and every IPC call counted as the
// person's activity, so an unattended, unlocked vault never reached its idle lock while sync had
// work (or a retry loop) to do. Only a person's input may count.

vi.mock('electron', () => import('../unit/main-electron-fake'));
vi.mock('electron-store', () => ({
  default: class FakeStore {
    data: Record<string, unknown>;
    constructor(readonly options: { schema: Record<string, { default?: unknown }> }) {
      this.data = Object.fromEntries(
        Object.entries(options.schema)
          .filter(([, s]) => s.default !== undefined)
          .map(([k, s]) => [k, s.default]),
      );
    }
    get store() {
      return { ...this.data };
    }
    set(values: Record<string, unknown>) {
      this.data = { ...this.data, ...values };
    }
  },
}));

const { BrowserWindow, FakeEvent, fake, ipcMain } = await import('../unit/main-electron-fake');
const { startApp } = await import('../../src/main/app');

type C = typeof testContract;
type E = typeof testEvents;

async function start() {
  let services: DesktopServices<E> | null = null;
  const lock = vi.fn<Backend<C>['lock']>();
  startApp({
    contract: testContract,
    events: testEvents,
    secretCalls: [],
    createBackend: (s) => {
      services = s;
      return { handlers: stubHandlers(), lock, close: vi.fn() };
    },
  });
  // Until the window exists its url is undefined, which is not null: wait for a url itself.
  await vi.waitFor(() => expect(BrowserWindow.created[0]?.loadedUrl ?? null).not.toBeNull());
  const win = BrowserWindow.created[0];
  if (services === null || win === undefined) throw new Error('the app did not start');
  return { services: services as DesktopServices<E>, lock, win };
}

/** What the window does after each sync event: asks main for the fresh list. */
function windowRefreshes(): unknown {
  const handler = ipcMain.handlers.get('keyhold:listProfiles');
  if (!handler) throw new Error('no listProfiles handler');
  return handler({ senderFrame: { url: 'app://keyhold/index.html', parent: null } }, {});
}

beforeEach(() => {
  fake.reset();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('background sync and auto-lock', () => {
  it('the window refreshing after sync events does not keep the vault unlocked', async () => {
    const { services, lock } = await start();
    services.updateSettings({ autoLockMinutes: 1 });
    for (let i = 0; i < 12; i++) {
      vi.advanceTimersByTime(10_000);
      await windowRefreshes();
    }
    expect(lock).toHaveBeenCalledWith('idle');
  });

  it("a person's clicks and keys still count; a resting pointer does not", async () => {
    const { services, lock, win } = await start();
    services.updateSettings({ autoLockMinutes: 1 });
    vi.advanceTimersByTime(50_000);
    win.webContents.emit('input-event', new FakeEvent(), { type: 'mouseDown' });
    vi.advanceTimersByTime(50_000);
    expect(lock).not.toHaveBeenCalled();
    win.webContents.emit('input-event', new FakeEvent(), { type: 'mouseMove' });
    vi.advanceTimersByTime(10_000);
    expect(lock).toHaveBeenCalledWith('idle');
  });
});
