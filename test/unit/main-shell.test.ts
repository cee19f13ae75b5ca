import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';

vi.mock('electron', () => import('./main-electron-fake'));

const { BrowserWindow, FakeEvent, FakeSession, FakeWebContents, clipboard, fake, powerMonitor, safeStorage, shell } = await import('./main-electron-fake');
const { askBeforeDiscarding, createMainWindow } = await import('../../src/main/window');
const { isAllowedExternalUrl, restrictNavigation } = await import('../../src/main/navigation');
const { denyAllPermissions } = await import('../../src/main/permissions');
const { createElectronClipboard } = await import('../../src/main/clipboard');
const { createElectronPower } = await import('../../src/main/autolock');
const { createElectronSecretStorage } = await import('../../src/main/keychain');

beforeEach(() => fake.reset());

describe('main window', () => {
  it('is created with exactly the secure web preferences', () => {
    createMainWindow({ preloadPath: '/app/out/preload/index.cjs' });
    expect(BrowserWindow.created).toHaveLength(1);
    expect(BrowserWindow.created[0]?.options.webPreferences).toStrictEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: false,
    });
    createMainWindow({ preloadPath: '/p', packaged: false });
    expect((BrowserWindow.created[1]?.options.webPreferences as { devTools: boolean }).devTools).toBe(true);
    expect(BrowserWindow.created[0]?.webContents.webRtcPolicy).toBe('disable_non_proxied_udp');
  });

  it('restores saved bounds and shows only when ready', () => {
    const win = createMainWindow({ preloadPath: '/p', bounds: { x: 1, y: 2, width: 900, height: 600 } });
    expect(BrowserWindow.created[0]?.options).toMatchObject({ x: 1, y: 2, width: 900, height: 600, show: false });
    win.emit('ready-to-show');
    expect(BrowserWindow.created[0]?.shown).toBe(true);
  });
});

describe('closing with unsaved edits', () => {
  it('closes only when the person agrees to discard them', () => {
    const win = createMainWindow({ preloadPath: '/p' });
    const answers = [false, true];
    askBeforeDiscarding(win, () => answers.shift() ?? false);
    const keep = new FakeEvent();
    win.webContents.emit('will-prevent-unload', keep);
    expect(keep.defaultPrevented).toBe(false);
    const discard = new FakeEvent();
    win.webContents.emit('will-prevent-unload', discard);
    expect(discard.defaultPrevented).toBe(true);
  });
});

describe('navigation', () => {
  const policy = { externalOrigins: ['https://docs.keyhold.dev'] };

  function hardened() {
    const contents = new FakeWebContents();
    restrictNavigation(contents as unknown as WebContents, policy);
    return contents;
  }

  it('denies every navigation, sub-frame navigation, redirect and webview', () => {
    const contents = hardened();
    for (const [name, fields] of [
      ['will-navigate', { url: 'https://evil.example/' }],
      ['will-navigate', { url: 'app://keyhold/other.html' }],
      ['will-frame-navigate', { url: 'https://evil.example/', isMainFrame: false }],
      ['will-redirect', { url: 'https://evil.example/' }],
      ['will-attach-webview', {}],
    ] as const) {
      const event = new FakeEvent(fields);
      contents.emit(name, event);
      expect(event.defaultPrevented, name).toBe(true);
    }
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('denies window.open, sending only allow-listed https links to the system browser', () => {
    const contents = hardened();
    const open = (url: string) => contents.windowOpenHandler?.({ url });
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open('http://docs.keyhold.dev/')).toEqual({ action: 'deny' });
    expect(open('https://docs.keyhold.dev/guide')).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
    expect(shell.openExternal).toHaveBeenCalledWith('https://docs.keyhold.dev/guide');
    const event = new FakeEvent({ url: 'https://docs.keyhold.dev/x' });
    contents.emit('will-navigate', event);
    expect(event.defaultPrevented).toBe(true);
    expect(shell.openExternal).toHaveBeenCalledTimes(2);
  });

  it('allows only exact https origins without credentials', () => {
    expect(isAllowedExternalUrl('https://docs.keyhold.dev/a', policy)).toBe(true);
    for (const url of [
      'https://docs.keyhold.dev.evil.example/',
      'https://user:pw@docs.keyhold.dev/',
      'https://docs.keyhold.dev:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url, policy), url).toBe(false);
    }
  });
});

describe('permissions', () => {
  it('denies every permission request, check, device, display capture and download', () => {
    const ses = new FakeSession();
    denyAllPermissions(ses as unknown as Session);
    const granted = vi.fn();
    ses.permissionRequestHandler?.({}, 'media', granted, {});
    ses.permissionRequestHandler?.({}, 'clipboard-read', granted, {});
    expect(granted.mock.calls).toEqual([[false], [false]]);
    expect(ses.permissionCheckHandler?.(null, 'notifications', 'app://keyhold', {})).toBe(false);
    expect(ses.devicePermissionHandler?.({})).toBe(false);
    const streams = vi.fn();
    ses.displayMediaRequestHandler?.({}, streams);
    expect(streams).toHaveBeenCalledWith({});
    const download = new FakeEvent();
    ses.emit('will-download', download);
    expect(download.defaultPrevented).toBe(true);
  });
});

describe('Electron ports', () => {
  it('clipboard writes text and clears with clear()', () => {
    const port = createElectronClipboard();
    port.writeText('sk-1');
    expect(port.readText()).toBe('sk-1');
    port.writeText('');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(port.readText()).toBe('');
  });

  it('power forwards suspend and lock-screen until unsubscribed', () => {
    const listener = vi.fn();
    const off = createElectronPower().on('suspend', listener);
    powerMonitor.emit('suspend');
    off();
    powerMonitor.emit('suspend');
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('secret storage names the backend per platform', () => {
    expect(createElectronSecretStorage('darwin').backend()).toBe('keychain');
    expect(createElectronSecretStorage('win32').backend()).toBe('dpapi');
    safeStorage.backend = 'basic_text';
    const linux = createElectronSecretStorage('linux');
    expect(linux.backend()).toBe('basic_text');
    expect(linux.decrypt(linux.encrypt('k'))).toBe('k');
  });
});
