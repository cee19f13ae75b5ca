import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Trust is kept by the file's folder with links resolved, so one template spelled several ways is
// one trust. But the path was first shortened as text: in `link/../t.tpl`, ".." was taken as this
// folder, while the system (which reads the file) goes to the folder above the link's target. So
// `trust link/../t.tpl` showed one file and recorded another path, and `inject -i link/../t.tpl`
// filled in a file nobody trusted with the trust of another one that held the same references.

const SECRET = 'other-paths-secret-0123';
const GH = 'keyhold://profile/gh/dev/GITHUB_TOKEN';

let v: Awaited<ReturnType<typeof cliVault>>;
let w: string;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-paths-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
  w = join(v.dir, 'w');
  // w/real/sub is a folder; w/link leads to it, so w/link/.. is w/real (not w).
  mkdirSync(join(w, 'real', 'sub'), { recursive: true });
  symlinkSync(join(w, 'real', 'sub'), join(w, 'link'));
});
afterAll(() => v.cleanup());

/** `inject -i FILE` to standard output; no secret may appear in an error. */
async function inject(file: string) {
  const r = await v.run(['inject', '-i', file]);
  if (r.code !== 0) expect(r.stdout + r.stderr).not.toContain(SECRET);
  return r;
}

describe('a template named through a link and ".."', () => {
  it('is trusted at the path of the file that was read and shown', async () => {
    writeFileSync(join(w, 'real', 'shown.tpl'), `T=${GH}\n`);
    const r = await v.ok(['trust', '--yes', `${w}/link/../shown.tpl`]);
    expect(r.stdout).toContain(`Trusted: ${join(w, 'real', 'shown.tpl')}`);
    expect((await inject(join(w, 'real', 'shown.tpl'))).stdout).toBe(`T=${SECRET}\n`);
  });

  it("does not borrow the trust of the file the text would shorten to: it is another file's", async () => {
    writeFileSync(join(w, 'lent.tpl'), `T=${GH}\n`);
    await v.ok(['trust', '--yes', join(w, 'lent.tpl')]);
    writeFileSync(join(w, 'real', 'lent.tpl'), `T=${GH}\n# another file, never read by its owner\n`);
    const r = await inject(`${w}/link/../lent.tpl`);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`${join(w, 'real', 'lent.tpl')} is not trusted`);
    expect(r.stdout).toBe('');
  });
});

describe('a trusted template', () => {
  it('keeps its trust through a linked folder or a ".." that comes back to it', async () => {
    const file = join(w, 'real', 'sub', 'kept.tpl');
    writeFileSync(file, `T={{ ${GH} }}\n`);
    await v.ok(['trust', '--yes', file]);
    for (const spelling of [join(w, 'link', 'kept.tpl'), `${w}/real/sub/../sub/kept.tpl`, `${w}/link/../sub/kept.tpl`]) {
      const r = await inject(spelling);
      expect(r.code, `${spelling}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(`T=${SECRET}\n`);
    }
  });

  it('changed by one byte inside a reference, or replaced by a link to a file with other references, writes nothing and names the change', async () => {
    const file = join(w, 'real', 'changed.tpl');
    writeFileSync(file, `T=${GH}\n`);
    await v.ok(['trust', '--yes', file]);

    writeFileSync(file, `T=${GH.slice(0, -1)}M\n`);
    const oneByte = await inject(file);
    expect(oneByte.code).toBe(8);
    expect(oneByte.stderr).toContain(`${file} changed since it was trusted (new: ${GH.slice(0, -1)}M; no longer listed: ${GH})`);

    rmSync(file);
    const elsewhere = join(v.dir, 'elsewhere.tpl');
    writeFileSync(elsewhere, `A=${GH}\nB=keyhold://profile/gh/dev/OTHER\n`);
    symlinkSync(elsewhere, file);
    const swapped = await inject(file);
    expect(swapped.code).toBe(8);
    expect(swapped.stderr).toContain(`${file} changed since it was trusted (new: keyhold://profile/gh/dev/OTHER)`);
    expect(readFileSync(elsewhere, 'utf8')).toContain('OTHER');
  });
});
