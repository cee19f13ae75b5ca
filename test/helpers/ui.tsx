import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { readDotenvText } from '../../src/core/devflow/dotenv';
import { describePasswordStrength } from '../../src/shared/password-strength';
import { ApiProvider, type Client } from '../../src/renderer/api';
import { AppStateProvider } from '../../src/renderer/state';
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

/** Renders a screen as the app does: the client, a query cache without retries, app state and toasts. */
export function renderWith(client: Client, ui: ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <ApiProvider client={client}>
      <QueryClientProvider client={qc}>
        <AppStateProvider>
          {ui}
          <Toasts />
        </AppStateProvider>
      </QueryClientProvider>
    </ApiProvider>,
  );
}
