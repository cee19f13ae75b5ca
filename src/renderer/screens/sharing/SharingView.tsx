import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useForm } from 'react-hook-form';
import { ContactFormInput } from '../../../shared/share';
import type { Contact, ContactInput } from '../../../shared/share';
import { errorField, useApi } from '../../api';
import { isText, useKeptDrafts, usePutBack, useUnsavedEdits } from '../../drafts';
import { qk } from '../../queries';
import { useAppState } from '../../state';
import { InputField } from '../../ui/fields';
import { ConfirmDialog, Empty, ErrorNote, PageHeader, Spinner } from '../../ui/kit';
import { ExportDialog } from './ExportDialog';
import { ImportDialog } from './ImportDialog';
import { shareErrorText } from './common';

const PARTS = [
  { part: 'recipient', term: 'Age recipient', label: 'Your age recipient', copyLabel: 'Copy recipient' },
  { part: 'signingKey', term: 'Signing key', label: 'Your signing key', copyLabel: 'Copy signing key' },
] as const;

function IdentityCard() {
  const api = useApi();
  const { toast } = useAppState();
  const identity = useQuery({ queryKey: qk.identity, queryFn: () => api.identityGet() });
  const copy = useMutation({
    mutationFn: (part: 'recipient' | 'signingKey') => api.identityCopy({ part }),
    onSuccess: (_r, part) => toast('success', part === 'recipient' ? 'Copied your age recipient.' : 'Copied your signing key.'),
    onError: (e) => toast('error', `Nothing was copied. ${shareErrorText(e)}`),
  });
  return (
    <section className="card identity" aria-labelledby="identity-title">
      <h2 id="identity-title">This vault's sharing keys</h2>
      <p className="muted small">Public: send both to teammates so they can export to you and recognize what you sign.</p>
      {identity.isPending ? <Spinner label="Loading this vault's keys" /> : null}
      <ErrorNote error={identity.error} />
      {identity.data ? (
        <dl className="identity-keys">
          {PARTS.map(({ part, term, label, copyLabel }) => (
            <Fragment key={part}>
              <dt>{term}</dt>
              <dd>
                <code className="mono key-text" aria-label={label}>
                  {identity.data[part === 'recipient' ? 'recipient' : 'signingPublicKey']}
                </code>
                <button type="button" className="secondary" onClick={() => copy.mutate(part)}>
                  {copyLabel}
                </button>
              </dd>
            </Fragment>
          ))}
          <dt>Fingerprint</dt>
          <dd>
            <code className="mono" aria-label="Your signing fingerprint">
              {identity.data.fingerprint}
            </code>
            <span className="muted small">Read it to a teammate to confirm the key they hold is yours.</span>
          </dd>
        </dl>
      ) : null}
    </section>
  );
}

const FORM_FIELD: Record<string, 'name' | 'recipient' | 'signingKey'> = {
  name: 'name',
  recipient: 'recipient',
  recipients: 'recipient',
  signingKey: 'signingKey',
};

/** The name the contact form gives its unsaved edits. */
const CONTACT_DRAFT = 'contact-form';

