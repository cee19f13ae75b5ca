import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend, DesktopServices } from '../../src/main/app';
import { stubHandlers, testContract, testEvents } from './ipc-test-contract';

vi.mock('electron', () => import('./main-electron-fake'));
vi.mock('electron-store', () => ({
  default: class FakeStore {
    static last: FakeStore | null = null;
    data: Record<string, unknown>;
    constructor(readonly options: { schema: Record<string, { default?: unknown }> }) {
      this.data = Object.fromEntries(
        Object.entries(options.schema)
          .filter(([, s]) => s.default !== undefined)
          .map(([k, s]) => [k, s.default]),
      );
      FakeStore.last = this;
    }
    get store() {
      return { ...this.data };
    }
    set(values: Record<string, unknown>) {
      if (typeof values.clipboardSeconds === 'number' && values.clipboardSeconds < 5) throw new Error('schema violation');
      this.data = { ...this.data, ...values };
    }
  },
}));

const { BrowserWindow, FakeEvent, FakeWebContents, app, clipboard, fake, ipcMain, powerMonitor, protocol, session } = await import('./main-electron-fake');
const { devRendererUrl, startApp } = await import('../../src/main/app');
const { REVEAL_BURST, REVEAL_REFILL_MS } = await import('../../src/main/reveal-limit');

type C = typeof testContract;
type E = typeof testEvents;

// The shell uses the monotonic clock (performance.now), which Vitest fakes only when asked.
const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });

async function start() {
  let services: DesktopServices<E> | null = null;
  const lock = vi.fn<Backend<C>['lock']>();
  const lockSoon = vi.fn<(seconds: number) => void>();
  const close = vi.fn();
  startApp({
    contract: testContract,
    events: testEvents,
    // Stands in for a reveal: the test contract has none.
    secretCalls: ['listProfiles'],
    createBackend: (s) => {
      services = s;
      return { handlers: stubHandlers(), lock, lockSoon, close };
    },
  });
  // Until the window exists its url is undefined, which is not null: wait for a url itself.
  await vi.waitFor(() => expect(BrowserWindow.created[0]?.loadedUrl ?? null).not.toBeNull());
  if (services === null) throw new Error('backend was never created');
  const win = BrowserWindow.created[0];
  if (win === undefined) throw new Error('no window');
  return { services: services as DesktopServices<E>, lock, lockSoon, close, win };
}

