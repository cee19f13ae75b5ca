import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';
import { build } from 'vite';
import { createBackend, type ApiBackend, type LockReason } from '../../src/core/api/backend';
import { createRouter } from '../../src/core/ipc/router';
import { Vault } from '../../src/core/vault/vault';
import { contract, events } from '../../src/shared/contract';
import type { ProfileInput } from '../../src/shared/domain';
import { DEFAULT_SETTINGS, UserSettings } from '../../src/shared/settings';
import { BACKSIDE_TEST_TOKEN, startFakeBackside, type FakeBackside } from '../fakes/backside';
import { KURA_TEST_API_KEY, startFakeKura, type FakeKura } from '../fakes/kura';
import { FAST_KDF, PASSWORD } from '../helpers/vault';

export { BACKSIDE_TEST_TOKEN, KURA_TEST_API_KEY, PASSWORD };

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const RENDERER = join(ROOT, 'out/renderer');
export const SHOTS = join(ROOT, 'test-results/e2e-screens');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the built renderer (npm run build → out/renderer) on 127.0.0.1, as files, nothing else. */
async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!statSync(join(RENDERER, 'index.html'), { throwIfNoEntry: false })) {
    throw new Error('out/renderer/index.html is missing: run `npm run build` first.');
  }
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(RENDERER, path === '/' ? 'index.html' : path));
    if (!file.startsWith(RENDERER) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The page side of the bridge, bundled once: the real createApi and contract from src/shared. */
async function bridgeScript(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: join(here, 'bridge.ts'), formats: ['iife'], name: 'keyholdBridge' } },
  });
  const first = (Array.isArray(out) ? out[0] : out) as { output: { type: string; code?: string }[] };
  const chunk = first.output.find((o) => o.type === 'chunk');
  if (!chunk?.code) throw new Error('Could not bundle the e2e bridge.');
  return chunk.code;
}

export interface Keyhold {
  page: Page;
  backend: ApiBackend;
  vaultDir: string;
  /** What main's clipboard would have received (values never reach the page). */
  copied: string[];
  /** Events sent to the page, by name. */
  emitted: string[];
  /** The fake save/open dialogs: each answers with the next queued path, or null (cancelled) when none is queued. */
  dialogs: { saves: (string | null)[]; opens: (string | null)[] };
  /** Main's own dialog, which the page cannot answer: the questions it was asked, and what the person answers (yes unless a test says otherwise). */
  confirmations: { asked: { message: string; detail: string }[]; answer: boolean };
  /** Browser console errors and CSP violations seen so far. */
  pageErrors: string[];
  lock(reason: LockReason): void;
  /** Pushes an event to the page as main would. */
  emit(name: keyof typeof events, payload: unknown): Promise<void>;
  open(): Promise<void>;
  shot(name: string): Promise<void>;
}

export interface Remotes {
  kura: FakeKura;
  backside: FakeBackside;
}

/** Seeds a vault directly through core (faster than the UI for large vaults), then closes it. */
export async function seedVault(dir: string, profiles: ProfileInput[]): Promise<void> {
  const vault = await Vault.create(dir, PASSWORD, { kdf: FAST_KDF });
  try {
    for (let i = 0; i < profiles.length; i += 2000) vault.profiles.createMany(profiles.slice(i, i + 2000));
  } finally {
    vault.close();
  }
}

/** Opens the vault in the test process (after the backend closed it) to check what was stored. */
export async function inspectVault<T>(dir: string, read: (vault: Vault) => T): Promise<T> {
  const vault = Vault.open(dir);
  try {
    await vault.unlock(PASSWORD);
    return read(vault);
  } finally {
    vault.close();
  }
}

type Fixtures = { keyhold: Keyhold; remotes: Remotes; vaultDir: string };
type WorkerFixtures = { site: { url: string; bridge: string } };

