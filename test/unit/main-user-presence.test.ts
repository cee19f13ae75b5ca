import { beforeEach, describe, expect, it, vi } from 'vitest';

const touchId = vi.hoisted(() => ({ can: true, prompts: [] as string[], fail: null as Error | null }));
vi.mock('electron', () => ({
  systemPreferences: {
    canPromptTouchID: () => touchId.can,
    promptTouchID: async (reason: string) => {
      touchId.prompts.push(reason);
      if (touchId.fail) throw touchId.fail;
    },
  },
}));

const { createElectronUserPresence } = await import('../../src/main/user-presence');

beforeEach(() => {
  touchId.can = true;
  touchId.prompts = [];
  touchId.fail = null;
});

describe('Touch ID before quick unlock (Electron systemPreferences, mocked)', () => {
  it('is offered on macOS when Electron says Touch ID can prompt, and confirms when it succeeds', async () => {
    const presence = createElectronUserPresence('darwin');
    expect(presence.available()).toBe(true);
    await expect(presence.confirm('unlock your Keyhold vault')).resolves.toBe(true);
    expect(touchId.prompts).toEqual(['unlock your Keyhold vault']);
  });

  it('a cancelled or failed prompt rejects (quick unlock then answers Cancelled)', async () => {
    touchId.fail = new Error('Touch ID cancelled');
    await expect(createElectronUserPresence('darwin').confirm('unlock your Keyhold vault')).rejects.toThrow('cancelled');
  });

  it('is not offered without Touch ID, nor off macOS', () => {
    touchId.can = false;
    expect(createElectronUserPresence('darwin').available()).toBe(false);
    touchId.can = true;
    expect(createElectronUserPresence('linux').available()).toBe(false);
    expect(createElectronUserPresence('win32').available()).toBe(false);
    expect(touchId.prompts).toEqual([]);
  });
});