beforeEach(() => {
  fake.reset();
  vi.stubEnv('ELECTRON_RENDERER_URL', 'https://evil.example/');
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('startApp', () => {
  it('hardens the app before anything loads and wires the contract', async () => {
    const { win } = await start();
    expect(app.sandboxEnabled).toBe(true);
    expect(protocol.privileged).toHaveLength(1);
    expect(protocol.handlers.has('app')).toBe(true);
    expect(session.defaultSession.permissionRequestHandler).not.toBeNull();
    expect(session.defaultSession.permissionCheckHandler).not.toBeNull();
    // The page's session goes nowhere but its own files (and a local dev server): WebRTC included.
    expect(session.defaultSession.proxy).toEqual({ mode: 'fixed_servers', proxyRules: 'http://0.0.0.0:1', proxyBypassRules: '<local>' });
    expect(win.webContents.webRtcPolicy).toBe('disable_non_proxied_udp');
    expect([...ipcMain.handlers.keys()]).toHaveLength(Object.keys(testContract).length);
    // Packaged: the environment cannot point the window anywhere but app://.
    expect(win.loadedUrl).toBe('app://keyhold/index.html');
  });

  it('limits the calls it is told give out a secret, and no other', async () => {
    fakeClock();
    await start();
    const call = (name: string) => ipcMain.handlers.get(`keyhold:${name}`)?.({ senderFrame: { url: 'app://keyhold/index.html', parent: null } }, {});
    for (let i = 0; i < REVEAL_BURST; i++) expect(await call('listProfiles')).toEqual({ ok: true, value: [] });
    expect(await call('listProfiles')).toMatchObject({ ok: false, error: { code: 'TooManyReveals' } });
    expect(await call('setTheme')).toMatchObject({ ok: false, error: { code: 'BadInput', field: 'theme' } });
    vi.advanceTimersByTime(REVEAL_REFILL_MS);
    expect(await call('listProfiles')).toEqual({ ok: true, value: [] });
  });

  it('hardens every web contents that is created', async () => {
    await start();
    const contents = new FakeWebContents();
    app.emit('web-contents-created', new FakeEvent(), contents);
    const nav = new FakeEvent({ url: 'https://evil.example/' });
    contents.emit('will-navigate', nav);
    expect(nav.defaultPrevented).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('quits at once when another instance already runs', () => {
    app.singleInstance = false;
    startApp({ contract: {}, events: {}, secretCalls: [], createBackend: () => ({ handlers: {}, lock: () => undefined }) });
    expect(app.quit).toHaveBeenCalledTimes(1);
    expect(protocol.privileged).toHaveLength(0);
  });

  it('locks the vault on suspend, on screen lock and after the idle delay, clearing a copied secret', async () => {
    fakeClock();
    const { lock, lockSoon, services, win } = await start();
    services.clipboard.copy('sk-live-1');
    powerMonitor.emit('suspend');
    expect(lock).toHaveBeenLastCalledWith('suspend');
    expect(clipboard.readText()).toBe('');
    powerMonitor.emit('lock-screen');
    expect(lock).toHaveBeenLastCalledWith('lock-screen');

    services.updateSettings({ autoLockMinutes: 1 });
    win.webContents.emit('before-input-event', new FakeEvent(), {});
    vi.advanceTimersByTime(30_000);
    // Half a one-minute delay before the lock, the backend hears the warning for the window.
    expect(lockSoon).toHaveBeenCalledExactlyOnceWith(30);
    vi.advanceTimersByTime(29_000);
    expect(lock).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1_000);
    expect(lock).toHaveBeenLastCalledWith('idle');
  });

  it('clears the clipboard after the configured delay, and on quit', async () => {
    fakeClock();
    const { services, close } = await start();
    services.updateSettings({ clipboardSeconds: 10 });
    services.clipboard.copy('tok-1');
    vi.advanceTimersByTime(10_000);
    expect(clipboard.readText()).toBe('');
    services.clipboard.copy('tok-2');
    app.emit('before-quit');
    expect(clipboard.readText()).toBe('');
    expect(close).toHaveBeenCalledTimes(1);
    expect(() => services.updateSettings({ clipboardSeconds: 1 })).toThrow(/out of range/);
  });
});

describe('settings', () => {
  it('uses a closed schema of preferences only, and leaves no electron-store IPC listener behind', async () => {
    ipcMain.on('electron-store-get-data', () => undefined);
    const { services } = await start();
    const Store = (await import('electron-store')).default as unknown as {
      last: { options: { schema: object; rootSchema: unknown; clearInvalidConfig: boolean } };
    };
    expect(Object.keys(Store.last.options.schema).sort()).toEqual(
      ['autoLockMinutes', 'clipboardSeconds', 'keyMaxAgeDays', 'lastVaultPath', 'quickUnlock', 'theme', 'windowBounds'].sort(),
    );
    expect(Store.last.options.rootSchema).toEqual({ additionalProperties: false });
    expect(services.settings.get()).toEqual({ autoLockMinutes: 10, clipboardSeconds: 30, theme: 'system', quickUnlock: false, keyMaxAgeDays: 90 });
    expect(ipcMain.listenerCount('electron-store-get-data')).toBe(0);
  });
});

describe('devRendererUrl', () => {
  it('honours only a loopback dev server, and never in a packaged app', () => {
    expect(devRendererUrl(false, 'http://localhost:5173')).toBe('http://localhost:5173/');
    expect(devRendererUrl(false, 'http://127.0.0.1:5173/')).toBe('http://127.0.0.1:5173/');
    expect(devRendererUrl(true, 'http://localhost:5173')).toBeNull();
    expect(devRendererUrl(false, 'https://evil.example/')).toBeNull();
    expect(devRendererUrl(false, 'file:///tmp/x.html')).toBeNull();
    expect(devRendererUrl(false, undefined)).toBeNull();
  });
});
