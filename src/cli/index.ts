// The `keyhold` binary: run main with this process's streams, environment and exit code.
// `--version` alone is answered before anything else is loaded.
import { VERSION } from './version';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { useNodeBuild } = await import('../core/vault/native');
  useNodeBuild();
  const { main } = await import('./main');
  const { guardClosedPipes, processIo } = await import('./io');
  const io = processIo();
  guardClosedPipes(io);
  process.exitCode = await main(argv, io);
}
