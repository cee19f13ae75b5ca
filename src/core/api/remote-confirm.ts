import { KeyholdError } from '../../shared/errors';
import type { RemoteKind } from '../../shared/domain';
import type { RemoteDestination } from '../vault/remotes';

/**
 * A yes-or-no question in main's own dialog, outside the page: the page can neither answer it nor
 * draw over it. Resolves true only when the person chose `yes`.
 */
export interface ConfirmPort {
  confirm(question: { title: string; message: string; detail: string; yes: string }): Promise<boolean>;
}

const WHAT: Record<RemoteKind, { name: string; sends: string; when: string; credential: string }> = {
  kura: { name: 'Kura', sends: 'the values and Kura tokens of your profiles', when: 'whenever it syncs them', credential: 'API key' },
  backside: { name: 'Backside', sends: 'your BYOK keys', when: 'whenever it syncs or checks one', credential: 'token' },
};

/**
 * Asks the person before a change from the window sends what sync pushes somewhere else: another
 * address, or another credential (another account on the same server). The page is not trusted:
 * with a connection of its choosing it could have main push every profile value, Kura token and
 * BYOK key to its own server (main's requests do not go through the page's blocked network), and
 * a credential it types proves nothing. The CLI does not ask: its person typed the command.
 *
 * One question at a time: a page that asks again while a dialog is open is refused, so dialogs do
 * not pile up for a person to click through.
 */
export function remoteConfirmer(port: ConfirmPort | undefined): (to: RemoteDestination) => Promise<void> {
  let asking = false;
  return async (to) => {
    const w = WHAT[to.kind];
    if (port === undefined) throw new KeyholdError('BadInput', `Changing the ${w.name} connection needs the desktop app, which asks you to confirm it.`);
    if (asking) throw new KeyholdError('Conflict', 'Answer the open question about a connection first.');
    asking = true;
    try {
      const credential = to.credentialChanged ? ` and the ${w.credential}` : '';
      const yes = await port.confirm({
        title: `${w.name} connection`,
        message: `Send ${w.sends} to ${to.url}?`,
        detail:
          `Keyhold will send ${w.sends} to this address${to.credentialChanged ? `, with the ${w.credential} just entered,` : ''} ${w.when}. ` +
          `Choose Cancel unless you entered this address${credential} yourself just now.`,
        yes: 'Connect',
      });
      if (!yes) throw new KeyholdError('Cancelled', `The ${w.name} connection was not changed.`);
    } finally {
      asking = false;
    }
  };
}
