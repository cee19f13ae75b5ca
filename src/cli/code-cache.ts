import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/*
 * V8 code cache for the built CLI (Node 20 has no module.enableCompileCache). Parsing and compiling
 * the chunks a command loads (the engine, zod, commander) is a large part of a short command's
 * time; V8 can skip it when handed the code it compiled before. The build (vite.cli.config.ts)
 * writes one cache file beside each chunk, after running the chunks so that the functions a
 * command calls are compiled too; the CLI only reads them, never writes.
 *
 * Safety: a cache file lives in the build's own folder, written by the build like the chunk it
 * belongs to, so whoever can change a cache can already change the code. V8 itself checks only
 * its version, its flags and the source's length, and a damaged byte inside a cache makes it
 * abort the process: so each file starts with a SHA-256 of the chunk's source and the cache, and
 * a file that does not match (damaged, cut short, from another build of the chunk) is not handed
 * to V8. Whenever a cache is missing, does not match or V8 refuses it, the chunk is compiled from
 * source as it would be without one: slower, never different.
 */

/** The file beside a chunk that holds its compiled code. */
export const cacheFileOf = (chunk: string): string => `${chunk}.v8cache`;

const DIGEST_BYTES = 32;
const digest = (source: string, data: Uint8Array): Buffer => createHash('sha256').update(source).update(data).digest();

// The function CommonJS wraps a module in; on the first line, so line numbers stay the chunk's.
const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname) { ${source.replace(/^#!.*/, '')}\n});`;

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

/** The chunk's cache when its file is whole and made for this very source; else undefined. */
function readCache(file: string, source: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFileOf(file));
  } catch {
    return undefined;
  }
  const data = bytes.subarray(DIGEST_BYTES);
  return bytes.length > DIGEST_BYTES && digest(source, data).equals(bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

/** Which chunks ran from their cache and which were compiled from source (for tests and benchmarks). */
export interface CodeCacheLoads {
  cached: string[];
  compiled: string[];
}

/**
 * Loads the CommonJS chunks directly in `dir` with their code cache from now on (other files load
 * as usual). With `record`, no cache is read and every script compiled is kept there, for
 * writeCodeCache.
 */
export function useCodeCache(dir: string, record?: Map<string, Script>): CodeCacheLoads {
  const loads: CodeCacheLoads = { cached: [], compiled: [] };
  const extensions = createRequire(join(dir, 'keyhold.js')).extensions;
  const plain = extensions['.js'];
  if (plain === undefined) return loads;
  extensions['.js'] = (module, filename) => {
    if (dirname(filename) !== dir) return plain(module, filename);
    const source = readFileSync(filename, 'utf8');
    const cachedData = record ? undefined : readCache(filename, source);
    const script = new Script(wrap(source), { filename, ...(cachedData ? { cachedData } : {}) });
    (cachedData && !script.cachedDataRejected ? loads.cached : loads.compiled).push(basename(filename));
    record?.set(filename, script);
    const fn = script.runInThisContext() as ModuleFunction;
    fn.call(module.exports, module.exports, createRequire(filename), module, filename, dir);
  };
  return loads;
}

/** Writes the code V8 holds for each recorded chunk beside it (each file whole or not at all); returns how many. */
export function writeCodeCache(record: Map<string, Script>): number {
  for (const [file, script] of record) {
    const data = script.createCachedData();
    const target = cacheFileOf(file);
    const partial = `${target}.partial`;
    writeFileSync(partial, Buffer.concat([digest(readFileSync(file, 'utf8'), data), data]));
    renameSync(partial, target);
  }
  return record.size;
}
