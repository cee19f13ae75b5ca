import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { RemoteInput } from '../../shared/domain';
import type { RemoteKind, RemoteSummary } from '../../shared/domain';
import { useApi } from '../api';
import { ago, when } from '../lib/time';
import { qk } from '../queries';
import { useAppState } from '../state';
import { ErrorNote, Field, Spinner } from '../ui/kit';

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

function ConnectionCard({ kind, current }: { kind: RemoteKind; current: RemoteSummary | undefined }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const info = INFO[kind];
  const [show, setShow] = useState(false);
  const [test, setTest] = useState<{ ok: boolean; message: string } | null>(null);
  const form = useForm({
    resolver: zodResolver(RemoteInput),
    mode: 'onTouched',
    defaultValues: { kind, url: current?.url ?? '', credential: undefined as string | undefined },
  });
  const { errors } = form.formState;
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: qk.remotes });
    void qc.invalidateQueries({ queryKey: qk.syncStatus });
  };
  const save = useMutation({
    mutationFn: (v: RemoteInput) => api.remoteSet(v),
    onSuccess: (r) => {
      refresh();
      form.reset({ kind, url: r.url, credential: undefined });
      setTest(null);
      toast('success', `Saved the ${info.title} connection.`);
    },
  });
  const check = useMutation({
    mutationFn: () => api.remoteTest({ kind }),
    onMutate: () => setTest(null),
    onSuccess: (r) => {
      setTest(r);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api.remoteDelete({ kind }),
    onSuccess: () => {
      refresh();
      form.reset({ kind, url: '', credential: undefined });
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
        {current ? (
          current.paused ? (
            <span className="badge badge-failed" title={current.pausedReason ?? undefined}>
              Paused
            </span>
          ) : (
            <span className="badge badge-synced">Connected</span>
          )
        ) : (
          <span className="badge badge-draft">Not set up</span>
        )}
      </div>
      {current?.paused ? (
        <div className="callout callout-danger" role="alert">
          <strong>Sync to {info.title} is paused: the credentials were rejected.</strong> {sentence(current.pausedReason)} Enter a new {info.credential.toLowerCase()} to
          resume.
        </div>
      ) : null}
      <form
        noValidate
        aria-label={`${info.title} connection`}
        onSubmit={form.handleSubmit((v) => save.mutate(v.credential ? v : { kind: v.kind, url: v.url }))}
      >
        <Field label="Base URL" error={errors.url?.message}>
          {({ id, describedBy, invalid }) => (
            <input id={id} type="url" className="mono" placeholder={info.placeholder} autoComplete="off" spellCheck={false} aria-describedby={describedBy} aria-invalid={invalid} {...form.register('url')} />
          )}
        </Field>
        <Field
          label={info.credential}
          error={errors.credential?.message}
          hint={current?.hasCredential ? `${info.stored} Leave empty to keep it.` : undefined}
        >
          {({ id, describedBy, invalid }) => (
            <div className="input-with-action">
              <input
                id={id}
                className="mono"
                type={show ? 'text' : 'password'}
                autoComplete="off"
                spellCheck={false}
                placeholder={current?.hasCredential ? '•••••••• stored' : ''}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                {...form.register('credential', { setValueAs: (v: string) => (v === '' ? undefined : v) })}
              />
              <button type="button" className="ghost" aria-pressed={show} onClick={() => setShow((s) => !s)}>
                {show ? 'Hide' : 'Show'}
              </button>
            </div>
          )}
        </Field>
        {test ? (
          <p className={test.ok ? 'ok-note' : 'error-note'} role="status">
            {test.ok ? '✓ ' : ''}
            {test.message}
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
            Changed {ago(current.updatedAt)}
          </p>
        ) : null}
      </form>
    </section>
  );
}

export function ConnectionsView() {
  const api = useApi();
  const remotes = useQuery({ queryKey: qk.remotes, queryFn: () => api.remotesList() });
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Connections</h1>
          <p className="muted">Where Keyhold sends your profiles and keys. Credentials are stored encrypted and never shown again.</p>
        </div>
      </header>
      {remotes.isPending ? <Spinner label="Loading connections" /> : null}
      <ErrorNote error={remotes.error} />
      {remotes.data ? (
        <div className="two-col">
          {(['kura', 'backside'] as const).map((kind) => (
            <ConnectionCard key={kind} kind={kind} current={remotes.data.find((r) => r.kind === kind)} />
          ))}
        </div>
      ) : null}
    </div>
  );
}
