import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import { RemoteInput } from '../../shared/domain';
import type { RemoteKind, RemoteSummary } from '../../shared/domain';
import type { FormDraft } from '../../shared/contract';
import { useApi } from '../api';
import { isText, usePutBack, useKeptDrafts, useUnsavedEdits } from '../drafts';
import { ago, when } from '../lib/time';
import { plain } from '../lib/words';
import { qk } from '../queries';
import { useAppState } from '../state';
import { InputField, SecretField } from '../ui/fields';
import { ErrorNote, PageHeader, Spinner } from '../ui/kit';

const sentence = (s: string | null | undefined): string => (s ? (/[.!?]$/.test(s) ? s : `${s}.`) : '');

const INFO: Record<RemoteKind, { title: string; about: string; credential: string; stored: string; placeholder: string }> = {
  kura: {
    title: 'Kura',
    about: 'Receives agent auth profiles (upsert_agent_auth_profile).',
    credential: 'API key',
    stored: 'An API key is stored.',
    placeholder: 'https://kura.example.com',
  },
  backside: {
    title: 'Backside',
    about: 'Receives BYOK provider keys per agent kind.',
    credential: 'Bearer token',
    stored: 'A bearer token is stored.',
    placeholder: 'https://backside.example.com',
  },
};

interface RemoteCheck {
  ok: boolean;
  message: string;
  at: string;
}

/** States only what was checked, and when: saved is not the same as verified. */
function ConnectionBadge({ current, test }: { current: RemoteSummary | undefined; test: RemoteCheck | null }) {
  if (!current) return <span className="badge badge-draft">Not set up</span>;
  if (current.paused) {
    return (
      <span className="badge badge-failed" title={plain(current.pausedReason) || undefined}>
        Paused: credentials rejected
      </span>
    );
  }
  if (test?.ok) {
    return (
      <span className="badge badge-synced" title={when(test.at)}>
        Verified {ago(test.at)}
      </span>
    );
  }
  if (test) {
    return (
      <span className="badge badge-failed" title={when(test.at)}>
        Check failed {ago(test.at)}
      </span>
    );
  }
  return (
    <span className="badge badge-pending" title={when(current.updatedAt)}>
      Saved, not verified
    </span>
  );
}

/** The name a connection form gives its unsaved edits. */
const connectionDraftKey = (kind: RemoteKind): string => `connection-${kind}`;

