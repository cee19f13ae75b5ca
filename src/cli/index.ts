// The `keyhold` binary: run main with this process's streams, environment and exit code.
// `--version` alone is answered before anything else is loaded.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from './version';

async function run(argv: string[]): Promise<void> {
  // The chunks below load with the code V8 compiled for them at build time.
  const { useCodeCache } = await import('./code-cache');
  useCodeCache(dirname(fileURLToPath(import.meta.url)));
  const { useNodeBuild } = await import('../core/vault/native');
  useNodeBuild();
  const { main } = await import('./main');
  const { guardClosedPipes, processIo } = await import('./io');
  const io = processIo();
  guardClosedPipes(io);
  process.exitCode = await main(argv, io);
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  // The build is CommonJS (for the code cache), where a module cannot await at its top level.
  void run(argv);
}
