// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthView } from '../../src/renderer/screens/HealthView';
import type { HealthFinding } from '../../src/shared/contract';
import { fakeClient, renderWith } from '../helpers/ui';

afterEach(cleanup);

const vaultOpen: HealthFinding = {
  severity: 'problem',
  rule: 'vault-files-open',
  kind: 'vault',
  id: '/home/ann/.config/keyhold',
  ref: '/home/ann/.config/keyhold',
  message: 'Other users of this computer can open /home/ann/.config/keyhold/vault.sqlite (mode 644), so they could try passwords against the vault offline.',
};
const paused: HealthFinding = {
  severity: 'problem',
  rule: 'remote-paused',
  kind: 'remote',
  id: 'kura',
  ref: 'Kura',
  message: 'The Kura connection is paused.',
};

describe('Health', () => {
  it('shows a vault open to other users with its folder and the fix, and nothing to open for it', async () => {
    renderWith(fakeClient({ healthReport: async () => [vaultOpen, paused] }), <HealthView />);
    const list = await screen.findByRole('list', { name: 'Findings' });
    const [vault, remote] = await within(list).findAllByRole('listitem');
    expect(within(vault!).getByText('Vault open to other users')).toBeTruthy();
    expect(within(vault!).getByText(/mode 644/)).toBeTruthy();
    expect(within(vault!).getByText('/home/ann/.config/keyhold')).toBeTruthy();
    expect(within(vault!).queryByRole('button')).toBeNull();
    // Other findings still open what they are about.
    expect(within(remote!).getByRole('button', { name: 'Kura' })).toBeTruthy();
  });
});
