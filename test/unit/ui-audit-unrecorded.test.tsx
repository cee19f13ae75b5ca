// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { appStateHarness } from '../helpers/ui';

// A reveal or copy on a full disk or a busy vault goes on without its audit entry
// (test/security/reading-on-a-full-disk.test.ts); the window says so, since Activity will not.
describe('a read the vault could not record', () => {
  it("shows main's sentence as an alert, once however often it comes", () => {
    const { result, emit } = appStateHarness();
    const message =
      "Reading this secret was not recorded in the vault's audit log. The disk holding the vault is full, so nothing was saved. Free some space and try again.";
    emit('auditUnrecorded', { message });
    emit('auditUnrecorded', { message });
    expect(result.current.toasts.filter((t) => t.text === message)).toMatchObject([{ tone: 'error', count: 2 }]);
  });
});
