// Build step, run once by vite.cli.config.ts after the CLI is written (never by `keyhold`): loads
// the chunks named on the command line the way the CLI loads them, runs a few command lines that
// need no vault so the functions every command calls are compiled too, and writes each chunk's
// V8 code cache beside it (src/cli/code-cache.ts).
import { PassThrough } from 'node:stream';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from 'node:vm';
import { useCodeCache, writeCodeCache } from './code-cache';
import type { CliIo } from './io';

const dir = dirname(fileURLToPath(import.meta.url));

const io = (): CliIo => ({
  stdin: new PassThrough(),
  stdout: new PassThrough().resume(),
  stderr: new PassThrough().resume(),
  // A vault that does not exist: each command stops at its first look at the vault.
  env: { KEYHOLD_VAULT: join(dir, 'no-vault') },
  readAllStdin: () => Buffer.alloc(0),
});

async function build(chunks: readonly string[]): Promise<number> {
  const record = new Map<string, Script>();
  useCodeCache(dir, record);
  const { main } = await import('./main');
  for (const argv of [['--help'], ['profile', 'list', '--json'], ['profile', 'list'], ['status']]) await main(argv, io());
  const require = createRequire(import.meta.url);
  for (const chunk of chunks) require(join(dir, chunk));
  return writeCodeCache(record);
}

// CommonJS: no await at the top level.
void build(process.argv.slice(2)).then((count) => process.stdout.write(`code cache written for ${count} chunks\n`));
