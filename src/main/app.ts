import { app, dialog, session } from 'electron';
import type { BrowserWindow } from 'electron';
import { join } from 'node:path';
import { AutoLock, ClipboardGuard, quickUnlockPolicy } from '../core/desktop';
import type { LockReason, QuickUnlockDecision, SecretStoragePort } from '../core/desktop';
import { createRouter } from '../core/ipc/router';
import { toErrorPayload } from '../shared/errors';
import type { Contract, EventsDef, Handlers } from '../shared/ipc';
import { createElectronPower, trackActivity } from './autolock';
import { createElectronClipboard } from './clipboard';
import { createEmitter } from './events';
import type { Emit } from './events';
import { registerIpcHandlers } from './ipc';
import { createElectronSecretStorage } from './keychain';
import { restrictNavigation } from './navigation';
import { cutPageOffTheNetwork, denyAllPermissions } from './permissions';
import { APP_ENTRY_URL, APP_ORIGIN, registerAppScheme, serveAppProtocol } from './protocol';
import { RevealLimit } from './reveal-limit';
import { createSettingsStore } from './settings';
import { askBeforeDiscarding, createMainWindow } from './window';
import type { Settings, SettingsStore } from './settings';

/** What the shell hands to the engine: the Electron-only facilities, behind core's ports. */
export interface DesktopServices<E extends EventsDef> {
  clipboard: ClipboardGuard;
  autoLock: AutoLock;
  secretStorage: SecretStoragePort;
  quickUnlock(): QuickUnlockDecision;
  settings: SettingsStore;
  /** Saves settings and applies the ones the shell owns (auto-lock and clipboard delays). */
  updateSettings(patch: Partial<Settings>): Settings;
  emit: Emit<E>;
  userDataDir: string;
}

/** What the engine hands back: one handler per contract call, and how to lock. */
export interface Backend<C extends Contract> {
  handlers: Handlers<C>;
  lock(reason: LockReason): void | Promise<void>;
  /** Heard shortly before an idle lock, with the seconds left. */
  lockSoon?(seconds: number): void;
  close?(): void | Promise<void>;
}

export interface StartAppOptions<C extends Contract, E extends EventsDef> {
  contract: C;
  events: E;
  createBackend(services: DesktopServices<E>): Backend<C>;
  /** https origins that links in the UI may open in the system browser. */
  externalOrigins?: readonly string[];
  /** The calls that give out a secret (a value to the window, or to the clipboard): main limits them (reveal-limit.ts). */
  secretCalls: readonly (keyof C & string)[];
}

/**
 * The dev server URL is honoured only in an unpackaged app and only on loopback: otherwise an
 * environment variable could point the privileged window at any website.
 */
export function devRendererUrl(isPackaged: boolean, raw: string | undefined): string | null {
  if (isPackaged || raw === undefined || raw === '') return null;
  try {
    const url = new URL(raw);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
  } catch {
    return null;
  }
}

export function startApp<C extends Contract, E extends EventsDef>(options: StartAppOptions<C, E>): void {
  // The crash reporter is never started: a minidump of this process could hold a vault key.
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();

  const policy = { externalOrigins: options.externalOrigins ?? [] };
  app.on('web-contents-created', (_event, contents) => restrictNavigation(contents, policy));

  let win: BrowserWindow | null = null;
  let services: DesktopServices<E> | null = null;
  let backend: Backend<C> | null = null;

  app.on('second-instance', () => {
    if (win === null) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    services?.clipboard.clearNow();
    services?.autoLock.stop();
    Promise.resolve(backend?.close?.()).catch((e: unknown) => console.error('keyhold: closing the vault failed:', toErrorPayload(e).code));
  });

  const ready = async (): Promise<void> => {
    denyAllPermissions(session.defaultSession);
    await cutPageOffTheNetwork(session.defaultSession);
    serveAppProtocol(join(import.meta.dirname, '../renderer'));

    const devUrl = devRendererUrl(app.isPackaged, process.env.ELECTRON_RENDERER_URL);
    const settings = createSettingsStore();
    const initial = settings.get();
    const secretStorage = createElectronSecretStorage();
    const clipboard = new ClipboardGuard({
      clipboard: createElectronClipboard(),
      clearAfterSeconds: initial.clipboardSeconds,
    });
    const autoLock = new AutoLock({
      power: createElectronPower(),
      idleMinutes: initial.autoLockMinutes,
      lock: async (reason) => {
        clipboard.clearNow();
        await backend?.lock(reason);
      },
      onSoon: (seconds) => backend?.lockSoon?.(seconds),
      onError: (e) => console.error('keyhold: auto-lock failed:', toErrorPayload(e).code),
    });
    services = {
      clipboard,
      autoLock,
      secretStorage,
      quickUnlock: () => quickUnlockPolicy(secretStorage),
      settings,
      updateSettings(patch) {
        const next = settings.update(patch);
        clipboard.setClearAfterSeconds(next.clipboardSeconds);
        autoLock.setIdleMinutes(next.autoLockMinutes);
        return next;
      },
      emit: createEmitter(options.events, () => win?.webContents ?? null),
      userDataDir: app.getPath('userData'),
    };
    backend = options.createBackend(services);
    registerIpcHandlers(createRouter(options.contract, backend.handlers), {
      allowedOrigins: devUrl === null ? [APP_ORIGIN] : [APP_ORIGIN, new URL(devUrl).origin],
      limit: new RevealLimit({ calls: options.secretCalls }),
    });

    win = createWindow(initial, settings);
    trackActivity(win, autoLock);
    autoLock.start();
    await win.loadURL(devUrl ?? APP_ENTRY_URL);
  };

  app
    .whenReady()
    .then(ready)
    .catch((e: unknown) => {
      console.error('Keyhold could not start:', toErrorPayload(e).message);
      app.exit(1);
    });
}

function createWindow(initial: Settings, settings: SettingsStore): BrowserWindow {
  const win = createMainWindow({
    preloadPath: join(import.meta.dirname, '../preload/index.cjs'),
    packaged: app.isPackaged,
    ...(initial.windowBounds === undefined ? {} : { bounds: initial.windowBounds }),
  });
  askBeforeDiscarding(
    win,
    () =>
      dialog.showMessageBoxSync(win, {
        type: 'question',
        buttons: ['Keep editing', 'Discard changes'],
        defaultId: 0,
        cancelId: 0,
        message: 'Discard unsaved changes?',
        detail: 'A form has changes that are not saved. Closing the window throws them away.',
      }) === 1,
  );
  win.on('close', () => {
    try {
      settings.update({ windowBounds: win.getNormalBounds() });
    } catch {
      // Bounds off every screen are not worth a crash on the way out; the defaults return next time.
    }
  });
  return win;
}
