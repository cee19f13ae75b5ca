import type * as FsPromises from 'node:fs/promises';

/**
 * node:fs/promises as it is, except that a temporary file (`*.tmp`) calls `after(path)` once its
 * bytes are flushed: the slowest step between a writer's last check and its rename, where a test
 * stages another program's write. For `vi.mock('node:fs/promises', …)`.
 */
export function withFlushHook(real: typeof FsPromises, after: (temp: string) => void): typeof FsPromises {
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const temp = String(args[0]);
      if (!temp.endsWith('.tmp')) return handle;
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        after(temp);
      };
      return handle;
    },
  };
}