export function AddContactForm({ restored, onAdded }: { restored?: string | undefined; onAdded?: (c: Contact) => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast, setDirty } = useAppState();
  const form = useForm({
    resolver: zodResolver(ContactFormInput),
    mode: 'onTouched',
    defaultValues: { name: '', recipient: '', signingKey: '' as string | undefined },
  });
  const { isDirty } = form.formState;
  const watched = form.watch();
  useUnsavedEdits(CONTACT_DRAFT, isDirty ? watched : null);
  usePutBack(
    restored,
    (v) => (isText(v.name) && isText(v.recipient) ? { name: v.name, recipient: v.recipient, signingKey: isText(v.signingKey) ? v.signingKey : '' } : null),
    (values) => form.reset(values, { keepDefaultValues: true }),
  );
  const add = useMutation({
    mutationFn: (v: ContactInput) => api.contactAdd(v),
    onSuccess: (c) => {
      setDirty(CONTACT_DRAFT, false);
      void qc.invalidateQueries({ queryKey: qk.contacts });
      form.reset({ name: '', recipient: '', signingKey: '' });
      toast('success', `Added ${c.name}.`);
      onAdded?.(c);
    },
    onError: (e) => {
      const field = FORM_FIELD[errorField(e) ?? ''];
      if (field) form.setError(field, { message: shareErrorText(e) });
    },
  });
  const { errors } = form.formState;
  const unplaced = add.error && !FORM_FIELD[errorField(add.error) ?? ''] ? add.error : null;
  return (
    <form
      className="card contact-form"
      aria-label="Add a contact"
      noValidate
      onSubmit={form.handleSubmit((v) => add.mutate({ name: v.name, recipient: v.recipient, ...(v.signingKey ? { signingKey: v.signingKey } : {}) }))}
    >
      <h2>Add a contact</h2>
      <InputField label="Name" error={errors.name?.message} autoComplete="off" {...form.register('name')} />
      <InputField
        label="Age recipient"
        error={errors.recipient?.message}
        hint="Their age1… key: the recipient line of their Sharing page, or of age-keygen."
        code
        placeholder="age1…"
        {...form.register('recipient')}
      />
      <InputField
        label="Signing key (optional)"
        error={errors.signingKey?.message}
        hint="With it, files they sign show their name instead of “unknown signer”."
        code
        {...form.register('signingKey')}
      />
      <ErrorNote error={unplaced} />
      <div className="form-actions">
        <span className="spacer-flex" />
        <button type="submit" className="primary" disabled={add.isPending}>
          Add contact
        </button>
      </div>
    </form>
  );
}

function ContactsSection() {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const contacts = useQuery({ queryKey: qk.contacts, queryFn: () => api.contactsList() });
  const [removing, setRemoving] = useState<Contact | null>(null);
  const [restored, setRestored] = useState<string | undefined>(undefined);
  useKeptDrafts('sharing', ([draft]) => setRestored(draft?.key === CONTACT_DRAFT ? draft.values : undefined));
  const remove = useMutation({
    mutationFn: (name: string) => api.contactDelete({ name }),
    onSuccess: (c) => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: qk.contacts });
      toast('info', `Removed ${c.name}. Files already sent to them still open with their key.`);
    },
  });
  return (
    <section aria-labelledby="contacts-title" className="contacts">
      <h2 id="contacts-title" className="section-title">
        Contacts
      </h2>
      <div className="two-col">
        <div>
          {contacts.isPending ? <Spinner label="Loading contacts" /> : null}
          <ErrorNote error={contacts.error} />
          {contacts.data && contacts.data.length === 0 ? (
            <Empty title="No contacts yet">Add a teammate's age recipient to export to them by name.</Empty>
          ) : null}
          {contacts.data && contacts.data.length > 0 ? (
            <ul className="contact-list" aria-label="Contacts">
              {contacts.data.map((c) => (
                <li key={c.id} className="contact">
                  <div className="contact-main">
                    <strong>{c.name}</strong>
                    <code className="mono small key-text">{c.recipient}</code>
                    <span className="muted small">{c.fingerprint ? `Signs as ${c.fingerprint}` : 'No signing key: their files show as “unknown signer”.'}</span>
                  </div>
                  <button type="button" className="ghost danger-text" onClick={() => setRemoving(c)} aria-label={`Remove ${c.name}`}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <AddContactForm restored={restored} />
      </div>
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirm="Remove contact"
          onConfirm={() => remove.mutate(removing.name)}
          onClose={() => setRemoving(null)}
          busy={remove.isPending}
          error={remove.error}
        >
          <p>You will no longer be able to export to {removing.name} by name, and files they sign will show as from an unknown signer.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

export function SharingView() {
  const [open, setOpen] = useState<'export' | 'import' | null>(null);
  return (
    <div className="page">
      <PageHeader
        title="Sharing"
        action={
          <div className="toolbar">
            <button type="button" className="secondary" onClick={() => setOpen('import')}>
              Import…
            </button>
            <button type="button" className="primary" onClick={() => setOpen('export')}>
              Export…
            </button>
          </div>
        }
      >
        Send profiles to teammates as signed, encrypted files, and bring theirs in after a preview.
      </PageHeader>
      <IdentityCard />
      <ContactsSection />
      {open === 'export' ? <ExportDialog onClose={() => setOpen(null)} /> : null}
      {open === 'import' ? <ImportDialog onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
