import { app, net, powerMonitor } from 'electron';
import { createBackend, type ConnectivityPort, type Emit } from '../core/api/backend';
import { vaultDir } from '../core/paths';
import { useElectronBuildIn } from '../core/vault/native';
import { contract, events } from '../shared/contract';
import { startApp } from './app';
import { createElectronClipboard } from './clipboard';
import { createElectronConfirm } from './confirm-dialog';
import { createElectronFileDialog } from './file-dialog';
import { SECRET_CALLS } from './reveal-limit';
import { userSettingsOf } from './settings';
import { createElectronUserPresence } from './user-presence';

const ONLINE_POLL_MS = 5_000;

// Main has no online/offline event (only the page does, and the page is not trusted to drive
// sync), so the network state is polled; resume comes from powerMonitor.
function createElectronConnectivity(): ConnectivityPort {
  return {
    on(event, listener) {
      if (event === 'resume') {
        powerMonitor.on('resume', listener);
        return () => {
          powerMonitor.removeListener('resume', listener);
        };
      }
      let last = net.isOnline();
      const timer = setInterval(() => {
        const online = net.isOnline();
        if (online === last) return;
        last = online;
        if (online === (event === 'online')) listener();
      }, ONLINE_POLL_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

// In development, SQLite's addon built for Electron sits beside Node's (scripts/native-abi.mjs);
// a packaged app carries its own.
if (!app.isPackaged) useElectronBuildIn(app.getAppPath(), process.versions.electron);

startApp({
  contract,
  events,
  secretCalls: SECRET_CALLS,
  createBackend: (services) =>
    createBackend({
      // The same vault the CLI opens by default, unless the person picked another one.
      vaultDir: vaultDir(services.settings.get().lastVaultPath),
      // The emitter parses every payload with its schema before it leaves main, so it takes the
      // schema's input form, which is what core passes.
      emit: services.emit as Emit,
      clipboard: {
        copy: (text) => services.clipboard.copy(text),
        clearNow: () => services.clipboard.clearNow(),
        // A public key is meant to be pasted to teammates later: no timed clear.
        copyPublic: (text) => createElectronClipboard().writeText(text),
      },
      fileDialog: createElectronFileDialog(),
      // Asked before each change the window may not make unseen (src/core/api/confirm.ts).
      confirm: createElectronConfirm(),
      settings: {
        get: () => userSettingsOf(services.settings.get()),
        update: (patch) => userSettingsOf(services.updateSettings(patch)),
      },
      secretStorage: services.secretStorage,
      // Touch ID before each quick unlock where the Mac offers it (src/main/user-presence.ts).
      userPresence: createElectronUserPresence(),
      connectivity: createElectronConnectivity(),
    }),
});
