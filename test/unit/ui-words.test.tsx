// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { plain } from '../../src/renderer/lib/words';
import { detailText } from '../../src/renderer/screens/ActivityView';
import { AppStateProvider, useAppState } from '../../src/renderer/state';
import { count } from '../../src/renderer/ui/kit';
import { ApiProvider } from '../../src/renderer/api';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fakeClient } from '../helpers/ui';
import { matchCommands } from '../../src/renderer/ui/Palette';

describe('plain words', () => {
  it('drops HTTP codes, command lines and schema-library wording', () => {
    expect(plain('Kura no longer has this profile (HTTP 404).')).toBe('Kura no longer has this profile.');
    expect(plain('credentials rejected (HTTP 401)')).toBe('credentials rejected');
    expect(plain('No profile "x". Use its id or AGENT_ID/NAME (see "keyhold profile list").')).toBe('No profile "x". Use its id or AGENT_ID/NAME.');
    expect(plain('No Kura connection yet: set one with "keyhold remote set kura".')).toBe('No Kura connection yet.');
    expect(plain('The draft is kept. Run "keyhold profile ready crm/prod" to send it.')).toBe('The draft is kept.');
    expect(plain('Too small: expected string to have >=1 characters')).toBe('This is required.');
    expect(plain('Invalid input: expected string, received undefined')).toBe('This is required.');
    expect(plain('Agent "crm" does not declare "TOKEN".')).toBe('Agent "crm" does not declare "TOKEN".');
    expect(plain(null)).toBe('');
  });

  it('counts with the right noun', () => {
    expect(count(1, 'profile')).toBe('1 profile');
    expect(count(0, 'profile')).toBe('0 profiles');
    expect(count(2, 'entry', 'entries')).toBe('2 entries');
  });

  it('names items in Activity instead of printing their ids', () => {
    const names = new Map([['0b6f3c52-3c1c-4d39-9a57-0f3d9a3f2d11', 'crm-bot/prod']]);
    expect(detailText({ item: 'profile', id: '0b6f3c52-3c1c-4d39-9a57-0f3d9a3f2d11', key: 'PASSWORD' }, names)).toBe('crm-bot/prod · key: PASSWORD');
    expect(detailText({ item: 'byok', id: 'f0000000-0000-4000-8000-000000000000' }, names)).toBe('a BYOK key no longer in the vault');
    expect(detailText({ remote: 'kura', result: 'credentials-rejected', status: 401 }, names)).toBe('remote: kura · result: credentials rejected');
  });
});

describe('toasts', () => {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ApiProvider client={fakeClient({})}>
      <QueryClientProvider client={new QueryClient()}>
        <AppStateProvider>{children}</AppStateProvider>
      </QueryClientProvider>
    </ApiProvider>
  );

  it('merges repeats, keeps errors when others make room', () => {
    const { result } = renderHook(() => useAppState(), { wrapper });
    act(() => {
      result.current.toast('error', 'Sync did not run.');
      result.current.toast('info', 'A');
      result.current.toast('info', 'A');
      result.current.toast('info', 'B');
      result.current.toast('info', 'C');
      result.current.toast('info', 'D');
    });
    const ts = result.current.toasts;
    expect(ts.map((t) => [t.tone, t.text, t.count])).toEqual([
      ['error', 'Sync did not run.', 1],
      ['info', 'B', 1],
      ['info', 'C', 1],
      ['info', 'D', 1],
    ]);
  });
});

describe('command palette', () => {
  it('matches every word, in the label or the group', () => {
    const cmds = [
      { id: '1', label: 'Copy PASSWORD of crm-bot/prod', group: 'Copy value', run: () => undefined },
      { id: '2', label: 'Open crm-bot/prod', group: 'Profile', run: () => undefined },
      { id: '3', label: 'Go to Sync', group: 'Section', run: () => undefined },
    ];
    expect(matchCommands(cmds, 'copy prod').map((c) => c.id)).toEqual(['1']);
    expect(matchCommands(cmds, 'PROFILE crm').map((c) => c.id)).toEqual(['2']);
    expect(matchCommands(cmds, '').length).toBe(3);
    expect(matchCommands(cmds, 'nothing')).toEqual([]);
  });
});
