import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/core/vault/db';
import { electronBindingPath, nativeBinding, useElectronBuildIn, useNativeBinding, useNodeBuild } from '../../src/core/vault/native';
import { tempDir } from '../helpers/vault';

const require = createRequire(import.meta.url);
const NODE_BUILD = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

afterEach(() => useNativeBinding(undefined));

describe('one better-sqlite3 build per runtime, side by side', () => {
  it('opens databases with the build it is pointed at, and only that one', () => {
    const t = tempDir();
    try {
      useNativeBinding(join(t.dir, 'missing', 'better_sqlite3.node'));
      expect(() => createDatabase(join(t.dir, 'a'))).toThrow(/better_sqlite3\.node|Cannot find module/);
      useNativeBinding(undefined);
      createDatabase(join(t.dir, 'b')).close();
    } finally {
      t.cleanup();
    }
  });

  it('the app in development picks the Electron build from its own folder when it exists', () => {
    const t = tempDir();
    try {
      useElectronBuildIn(t.dir, '99.0.0');
      expect(nativeBinding()).toBeUndefined();
      useElectronBuildIn(t.dir, undefined);
      expect(nativeBinding()).toBeUndefined();
      // A stand-in for the Electron build: Node's own, copied to where scripts/native-abi.mjs puts it.
      const path = electronBindingPath(t.dir, '99.0.0');
      expect(path).toBe(
        join(t.dir, 'node_modules', '.keyhold-native', 'electron-99.0.0', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
      );
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(NODE_BUILD, path);
      useElectronBuildIn(t.dir, '99.0.0');
      expect(nativeBinding()).toBe(path);
      // Started as `electron out/main/index.js`: the app folder is below the project.
      useNativeBinding(undefined);
      useElectronBuildIn(join(t.dir, 'out', 'main'), '99.0.0');
      expect(nativeBinding()).toBe(path);
      createDatabase(join(t.dir, 'vault')).close();
    } finally {
      t.cleanup();
    }
  });

  it("the CLI names npm's build directly (its bundle cannot use better-sqlite3's own lookup)", () => {
    useNodeBuild();
    expect(nativeBinding()).toBe(NODE_BUILD);
    const t = tempDir();
    try {
      createDatabase(join(t.dir, 'vault')).close();
    } finally {
      t.cleanup();
    }
  });
});
