import { join } from 'node:path';
import { createBackend, type ApiDeps, type FileDialogPort } from '../../src/core/api/backend';
import { createRouter, type RouterLogEntry } from '../../src/core/ipc/router';
import { contract, type KeyholdContract } from '../../src/shared/contract';
import type { CallInput, CallOutput, Envelope } from '../../src/shared/ipc';
import { DEFAULT_SETTINGS, UserSettings } from '../../src/shared/settings';
import { FAST_KDF, tempDir } from '../helpers/vault';
import { FAST_SCRYPT } from '../fixtures/share/samples';

export const MASTER = 'correct horse battery staple';

/** A file dialog that answers with the next queued path (null: the person cancelled) and records what it was asked. */
export function fakeFileDialog() {
  const saves: (string | null)[] = [];
  const opens: (string | null)[] = [];
  const asked: string[] = [];
  const port: FileDialogPort = {
    saveFile: async ({ defaultName }) => {
      asked.push(`save ${defaultName}`);
      return saves.shift() ?? null;
    },
    openFile: async ({ title }) => {
      asked.push(`open ${title}`);
      return opens.shift() ?? null;
    },
  };
  return { port, saves, opens, asked };
}

export interface Emitted {
  name: string;
  payload: unknown;
}

type Name = keyof KeyholdContract;

/**
 * A backend over a temp vault, driven exactly as IPC drives it: every call goes through the
 * router's dispatch (input parsing, output parsing, error envelopes).
 */
export function apiHarness(overrides: Partial<Omit<ApiDeps, 'settings'>> & { settings?: Partial<UserSettings>; settingsStore?: ApiDeps['settings'] } = {}) {
  const t = tempDir('keyhold-api-');
  const events: Emitted[] = [];
  const copied: string[] = [];
  const clipboard = { cleared: 0 };
  const logs: RouterLogEntry[] = [];
  const errors: unknown[] = [];
  /** The questions main's confirmation dialog was asked; `answer` is what the person chooses next. */
  const confirmations = { asked: [] as { message: string; detail: string }[], answer: true };
  const { settings: initial, settingsStore, ...deps } = overrides;
  let settings: UserSettings = { ...DEFAULT_SETTINGS, ...initial };
  const backend = createBackend({
    vaultDir: join(t.dir, 'vault'),
    emit: (name, payload) => events.push({ name, payload }),
    clipboard: {
      copy: (text) => {
        copied.push(text);
        return { clearsAfterSeconds: settings.clipboardSeconds };
      },
      clearNow: () => clipboard.cleared++,
    },
    settings: settingsStore ?? {
      get: () => settings,
      update: (patch) => (settings = UserSettings.parse({ ...settings, ...patch })),
    },
    kdf: FAST_KDF,
    sync: {
      backoff: { baseMs: 1, capMs: 20 },
      http: { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 },
    },
    syncTimeoutMs: 5_000,
    onError: (e) => errors.push(e),
    confirm: {
      confirm: async ({ message, detail }) => {
        confirmations.asked.push({ message, detail });
        return confirmations.answer;
      },
    },
    ...deps,
  });
  const router = createRouter(contract, backend.handlers, { log: (entry) => logs.push(entry) });

  const call = <K extends Name>(name: K, input?: CallInput<KeyholdContract[K]>): Promise<Envelope<CallOutput<KeyholdContract[K]>>> =>
    router.dispatch(name, input) as Promise<Envelope<CallOutput<KeyholdContract[K]>>>;

  const ok = async <K extends Name>(name: K, input?: CallInput<KeyholdContract[K]>): Promise<CallOutput<KeyholdContract[K]>> => {
    const reply = await call(name, input);
    if (!reply.ok) throw new Error(`${name} failed: ${reply.error.code}: ${reply.error.message}`);
    return reply.value;
  };

  return {
    dir: t.dir,
    vaultDir: join(t.dir, 'vault'),
    backend,
    router,
    call,
    ok,
    events,
    copied,
    clipboard,
    logs,
    errors,
    confirmations,
    settings: () => settings,
    named: (name: string) => events.filter((e) => e.name === name).map((e) => e.payload),
    async cleanup() {
      await backend.close();
      t.cleanup();
    },
  };
}

export type ApiHarness = ReturnType<typeof apiHarness>;

/** The API over a new vault (MASTER), with a fake file dialog and a folder for the files it shares; `cleanups` removes them. */
export async function shareApi(cleanups: (() => unknown)[]): Promise<{ h: ApiHarness; dialog: ReturnType<typeof fakeFileDialog>; dir: string }> {
  const dialog = fakeFileDialog();
  const files = tempDir('keyhold-share-files-');
  cleanups.push(files.cleanup);
  const h = apiHarness({ fileDialog: dialog.port, shareScryptWorkFactor: FAST_SCRYPT });
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  return { h, dialog, dir: files.dir };
}
