import { spawnSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { tempDir } from './vault';

/**
 * A 1 MiB tmpfs for a real full disk, unmounted after the file's tests. Mounting needs root and a
 * system that allows it (the development VM and CI do); elsewhere `mounted` is false and the file
 * says loudly what does not run (`NOT RUN here: …`), naming what still does.
 */
export function smallDisk(prefix: string, testFile: string, stillRuns: string): { dir: string; mounted: boolean } {
  const small = tempDir(prefix);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small.dir]).status === 0;
  if (!mounted) console.warn(`${testFile}: NOT RUN here: cannot mount a 1 MiB tmpfs (needs root); ${stillRuns} still runs`);
  afterAll(() => {
    if (mounted) spawnSync('umount', [small.dir]);
    small.cleanup();
  });
  return { dir: small.dir, mounted };
}
