import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

// Hand-written stand-ins for the parts of Electron the shell touches. Tests load them with
// `vi.mock('electron', () => import('./main-electron-fake'))` and inspect `fake` afterwards.

export class FakeEvent {
  defaultPrevented = false;
  constructor(readonly fields: Record<string, unknown> = {}) {
    Object.assign(this, fields);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly send = vi.fn();
  destroyed = false;
  webRtcPolicy: string | null = null;
  setWebRTCIPHandlingPolicy(policy: string): void {
    this.webRtcPolicy = policy;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeSession extends EventEmitter {
  permissionRequestHandler: ((...args: unknown[]) => void) | null = null;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null;
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null;
  displayMediaRequestHandler: ((...args: unknown[]) => void) | null = null;
  setPermissionRequestHandler(handler: (...args: unknown[]) => void): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: (...args: unknown[]) => boolean): void {
    this.devicePermissionHandler = handler;
  }
  setDisplayMediaRequestHandler(handler: (...args: unknown[]) => void): void {
    this.displayMediaRequestHandler = handler;
  }
  proxy: Record<string, unknown> | null = null;
  setProxy(config: Record<string, unknown>): Promise<void> {
    this.proxy = config;
    return Promise.resolve();
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  static getFocusedWindow(): BrowserWindow | null {
    return null;
  }
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.created;
  }
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  shown = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 };
  }
}

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();
  handle(channel: string, handler: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

class FakeApp extends EventEmitter {
  isPackaged = true;
  sandboxEnabled = false;
  singleInstance = true;
  quit = vi.fn();
  exit = vi.fn();
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(): string {
    return '/tmp/keyhold-fake-user-data';
  }
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const session = { defaultSession: new FakeSession() };
export const shell = { openExternal: vi.fn(() => Promise.resolve()) };
export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    this.handlers.set(scheme, handler);
  },
};

let clipboardText = '';
export const clipboard = {
  writeText: vi.fn((text: string) => {
    clipboardText = text;
  }),
  readText: vi.fn(() => clipboardText),
  clear: vi.fn(() => {
    clipboardText = '';
  }),
};

export const powerMonitor = new EventEmitter();

/** The message box answers with `response` (the index of the button chosen); 0 unless a test says otherwise. */
export const dialog = {
  response: 0,
  showMessageBox: vi.fn((..._args: unknown[]) => Promise.resolve({ response: dialog.response, checkboxChecked: false })),
};

export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable(): boolean {
    return this.available;
  },
  getSelectedStorageBackend(): string {
    return this.backend;
  },
  encryptString: (text: string) => Buffer.from(`enc:${text}`),
  decryptString: (data: Buffer) => data.toString().replace(/^enc:/, ''),
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, value: unknown): void {
    this.exposed.set(key, value);
  },
};

class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn((_channel: string, ..._args: unknown[]): Promise<unknown> => Promise.resolve({ ok: true, value: null }));
}
export const ipcRenderer = new FakeIpcRenderer();

export const fake = {
  reset(): void {
    BrowserWindow.created = [];
    ipcMain.handlers.clear();
    ipcMain.removeAllListeners();
    app.removeAllListeners();
    app.isPackaged = true;
    app.sandboxEnabled = false;
    app.singleInstance = true;
    app.quit.mockClear();
    app.exit.mockClear();
    session.defaultSession = new FakeSession();
    shell.openExternal.mockClear();
    protocol.privileged = [];
    protocol.handlers.clear();
    clipboardText = '';
    clipboard.writeText.mockClear();
    clipboard.clear.mockClear();
    powerMonitor.removeAllListeners();
    dialog.response = 0;
    dialog.showMessageBox.mockClear();
    safeStorage.available = true;
    safeStorage.backend = 'gnome_libsecret';
    contextBridge.exposed.clear();
    ipcRenderer.removeAllListeners();
    ipcRenderer.invoke.mockClear();
  },
  setClipboard(text: string): void {
    clipboardText = text;
  },
};
