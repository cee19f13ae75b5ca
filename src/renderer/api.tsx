import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import type { contract, events } from '../shared/contract';
import { isKeyholdError } from '../shared/errors';
import type { ErrorCode } from '../shared/errors';
import type { KeyholdClient } from '../shared/ipc';
import { plain } from './lib/words';

export type Client = KeyholdClient<typeof contract, typeof events>;

const ApiContext = createContext<Client | null>(null);

export function ApiProvider({ client, children }: { client: Client; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): Client {
  const client = useContext(ApiContext);
  if (client === null) throw new Error('useApi() needs an <ApiProvider> above it.');
  return client;
}

// What to add after the engine's own message, so the person knows what happens next.
const NEXT_STEP: Partial<Record<ErrorCode, string>> = {
  VaultLocked: 'Unlock the vault and try again.',
  RemoteUnavailable: 'Your change is kept here and will be sent when the service answers again.',
  CredentialsRejected: 'Update the credentials under Connections; sync to it is paused until then.',
  RemoteMissing: 'Set up the connection under Connections first.',
  RemoteInsecure: 'Use an https:// address (plain http:// is only allowed for this machine).',
  TamperedCell: 'The vault file was changed outside Keyhold. Restore it from a backup.',
  TamperedHeader: 'The vault file was changed outside Keyhold. Restore it from a backup.',
};

/** A failure in words a person understands; never the text of an unknown error, which could quote a value. */
export function errorText(e: unknown): string {
  if (isKeyholdError(e)) {
    const next = NEXT_STEP[e.code];
    const message = plain(e.message);
    return next && !message.includes(next) ? `${message} ${next}` : message;
  }
  return 'Keyhold could not finish this. Nothing was changed.';
}

export const errorCode = (e: unknown): ErrorCode | null => (isKeyholdError(e) ? e.code : null);

/**
 * The person answered Cancel: in main's own dialog (confirm.ts in core) or in a file dialog.
 * Nothing happened, by their choice, so it is no failure to report.
 */
export const isCancelled = (e: unknown): boolean => errorCode(e) === 'Cancelled';

/** The input an engine error points at, so it can be shown beside it (or asked for). */
export const errorField = (e: unknown): string | null => (isKeyholdError(e) ? (e.field ?? null) : null);
