import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { readDotenvText } from '../../src/core/devflow/dotenv';
import { describePasswordStrength } from '../../src/shared/password-strength';
import { ApiProvider, type Client } from '../../src/renderer/api';
import { AppStateProvider, useAppState } from '../../src/renderer/state';
import type { KeyholdContract } from '../../src/shared/contract';
import type { ProfileSummary } from '../../src/shared/domain';
import type { CallOutput } from '../../src/shared/ipc';
import { Toasts } from '../../src/renderer/ui/Toasts';

type Calls = Partial<Record<keyof Client, (...args: never[]) => unknown>>;

/**
 * A client whose calls are the given spies (`defaults`, then the test's own `calls`); any other
 * call rejects with "unexpected call NAME", so a screen that asks for more than the test expects fails.
 */
export function fakeClient(defaults: Calls, calls: Calls = {}): Client {
  // Strength estimates and .env reading come from the real engine functions, as main answers them.
  const strength = ({ password }: { password: string }) => describePasswordStrength(password);
  const base: Record<string, unknown> = {
    on: () => () => undefined,
    passwordStrength: strength,
    dotenvRead: async ({ text }: { text: string }) => readDotenvText(text),
    ...defaults,
    ...calls,
  };
  return new Proxy(base, {
    get: (target, name: string) => target[name] ?? (() => Promise.reject(new Error(`unexpected call ${name}`))),
  }) as unknown as Client;
}

/**
 * Renders a screen as the app does: the client, a query cache without retries, app state and toasts.
 * `queryClient` is returned for tests about what the page keeps in memory.
 */
export function renderWith(client: Client, ui: ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const rendered = render(
    <ApiProvider client={client}>
      <QueryClientProvider client={qc}>
        <AppStateProvider>
          {ui}
          <Toasts />
        </AppStateProvider>
      </QueryClientProvider>
    </ApiProvider>,
  );
  return { ...rendered, queryClient: qc };
}

export const NOW = '2025-01-01T00:00:00.000Z';

/** A profile as the list shows it (crm-bot/prod, synced); a test overrides what it is about. */
export function profileSummary(over: Partial<ProfileSummary> = {}): ProfileSummary {
  return {
    id: '0b6f3c52-3c1c-4d39-9a57-0f3d9a3f2d11',
    agentId: 'crm-bot',
    name: 'prod',
    keys: ['USERNAME', 'PASSWORD'],
    saveSession: false,
    syncState: 'synced',
    hasToken: true,
    lastSyncType: 'create',
    lastError: null,
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
    ...over,
  };
}

/** What main answers a wrap preview: the server gh, nothing left in the file; a test overrides what it is about. */
export function wrapPreview(over: Partial<CallOutput<KeyholdContract['mcpWrapPreview']>> = {}): CallOutput<KeyholdContract['mcpWrapPreview']> {
  return { servers: ['gh'], diff: '- the diff', revision: 'a'.repeat(64), left: [], ...over };
}

/** What main answers a wrap done: gh wrapped in place, nothing left in the file; a test overrides what it is about. */
export function wrapDone(file: string, over: Partial<CallOutput<KeyholdContract['mcpWrap']>> = {}): CallOutput<KeyholdContract['mcpWrap']> {
  return { servers: ['gh'], backup: `${file}.keyhold-backup`, writtenTo: null, left: [], ...over };
}

/** The window's app state over a fake client whose events (`locked`, `lockSoon`…) the test emits. */
export function appStateHarness() {
  const listeners = new Map<string, (payload: never) => void>();
  const client = fakeClient({
    on: (event: string, listener: (payload: never) => void) => {
      listeners.set(event, listener);
      return () => listeners.delete(event);
    },
  } as never);
  const emit = (event: string, payload: unknown) => act(() => listeners.get(event)?.(payload as never));
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ApiProvider client={client}>
      <QueryClientProvider client={new QueryClient()}>
        <AppStateProvider>{children}</AppStateProvider>
      </QueryClientProvider>
    </ApiProvider>
  );
  const { result, unmount } = renderHook(() => useAppState(), { wrapper });
  return { result, emit, unmount };
}
