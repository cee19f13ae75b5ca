import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/*
 * better-sqlite3 is a native addon, and Node and Electron need different builds of it. Node's is
 * the one npm installs, in better-sqlite3's own build folder; the desktop app in development uses
 * a second build made for Electron beside it, in ELECTRON_BUILD_DIR (scripts/native-abi.mjs makes
 * it; keep the two layouts in step). Neither replaces the other, so `npm start`, `npx keyhold`
 * and `npm test` run in any order without rebuilding. A packaged app carries its own Electron
 * build in the usual place (electron-builder rebuilds it), and needs nothing from here.
 */
export const ELECTRON_BUILD_DIR = join('node_modules', '.keyhold-native');

/** The addon built for this Electron version under a project directory. */
export function electronBindingPath(projectDir: string, electronVersion: string): string {
  return join(projectDir, ELECTRON_BUILD_DIR, `electron-${electronVersion}`, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

let binding: string | object | undefined | (() => string | object | undefined);

/** better-sqlite3's `nativeBinding` option for every database opened from now on (undefined: its own build). */
export function useNativeBinding(path: string | undefined): void {
  binding = path;
}

/** The option for the next database: a lookup left for the first open runs then, once. */
export function nativeBinding(): string | object | undefined {
  if (typeof binding === 'function') binding = binding();
  return binding;
}

/**
 * In Electron, outside a packaged app: use the Electron build beside Node's when there is one, in
 * `appDir` or the nearest folder above it (the app may be started as `electron out/main/index.js`).
 */
export function useElectronBuildIn(appDir: string, electronVersion: string | undefined): void {
  if (electronVersion === undefined) return;
  for (let dir = appDir; ; dir = dirname(dir)) {
    const path = electronBindingPath(dir, electronVersion);
    if (existsSync(path)) {
      useNativeBinding(path);
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * In Node (the CLI): npm's build, named directly, looked up when the first database opens (a
 * command that opens none, like `--help`, pays nothing). better-sqlite3's own lookup (the
 * `bindings` package) probes a dozen paths and reads the call stack to find them; the CLI bundles
 * better-sqlite3's JavaScript, where that lookup would search beside the bundle instead of the
 * package. A build elsewhere than build/Release is still found by `bindings`, from the package.
 */
export function useNodeBuild(): void {
  binding = () => {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('better-sqlite3/package.json'));
    const release = join(root, 'build', 'Release', 'better_sqlite3.node');
    if (existsSync(release)) return release;
    return createRequire(join(root, 'package.json'))('bindings')({ bindings: 'better_sqlite3.node', module_root: root }) as object;
  };
}
