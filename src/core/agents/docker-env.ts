import { basename } from 'node:path';

/*
 * `docker run -e NAME=value IMAGE`: MCP servers shipped as containers take their keys as docker
 * options, so the secret sits in the server's `args`. Docker also takes `-e NAME` alone, passing the
 * variable on from its own environment, which `keyhold run` fills: a wrap can move the value out.
 */

/** Container runners whose `run` reads `-e`/`--env` as docker's does. */
const RUNNERS = new Set(['docker', 'podman']);

// Options of `docker run` that take the next argument as their value. Only options that certainly
// do: one missing here is read as a flag without a value, so its value is taken for the image and
// the options after it are left alone, which is the safe way to be wrong.
const TAKES_VALUE = new Set([
  '-a',
  '--attach',
  '-c',
  '--cpu-shares',
  '-e',
  '--env',
  '--env-file',
  '-h',
  '--hostname',
  '-l',
  '--label',
  '--label-file',
  '-m',
  '--memory',
  '-p',
  '--publish',
  '-u',
  '--user',
  '-v',
  '--volume',
  '-w',
  '--workdir',
  '--add-host',
  '--cap-add',
  '--cap-drop',
  '--cidfile',
  '--cpus',
  '--device',
  '--dns',
  '--entrypoint',
  '--expose',
  '--gpus',
  '--group-add',
  '--ipc',
  '--log-driver',
  '--log-opt',
  '--mount',
  '--name',
  '--net',
  '--network',
  '--pid',
  '--platform',
  '--pull',
  '--restart',
  '--runtime',
  '--security-opt',
  '--shm-size',
  '--stop-signal',
  '--stop-timeout',
  '--tmpfs',
  '--ulimit',
  '--userns',
  '--volumes-from',
]);

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

export interface DockerEnvArg {
  /** The index in `args` of the `NAME=value` text (after `-e`/`--env`, or `--env=NAME=value` itself). */
  index: number;
  name: string;
  value: string;
  /** The argument as it becomes once the value has left: `NAME`, or `--env=NAME`. */
  replacement: string;
}

/** Whether `command` is docker or podman (by its file name, a path or `.exe` allowed). */
function isContainerRunner(command: string): boolean {
  return RUNNERS.has(
    basename(command.replaceAll('\\', '/'))
      .replace(/\.exe$/i, '')
      .toLowerCase(),
  );
}

/**
 * The `-e NAME=value`, `--env NAME=value` and `--env=NAME=value` options of a `docker run` (or
 * `docker container run`, or podman's) before its image. What follows the image is the container's
 * own command line, where `-e` means whatever that program makes of it: never read.
 */
export function dockerEnvArgs(command: string, args: readonly string[]): DockerEnvArg[] {
  if (!isContainerRunner(command)) return [];
  const run = args[0] === 'run' ? 1 : args[0] === 'container' && args[1] === 'run' ? 2 : -1;
  if (run === -1) return [];
  const found: DockerEnvArg[] = [];
  const add = (index: number, text: string, prefix: string) => {
    const m = ASSIGNMENT.exec(text);
    if (m) found.push({ index, name: m[1]!, value: m[2]!, replacement: `${prefix}${m[1]!}` });
  };
  for (let i = run; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || !arg.startsWith('-')) break; // the image
    if (arg.startsWith('--env=')) add(i, arg.slice('--env='.length), '--env=');
    else if (arg === '-e' || arg === '--env') {
      if (i + 1 < args.length) add(i + 1, args[i + 1]!, '');
      i++;
    } else if (TAKES_VALUE.has(arg)) i++;
  }
  return found;
}
