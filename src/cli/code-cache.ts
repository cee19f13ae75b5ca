import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/*
 * V8 code cache for the built CLI (Node 20 has no module.enableCompileCache). Parsing and compiling
 * the chunks a command loads (the engine, zod, commander) is a large part of a short command's
 * time; V8 can skip it when handed the code it compiled before. The build (vite.cli.config.ts)
 * writes one cache file beside each chunk, after running the chunks so that the functions a
 * command calls are compiled too; the CLI only reads them, never writes.
 *
 * Safety: a cache file lives in the build's own folder, written by the build like the chunk it
 * belongs to, so whoever can change a cache can already change the code. V8 refuses a cache made
 * by another V8 version, with other flags or for a source of another length, and then compiles
 * from source as it would without one; a missing or unreadable file does the same. Chunk names
 * carry a hash of their content, and a rebuild empties the folder, so a cache never outlives its
 * chunk.
 */

/** The file beside a chunk that holds its compiled code. */
export const cacheFileOf = (chunk: string): string => `${chunk}.v8cache`;

// The function CommonJS wraps a module in; on the first line, so line numbers stay the chunk's.
const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname) { ${source.replace(/^#!.*/, '')}\n});`;

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(cacheFileOf(file));
  } catch {
    return undefined;
  }
}

/**
 * Loads the CommonJS chunks directly in `dir` with their code cache from now on (other files load
 * as usual). With `record`, every script compiled is kept there, for writeCodeCache.
 */
export function useCodeCache(dir: string, record?: Map<string, Script>): void {
  const extensions = createRequire(join(dir, 'keyhold.js')).extensions;
  const plain = extensions['.js'];
  if (plain === undefined) return;
  extensions['.js'] = (module, filename) => {
    if (dirname(filename) !== dir) return plain(module, filename);
    const source = readFileSync(filename, 'utf8');
    const cachedData = record ? undefined : readCache(filename);
    const script = new Script(wrap(source), { filename, ...(cachedData ? { cachedData } : {}) });
    record?.set(filename, script);
    const fn = script.runInThisContext() as ModuleFunction;
    fn.call(module.exports, module.exports, createRequire(filename), module, filename, dir);
  };
}

/** Writes the code V8 holds for each recorded chunk beside it (each file whole or not at all); returns how many. */
export function writeCodeCache(record: Map<string, Script>): number {
  for (const [file, script] of record) {
    const target = cacheFileOf(file);
    const partial = `${target}.partial`;
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, target);
  }
  return record.size;
}

/** Whether `chunk` has a cache file (for tests of the build). */
export const hasCodeCache = (chunk: string): boolean => existsSync(cacheFileOf(chunk));
