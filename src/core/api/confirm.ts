import { KeyholdError } from '../../shared/errors';

/**
 * A yes-or-no question in main's own dialog, outside the page: the page can neither answer it nor
 * draw over it. Resolves true only when the person chose `yes`.
 */
export interface ConfirmPort {
  confirm(question: { title: string; message: string; detail: string; yes: string }): Promise<boolean>;
}

/** What main asks before a change from the window that the person could not undo or would not notice. */
export interface Question {
  title: string;
  message: string;
  /** What the change does; the asker adds "Choose Cancel unless you {did} yourself just now." */
  detail: string;
  /** The button that says yes (Cancel is the other, and the default). */
  yes: string;
  did: string;
  /** The change, as the start of a sentence ("Emptying the trash"), for the refusal without a dialog. */
  action: string;
  /** The `Cancelled` error's message: what stayed as it was. */
  cancelled: string;
}

export type Ask = (question: Question) => Promise<void>;

/**
 * The one gate for what the window may not do unseen (docs/security.md, "the window cannot…"). The
 * page is not trusted: a script in it can make every contract call with any input and sees what
 * is typed into it, so a flag, a typed password or the window's own confirmation proves nothing.
 * Main asks in its own dialog; Cancel is a `Cancelled` error and nothing changes. The CLI does
 * not come here: its person typed the command.
 *
 * Without the dialog (no port) the change is refused, never made unasked. One question at a time:
 * a page that asks again while a dialog is open is refused, so dialogs do not pile up for a person
 * to click through.
 */
export function asker(port: ConfirmPort | undefined): Ask {
  let asking = false;
  return async ({ title, message, detail, yes, did, action, cancelled }) => {
    if (port === undefined) throw new KeyholdError('BadInput', `${action} needs the desktop app, which asks you to confirm it.`);
    if (asking) throw new KeyholdError('Conflict', 'Answer the question Keyhold is asking first.');
    asking = true;
    try {
      const said = await port.confirm({ title, message, detail: `${detail} Choose Cancel unless you ${did} yourself just now.`, yes });
      if (!said) throw new KeyholdError('Cancelled', cancelled);
    } finally {
      asking = false;
    }
  };
}

/**
 * Keys that change how a program runs (NODE_OPTIONS…) are allowed by name on the command line only,
 * never from the window, whatever the person would answer: the window does not offer it, and a page
 * that could would give a profile a NODE_OPTIONS of its own for the person's next `run` that allows
 * that name.
 */
export function refuseAllowances(allowEnv: readonly string[] | undefined): void {
  if (allowEnv === undefined || allowEnv.length === 0) return;
  throw new KeyholdError('BadInput', 'Keys that change how a program runs cannot be allowed from the window; allow them on the command line.', {
    field: 'allowEnv',
  });
}
