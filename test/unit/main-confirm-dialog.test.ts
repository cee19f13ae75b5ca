import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./main-electron-fake'));

const { BrowserWindow, dialog, fake } = await import('./main-electron-fake');
const { createElectronConfirm } = await import('../../src/main/confirm-dialog');

beforeEach(() => fake.reset());

const question = { title: 'Kura connection', message: 'Send the values… to https://kura.example.com?', detail: 'Choose Cancel unless…', yes: 'Connect' };

describe("main's confirmation dialog (asked before a connection sends values elsewhere)", () => {
  it('is a message box modal to the window, Cancel first, default and what Escape chooses', async () => {
    const win = new BrowserWindow({});
    await createElectronConfirm().confirm(question);
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(1);
    const [parent, options] = dialog.showMessageBox.mock.calls[0] ?? [];
    expect(parent).toBe(win);
    expect(options).toMatchObject({
      title: 'Kura connection',
      message: question.message,
      detail: question.detail,
      buttons: ['Cancel', 'Connect'],
      defaultId: 0,
      cancelId: 0,
    });
  });

  it('says yes only when the person chose the yes button', async () => {
    new BrowserWindow({});
    const confirm = createElectronConfirm();
    expect(await confirm.confirm(question)).toBe(false);
    dialog.response = 1;
    expect(await confirm.confirm(question)).toBe(true);
  });
});
