import { randomUUID } from 'node:crypto';
import { KeyholdError, parseInput } from '../../shared/errors';
import { ContactInput, ContactName } from '../../shared/share';
import type { Contact } from '../../shared/share';
import { sql, tx } from '../vault/db';
import { isTamperedCell } from '../vault/cells';
import { isUniqueViolation } from '../vault/sqlite-errors';
import type { Vault } from '../vault/vault';
import { checkRecipients } from './age';
import { fingerprint } from './signature';
import { compareText } from '../../shared/text';

interface ContactBody {
  name: string;
  recipient: string;
  signingKey: string | null;
}

interface Row {
  id: string;
  created_at: number;
  updated_at: number;
  body: Buffer;
}

function toContact(vault: Vault, row: Row): Contact {
  const body = vault.cells().decrypt<ContactBody>('contacts', row.id, 'body', row.body);
  return {
    id: row.id,
    name: body.name,
    recipient: body.recipient,
    signingKey: body.signingKey,
    fingerprint: body.signingKey === null ? null : fingerprint(Buffer.from(body.signingKey, 'base64')),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const nameTaken = (name: string) => new KeyholdError('Conflict', `A contact named "${name}" already exists. Remove it first to replace it.`, { field: 'name' });

/** What `addContact(raw)` would store, checked as it checks it, with nothing written: so the window can ask first. */
export function contactToAdd(vault: Vault, raw: ContactInput): ContactBody & { fingerprint: string | null } {
  const input = parseInput(ContactInput, raw);
  const [recipient] = checkRecipients([input.recipient]) as [string];
  // By the name's lookup alone: a damaged contact of that name holds the name too.
  if (sql(vault.db, 'SELECT 1 FROM contacts WHERE lookup = ?').get(vault.cells().lookup('contacts', input.name)) !== undefined) throw nameTaken(input.name);
  const signingKey = input.signingKey ?? null;
  // One signing key, one name: a bundle it signs is shown under the contact that holds the key.
  const holder = signingKey === null ? undefined : listContacts(vault).find((c) => c.signingKey === signingKey);
  if (holder) {
    throw new KeyholdError(
      'Conflict',
      `That signing key is already the contact "${holder.name}"'s: bundles it signs would be shown under either name. Remove "${holder.name}" first to give it to "${input.name}".`,
      { field: 'signingKey' },
    );
  }
  return { name: input.name, recipient, signingKey, fingerprint: signingKey === null ? null : fingerprint(Buffer.from(signingKey, 'base64')) };
}

export function addContact(vault: Vault, raw: ContactInput): Contact {
  const { name, recipient, signingKey } = contactToAdd(vault, raw);
  const body: ContactBody = { name, recipient, signingKey };
  const cells = vault.cells();
  const id = randomUUID();
  const now = vault.now();
  try {
    tx(vault.db, () => {
      sql(vault.db, 'INSERT INTO contacts (id, lookup, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?)').run(
        id,
        cells.lookup('contacts', body.name),
        now,
        now,
        cells.encrypt('contacts', id, 'body', body),
      );
      // A contact with a signing key makes that signer's bundles importable without asking: a trust
      // decision, audited as trusting a project file is.
      vault.audit.append('contact_changed', { id, signs: body.signingKey !== null });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(body.name);
    throw e;
  }
  return toContact(vault, sql(vault.db, 'SELECT id, created_at, updated_at, body FROM contacts WHERE id = ?').get(id) as Row);
}

export function listContacts(vault: Vault): Contact[] {
  vault.cells();
  const rows = sql(vault.db, 'SELECT id, created_at, updated_at, body FROM contacts').all() as Row[];
  // A damaged contact is left out rather than failing every listing and import (the vault check lists it).
  const readable = rows.flatMap((r) => {
    try {
      return [toContact(vault, r)];
    } catch (e) {
      if (isTamperedCell(e)) return [];
      throw e;
    }
  });
  return readable.sort((a, b) => compareText(a.name, b.name));
}

export function findContact(vault: Vault, name: string): Contact | null {
  if (!ContactName.safeParse(name).success) return null;
  const row = sql(vault.db, 'SELECT id, created_at, updated_at, body FROM contacts WHERE lookup = ?').get(vault.cells().lookup('contacts', name)) as
    Row | undefined;
  return row ? toContact(vault, row) : null;
}

export function getContact(vault: Vault, name: string): Contact {
  const contact = findContact(vault, name);
  if (!contact) throw new KeyholdError('NotFound', `No contact "${name}".`, { field: 'unknownContact' });
  return contact;
}

export function removeContact(vault: Vault, name: string): Contact {
  const contact = getContact(vault, name);
  tx(vault.db, () => {
    sql(vault.db, 'DELETE FROM contacts WHERE id = ?').run(contact.id);
    vault.audit.append('contact_changed', { id: contact.id, removed: true });
  });
  return contact;
}

/** The contact who signs with this raw public key, if any: how an import names its signer. */
export function contactBySigningKey(vault: Vault, publicKey: Uint8Array): Contact | null {
  const b64 = Buffer.from(publicKey).toString('base64');
  return listContacts(vault).find((c) => c.signingKey === b64) ?? null;
}

/**
 * Turns `--to` values into age recipients: an `age1…` key is taken as it is, anything else names a
 * contact. Throws on the first unknown contact or malformed key.
 */
export function resolveRecipients(vault: Vault, targets: readonly string[]): string[] {
  const recipients = targets.map((t) => (t.startsWith('age1') ? t : getContact(vault, t).recipient));
  return checkRecipients(recipients);
}
