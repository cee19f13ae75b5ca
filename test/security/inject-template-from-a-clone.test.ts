import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Attack: `make setup` runs `keyhold inject -i .env.tpl -o .env`, and the project's code reads .env.
// The template comes with the repository, so a hostile commit that added
// `AWS_SECRET=keyhold://profile/prod/main/AWS_SECRET` to it used to have the vault's production key
// written out for the project's own scripts: the same hole a keyhold.toml had for `run`. A template
// file is now used only while it holds exactly the references its owner trusted.

const DEV = 'ghp_dev0123456789abcdefDEV';
const PROD = 'prod-secret-0123456789-PROD';
const GH = 'keyhold://profile/gh/dev/GITHUB_TOKEN';
const AWS = 'keyhold://profile/prod/main/AWS_SECRET';

let v: Awaited<ReturnType<typeof cliVault>>;
const p = (...parts: string[]) => join(v.dir, ...parts);

function template(name: string, text: string): string {
  const dir = p(name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.env.tpl'), text);
  return join(dir, '.env.tpl');
}

/** `inject -i FILE -o OUT`; nothing secret may show in what it prints, whatever it does. */
async function inject(file: string, out = join(file, '..', '.env')) {
  const r = await v.run(['inject', '-i', file, '-o', out, '--force']);
  expect(r.stdout + r.stderr).not.toContain(DEV);
  expect(r.stdout + r.stderr).not.toContain(PROD);
  return { ...r, written: existsSync(out) ? readFileSync(out, 'utf8') : null };
}

beforeAll(async () => {
  v = await cliVault('keyhold-sec-inject-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${DEV}`]);
  await v.ok(['profile', 'add', '--agent', 'prod', '--name', 'main', '--set', `AWS_SECRET=${PROD}`]);
});
afterAll(() => v.cleanup());

describe('a template nobody trusted', () => {
  it('writes nothing: inject exits 8 naming the file and what to do', async () => {
    const file = template('fresh-clone', `AWS_SECRET=${AWS}\n`);
    const r = await inject(file);
    expect(r.code).toBe(8);
    expect(r.written).toBeNull();
    expect(r.stderr).toContain(`${file} is not trusted: a template chooses which of the vault's secrets are written out`);
    expect(r.stderr).toContain('To trust it, run "keyhold trust" with its path.');
  });

  it('is not trusted without a terminal to confirm on, and shows its references to whoever is asked', async () => {
    const file = template('no-terminal', `A=${GH}\nB={{ ${AWS} }}\nC=${GH}\n`);
    const r = await v.run(['trust', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Nothing was trusted');
    expect(r.stdout).toContain(`${file} holds 2 references`);
    expect(r.stdout).toContain(GH);
    expect(r.stdout).toContain(AWS);
    expect((await inject(file)).code).toBe(8);
  });

  it("on standard input is the person's own and needs no trust; a file without references needs none either", async () => {
    const r = await v.ok(['inject', '-i', '-'], `TOKEN=${GH}\n`);
    expect(r.stdout).toBe(`TOKEN=${DEV}\n`);
    const plain = template('no-references', 'DEBUG=1\n');
    expect((await inject(plain)).written).toBe('DEBUG=1\n');
  });
});

describe('a trusted template', () => {
  it('is filled in; other text, another spelling of a reference or a repeat keeps the trust', async () => {
    const file = template('trusted', `GITHUB_TOKEN=${GH}\n`);
    const t = await v.ok(['trust', '--yes', file]);
    expect(t.stdout).toContain(`Trusted: ${file}`);
    expect((await inject(file)).written).toBe(`GITHUB_TOKEN=${DEV}\n`);

    // %67%68 is "gh" written %XX: the same reference.
    writeFileSync(file, `# comment\nTOKEN={{ keyhold://profile/%67%68/dev/GITHUB_TOKEN }}\nAGAIN=${GH}\n`);
    const r = await inject(file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.written).toBe(`# comment\nTOKEN=${DEV}\nAGAIN=${DEV}\n`);
    expect((await v.ok(['trust', file])).stdout).toContain('already trusted');
  });

  it('that a commit gave a new reference writes nothing and names it, until trusted again', async () => {
    const file = template('pulled', `GITHUB_TOKEN=${GH}\n`);
    await v.ok(['trust', '--yes', file]);
    const out = join(file, '..', '.env');
    writeFileSync(out, 'kept');
    writeFileSync(file, `GITHUB_TOKEN=${GH}\nAWS_SECRET=${AWS}\n`);
    const r = await inject(file, out);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`${file} changed since it was trusted (new: ${AWS})`);
    expect(r.written).toBe('kept');

    // Read again, the change is marked; trusted, the file is filled in.
    const shown = await v.ok(['trust', '--yes', file]);
    expect(shown.stdout).toMatch(new RegExp(`${AWS.replace(/[/.]/g, '\\$&')}\\s+new`));
    expect((await inject(file, out)).written).toBe(`GITHUB_TOKEN=${DEV}\nAWS_SECRET=${PROD}\n`);

    // A reference taken out is a change too: what was trusted is no longer what the file holds.
    writeFileSync(file, `AWS_SECRET=${AWS}\n`);
    const removed = await inject(file, out);
    expect(removed.code).toBe(8);
    expect(removed.stderr).toContain(`no longer listed: ${GH}`);
  });

  it('lends nothing to a link to it in another folder, and ends with --revoke', async () => {
    const file = template('owner', `AWS_SECRET=${AWS}\n`);
    await v.ok(['trust', '--yes', file]);
    mkdirSync(p('hostile'));
    const link = p('hostile', '.env.tpl');
    symlinkSync(file, link);
    const r = await inject(link);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`${link} is not trusted`);

    expect((await v.ok(['trust', '--list', '--json'])).json<{ path: string }[]>().map((t) => t.path)).toContain(file);
    await v.ok(['trust', '--revoke', file]);
    expect((await inject(file)).code).toBe(8);
  });
});