export const test = base.extend<Fixtures, WorkerFixtures>({
  site: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await serveRenderer();
      await use({ url: server.url, bridge: await bridgeScript() });
      await server.close();
    },
    { scope: 'worker' },
  ],
  // eslint-disable-next-line no-empty-pattern
  vaultDir: async ({}, use) => {
    const tmp = mkdtempSync(join(tmpdir(), 'keyhold-e2e-'));
    await use(join(tmp, 'vault'));
    rmSync(tmp, { recursive: true, force: true });
  },
  // eslint-disable-next-line no-empty-pattern
  remotes: async ({}, use) => {
    const kura = await startFakeKura();
    const backside = await startFakeBackside();
    await use({ kura, backside });
    await Promise.all([kura.close(), backside.close()]);
  },
  keyhold: async ({ page, site, vaultDir }, use, testInfo) => {
    let settings = DEFAULT_SETTINGS;
    const copied: string[] = [];
    const emitted: string[] = [];
    const pageErrors: string[] = [];
    const dialogs: Keyhold['dialogs'] = { saves: [], opens: [] };
    const confirmations: Keyhold['confirmations'] = { asked: [], answer: true };
    const push = (name: string, payload: unknown): Promise<void> => {
      emitted.push(name);
      const parsed = events[name as keyof typeof events].parse(payload);
      return page.evaluate((m) => window.__keyholdPush(m), { name, payload: parsed }).catch(() => undefined);
    };
    const backend = createBackend({
      vaultDir,
      emit: (name, payload) => void push(name, payload),
      clipboard: {
        copy: (text) => {
          copied.push(text);
          return { clearsAfterSeconds: settings.clipboardSeconds };
        },
      },
      settings: {
        get: () => settings,
        update: (patch) => (settings = UserSettings.parse({ ...settings, ...patch })),
      },
      fileDialog: {
        saveFile: async () => dialogs.saves.shift() ?? null,
        openFile: async () => dialogs.opens.shift() ?? null,
      },
      confirm: {
        confirm: async ({ message, detail }) => {
          confirmations.asked.push({ message, detail });
          return confirmations.answer;
        },
      },
      // scrypt 2^10 instead of the age CLI's 2^18, which costs seconds in pure JS.
      shareScryptWorkFactor: 10,
      kdf: FAST_KDF,
      sync: {
        backoff: { baseMs: 200, capMs: 1_000 },
        http: { connectTimeoutMs: 1_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 },
      },
      syncTimeoutMs: 2_500,
      // "Found on this computer" looks in an empty home, not the machine's.
      scanEnv: { HOME: join(vaultDir, '..', 'home'), XDG_CONFIG_HOME: join(vaultDir, '..', 'home', '.config') },
      onError: () => undefined,
    });
    const router = createRouter(contract, backend.handlers, { log: (entry) => pageErrors.push(`router: ${JSON.stringify(entry)}`) });
    await page.exposeBinding('__keyholdInvoke', (_source, name: string, input: unknown) => router.dispatch(name, input));
    await page.addInitScript({ content: site.bridge });
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));

    const keyhold: Keyhold = {
      page,
      backend,
      vaultDir,
      copied,
      emitted,
      dialogs,
      confirmations,
      pageErrors,
      lock: (reason) => backend.lock(reason),
      emit: push,
      open: async () => {
        await page.goto(site.url);
      },
      shot: async (name) => {
        const path = join(SHOTS, `${name}.png`);
        await page.screenshot({ path });
        await testInfo.attach(name, { path, contentType: 'image/png' });
      },
    };
    await use(keyhold);
    await backend.close();
    // A CSP violation or an uncaught error anywhere in a flow fails it.
    expect(pageErrors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  },
});

export { expect };

/** Goes to a section of the window through its sidebar. */
export function nav(page: Page, name: string): Promise<void> {
  return page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }).click();
}

/** Kura connected, the agent crm-bot (USERNAME, PASSWORD) declared, and its profile crm-bot/prod synced with `password`. */
export async function seedSyncedProfile(keyhold: Keyhold, remotes: Remotes, password: string): Promise<void> {
  const h = keyhold.backend.handlers;
  await h.remoteSet({ kind: 'kura', url: remotes.kura.url, credential: KURA_TEST_API_KEY });
  await h.agentSet({ agentId: 'crm-bot', args: ['USERNAME', 'PASSWORD'] });
  await h.profileCreate({
    agentId: 'crm-bot',
    name: 'prod',
    authData: { USERNAME: 'ann', PASSWORD: password },
    saveSession: false,
    draft: false,
    allowEnv: [],
  });
  await h.syncNow(undefined);
}

/**
 * Creates the vault through the UI. A new vault opens on the setup guide; unless `stayOnGuide`,
 * this then goes to the (empty) profile list, where most flows start.
 */
export async function createVaultThroughUi(page: Page, { stayOnGuide = false } = {}): Promise<void> {
  await page.getByLabel('Master password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the master password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('heading', { name: 'Get started', level: 1 })).toBeVisible();
  if (!stayOnGuide) await nav(page, 'Profiles');
}

export async function unlockThroughUi(page: Page, password = PASSWORD): Promise<void> {
  await page.getByLabel('Master password').fill(password);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
}

export async function connectThroughUi(page: Page, remotes: Remotes): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Connections' }).click();
  const kura = page.getByRole('form', { name: 'Kura connection' });
  await kura.getByLabel('Base URL').fill(remotes.kura.url);
  await kura.getByLabel('API key').fill(KURA_TEST_API_KEY);
  await kura.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('region', { name: 'Kura' }).getByText(/^Verified /)).toBeVisible();
  const backside = page.getByRole('form', { name: 'Backside connection' });
  await backside.getByLabel('Base URL').fill(remotes.backside.url);
  await backside.getByLabel('Bearer token').fill(BACKSIDE_TEST_TOKEN);
  await backside.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('region', { name: 'Backside' }).getByText(/^Verified /)).toBeVisible();
}