function ConnectionCard({ kind, current, restored }: { kind: RemoteKind; current: RemoteSummary | undefined; restored: string | undefined }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const info = INFO[kind];
  const testKey = ['remoteTest', kind] as const;
  const test = useQuery<RemoteCheck | null>({ queryKey: testKey, queryFn: () => null, staleTime: Infinity, enabled: false }).data ?? null;
  const setTest = (t: RemoteCheck | null) => qc.setQueryData(testKey, t);
  const savedUrl = current?.url ?? '';
  const form = useForm({
    resolver: zodResolver(RemoteInput),
    mode: 'onTouched',
    defaultValues: { kind, url: savedUrl, credential: '' as string | undefined },
  });
  const { errors } = form.formState;
  // The address the form last took from the vault. Unsaved edits are what the person changed since
  // then: the saved connection may change under the form (the CLI, a sync, the other card's save).
  const [takenUrl, setTakenUrl] = useState(savedUrl);
  const take = (url: string) => {
    setTakenUrl(url);
    form.reset({ kind, url, credential: '' });
  };
  // Dirty by what is typed, not by the form library's notion (an empty credential is "keep it").
  const typedUrl = form.watch('url');
  const typedCredential = form.watch('credential');
  const isDirty = typedUrl !== takenUrl || Boolean(typedCredential);
  // When the saved connection changes, an untouched form follows it. A touched one keeps what the
  // person typed: a credential typed for one address must not go to another the form moved to.
  const follows = !typedCredential && (typedUrl === takenUrl || typedUrl === savedUrl);
  const seenUrl = useRef(savedUrl);
  useEffect(() => {
    if (seenUrl.current === savedUrl) return;
    seenUrl.current = savedUrl;
    if (!follows) return;
    setTakenUrl(savedUrl);
    form.reset({ kind, url: savedUrl, credential: '' });
  }, [follows, savedUrl, form, kind]);
  useUnsavedEdits(connectionDraftKey(kind), isDirty ? { url: typedUrl, credential: typedCredential ?? '' } : null);
  usePutBack(
    restored,
    (v) => (isText(v.url) && isText(v.credential) ? { url: v.url, credential: v.credential } : null),
    ({ url, credential }) => form.reset({ kind, url, credential: credential === '' ? undefined : credential }, { keepDefaultValues: true }),
  );
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: qk.remotes });
    void qc.invalidateQueries({ queryKey: qk.syncStatus });
  };
  const save = useMutation({
    mutationFn: (v: RemoteInput) => api.remoteSet(v),
    onSuccess: (r) => {
      refresh();
      take(r.url);
      setTest(null);
      toast('success', `Saved the ${info.title} connection. Checking it now.`);
      // Saved is not verified: check it straight away, so the badge can say what is known.
      check.mutate();
    },
  });
  const check = useMutation({
    mutationFn: () => api.remoteTest({ kind }),
    onMutate: () => setTest(null),
    onSuccess: (r) => {
      setTest({ ...r, at: new Date().toISOString() });
      refresh();
    },
  });
  // Main asks first in its own dialog, which names the address and says the credential goes for good: the window asks nothing before it.
  const remove = useMutation({
    mutationFn: () => api.remoteDelete({ kind }),
    onSuccess: () => {
      refresh();
      take('');
      setTest(null);
      toast('info', `Removed the ${info.title} connection. Items for it wait until you connect again.`);
    },
  });

  return (
    <section className="card connection" aria-labelledby={`conn-${kind}`}>
      <div className="card-head">
        <div>
          <h2 id={`conn-${kind}`}>{info.title}</h2>
          <p className="muted small">{info.about}</p>
        </div>
        <ConnectionBadge current={current} test={test} />
      </div>
      {current?.paused ? (
        <div className="callout callout-danger" role="alert">
          <strong>Sync to {info.title} is paused: the credentials were rejected.</strong> {sentence(plain(current.pausedReason))} Enter a new{' '}
          {info.credential.toLowerCase()} to resume.
        </div>
      ) : null}
      <form
        noValidate
        aria-label={`${info.title} connection`}
        onSubmit={form.handleSubmit((v) => save.mutate(v.credential ? v : { kind: v.kind, url: v.url }))}
      >
        <InputField label="Base URL" error={errors.url?.message} code type="url" placeholder={info.placeholder} {...form.register('url')} />
        <SecretField
          label={info.credential}
          error={errors.credential?.message}
          hint={current?.hasCredential ? `${info.stored} Leave empty to keep it.` : undefined}
          code
          placeholder={current?.hasCredential ? '•••••••• stored' : ''}
          {...form.register('credential', { setValueAs: (v: string) => (v === '' ? undefined : v) })}
        />
        {test ? (
          <p className={test.ok ? 'ok-note' : 'error-note'} role="status">
            {test.ok ? '✓ ' : ''}
            {plain(test.message)} <span className="muted small">(checked {ago(test.at)})</span>
          </p>
        ) : null}
        <ErrorNote error={save.error ?? check.error ?? remove.error} />
        <div className="form-actions">
          {current ? (
            <button type="button" className="ghost danger-text" onClick={() => remove.mutate()} disabled={remove.isPending}>
              Remove
            </button>
          ) : null}
          <span className="spacer-flex" />
          {current ? (
            <button type="button" className="secondary" onClick={() => check.mutate()} disabled={check.isPending}>
              {check.isPending ? 'Testing…' : 'Test connection'}
            </button>
          ) : null}
          <button type="submit" className="primary" disabled={save.isPending}>
            Save
          </button>
        </div>
        {current ? (
          <p className="muted small" title={when(current.updatedAt)}>
            Saved {ago(current.updatedAt)}
            {test ? '' : ' · not checked in this session'}
          </p>
        ) : null}
      </form>
    </section>
  );
}

export function ConnectionsView() {
  const api = useApi();
  const remotes = useQuery({ queryKey: qk.remotes, queryFn: () => api.remotesList() });
  const [restored, setRestored] = useState<FormDraft[]>([]);
  useKeptDrafts('connections', setRestored);
  return (
    <div className="page">
      <PageHeader title="Connections">Where Keyhold sends your profiles and keys. Credentials are stored encrypted and never shown again.</PageHeader>
      {remotes.isPending ? <Spinner label="Loading connections" /> : null}
      <ErrorNote error={remotes.error} />
      {remotes.data ? (
        <div className="two-col">
          {(['kura', 'backside'] as const).map((kind) => (
            <ConnectionCard
              key={kind}
              kind={kind}
              current={remotes.data.find((r) => r.kind === kind)}
              restored={restored.find((d) => d.key === connectionDraftKey(kind))?.values}
            />
          ))}
        </div>
      ) : null}
    </div>
  );
}
