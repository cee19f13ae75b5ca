import { describe, expect, it } from 'vitest';
import { emptyTrashQuestion, purgeQuestion, removeConnectionQuestion } from '../../src/core/api/questions';
import type { TrashEntry } from '../../src/shared/domain';

// Main's question is the only one the window asks before these (its own dialogs are gone), so it
// says what those dialogs said: that a Kura token goes for good, and what removing a connection keeps.

const NOW = '2026-12-01T10:00:00.000Z';
const entry = (over: Partial<TrashEntry> = {}): TrashEntry => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'profile',
  ref: 'crm-bot/prod',
  hasToken: true,
  trashedAt: NOW,
  purgeAt: NOW,
  ...over,
});

describe('main’s questions before deleting for good', () => {
  it('purging a profile with a token says Kura cannot issue it again and the remote profile stays', () => {
    const q = purgeQuestion(entry());
    expect(q.message).toBe('Delete crm-bot/prod for good?');
    expect(q.detail).toBe(
      'The profile crm-bot/prod is deleted with its history and its Kura token; this cannot be undone. ' +
        'Kura cannot issue that token again; the remote profile stays on Kura.',
    );
    expect(purgeQuestion(entry({ kind: 'byok', ref: 'claude-code', hasToken: false })).detail).toBe(
      'The BYOK key claude-code is deleted with its history; this cannot be undone.',
    );
  });

  it('emptying the trash counts the items and the Kura tokens that go with them', () => {
    const two = [entry(), entry({ ref: 'crm-bot/dev' }), entry({ kind: 'byok', ref: 'claude-code', hasToken: false })];
    expect(emptyTrashQuestion(two).detail).toBe(
      '3 items are deleted for good, with their history; this cannot be undone. 2 Kura tokens go too, which Kura cannot issue again.',
    );
    expect(emptyTrashQuestion([entry()]).detail).toBe(
      '1 item is deleted for good, with its history; this cannot be undone. One Kura token goes too, which Kura cannot issue again.',
    );
    expect(emptyTrashQuestion([entry({ hasToken: false })]).detail).not.toContain('token');
  });

  it('removing a connection says nothing is removed from the service and connecting again needs the credential', () => {
    expect(removeConnectionQuestion('kura', 'https://kura.example.com').detail).toBe(
      'Its address and API key are deleted from the vault for good; nothing is removed from Kura. ' +
        'Your profiles wait here until you connect again, which needs the API key.',
    );
    expect(removeConnectionQuestion('backside', 'https://backside.example.com').detail).toContain(
      'nothing is removed from Backside. Your BYOK keys wait here until you connect again, which needs the token.',
    );
  });
});
