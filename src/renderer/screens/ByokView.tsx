import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { ByokInput, checkProviderKey, keyHint, Provider } from '../../shared/domain';
import type { ByokSummary } from '../../shared/domain';
import { useApi } from '../api';
import { isText, usePutBack, useKeptDrafts, useUnsavedEdits } from '../drafts';
import { useInvalidateItems, useSyncNow } from '../hooks';
import { ago, when } from '../lib/time';
import { plain } from '../lib/words';
import { qk } from '../queries';
import { useAppState } from '../state';
import { InputField, SecretField } from '../ui/fields';
import { ConfirmDialog, Dialog, Empty, ErrorNote, Field, PageHeader, Spinner, SyncBadge, VersionsDialog } from '../ui/kit';
import { useReveal } from '../ui/useReveal';
import { TRASH_DAYS } from './TrashView';

// The contract's ByokInput plus the provider's key shape, so a typo shows before anything is saved.
export const ByokForm = ByokInput.check((ctx) => {
  const problem = checkProviderKey(ctx.value.provider, ctx.value.apiKey);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value.apiKey, path: ['apiKey'] });
});

const PROVIDER_LABEL: Record<ByokSummary['provider'], string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  google: 'Google',
  other: 'Other',
};

const HEALTHY = new Set(['active', 'valid', 'ok']);

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The parts of Backside's stored row a person acts on. */
export function remoteStatus(remote: Record<string, unknown> | null) {
  return {
    status: text(remote?.byok_status),
    reason: text(remote?.byok_status_reason),
    probedAt: text(remote?.byok_last_probed_at),
  };
}

/** The name a BYOK key form gives its unsaved edits: a new key, or the rotation of a kind's key. */
const byokDraftKey = (kind?: string): string => (kind === undefined ? 'byok-form-new' : `byok-form-rotate-${kind}`);

/** The kind a kept BYOK draft rotates, '' for a new key, or null for a key no BYOK form made. */
function byokDraftTarget(key: string): string | null {
  if (key === byokDraftKey()) return '';
  const prefix = byokDraftKey('');
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : null;
}

interface ByokFormValues {
  kind: string;
  provider: ByokSummary['provider'];
  apiKey: string;
  draft: boolean;
}

/** A kept draft's values, or null if they are not a BYOK form's (this form wrote them; the check is for safety). */
function byokDraftValues(v: Record<string, unknown>): ByokFormValues | null {
  const ok = isText(v.kind) && Provider.safeParse(v.provider).success && isText(v.apiKey);
  return ok ? { kind: v.kind as string, provider: v.provider as ByokFormValues['provider'], apiKey: v.apiKey as string, draft: false } : null;
}

export function ByokKeyForm({
  existing,
  restored,
  onDone,
  onCancel,
}: {
  existing?: ByokSummary;
  /** Unsaved edits kept through a lock (the form's own serialization), put back once. */
  restored?: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const { toast, setDirty } = useAppState();
  const invalidate = useInvalidateItems();
  const sync = useSyncNow({ quiet: true });
  const form = useForm({
    resolver: zodResolver(ByokForm),
    mode: 'onChange',
    defaultValues: { kind: existing?.kind ?? '', provider: existing?.provider ?? 'anthropic', apiKey: '', draft: false },
  });
  const { errors, isDirty } = form.formState;
  const apiKey = form.watch('apiKey');
  // A pasted key is the one thing here that is hard to get again: leaving asks, and a lock keeps it.
  const draftKey = byokDraftKey(existing?.kind);
  const watched = form.watch();
  useUnsavedEdits(draftKey, isDirty ? { kind: watched.kind, provider: watched.provider, apiKey: watched.apiKey } : null);
  usePutBack(restored, byokDraftValues, (values) => {
    form.reset(existing ? { ...values, kind: existing.kind } : values, { keepDefaultValues: true });
    void form.trigger();
  });
  const save = useMutation({
    mutationFn: (v: ByokInput) => api.byokSet(v),
    onSuccess: (s, v) => {
      setDirty(draftKey, false);
      invalidate();
      toast('success', `${existing ? 'Rotated' : 'Saved'} the ${s.kind} key (${s.keyHint})${v.draft ? ' as a draft' : ''}.`);
      if (!v.draft) sync.mutate();
      onDone();
    },
  });
  const submit = (draft: boolean) => form.handleSubmit((v) => save.mutate({ ...v, draft }));

  return (
    <form className="form" noValidate aria-label={existing ? `Rotate the ${existing.kind} key` : 'New BYOK key'} onSubmit={submit(false)}>
      <InputField
        label="Agent kind"
        error={errors.kind?.message}
        hint={existing ? undefined : 'The Backside agent kind, for example claude-code.'}
        code
        readOnly={Boolean(existing)}
        autoFocus={!existing}
        {...form.register('kind')}
      />
      <Field label="Provider" error={errors.provider?.message}>
        {({ id }) => (
          <select id={id} {...form.register('provider', { onChange: () => void form.trigger('apiKey') })}>
            {Provider.options.map((p) => (
              <option key={p} value={p}>
                {PROVIDER_LABEL[p]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <SecretField
        label={existing ? 'New API key' : 'API key'}
        error={apiKey ? errors.apiKey?.message : undefined}
        hint={
          apiKey && !errors.apiKey
            ? `Looks right · ${keyHint(apiKey)}`
            : existing
              ? `Replaces ${existing.keyHint}; the current key stays in history.`
              : undefined
        }
        code
        autoFocus={Boolean(existing)}
        {...form.register('apiKey')}
      />
      <ErrorNote error={save.error} />
      <div className="dialog-actions">
        <button type="button" className="ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="secondary" onClick={submit(true)} disabled={save.isPending}>
          Save as draft
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          {existing ? 'Rotate and sync' : 'Save and sync'}
        </button>
      </div>
    </form>
  );
}

function ByokHistory({ item, onClose }: { item: ByokSummary; onClose: () => void }) {
  const api = useApi();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  const history = useQuery({ queryKey: qk.byokHistory(item.kind), queryFn: () => api.byokHistory({ kind: item.kind }) });
  const restore = useMutation({
    mutationFn: (version: number) => api.byokRestore({ kind: item.kind, version }),
    onSuccess: (s, version) => {
      invalidate();
      toast('success', `Restored version ${version} of the ${s.kind} key (${s.keyHint}).`);
      onClose();
    },
  });
  return (
    <VersionsDialog
      title={`Key history for ${item.kind}`}
      history={history}
      current={item.version}
      onRestore={(v) => restore.mutate(v)}
      restoring={restore.isPending}
      restoreError={restore.error}
      onClose={onClose}
    />
  );
}

function ByokRow({ item, onRotate, onHistory }: { item: ByokSummary; onRotate: () => void; onHistory: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  const [probe, setProbe] = useState<{ ok: boolean; text: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { status, reason, probedAt } = remoteStatus(item.remote);

  const reveal = useReveal(async () => (await api.byokReveal({ kind: item.kind })).apiKey);
  const { value } = reveal;
  const copy = useMutation({
    mutationFn: () => api.byokCopy({ kind: item.kind }),
    onSuccess: (r) => toast('success', `Copied the ${item.kind} key. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
  });
  const validate = useMutation({
    mutationFn: () => api.byokValidate({ kind: item.kind }),
    onMutate: () => setProbe(null),
    onSuccess: (row) => {
      const s = remoteStatus(row);
      // Backside reports a working key as "active" (or "valid"/"ok"); only those read as healthy.
      const valid = row.valid === true || HEALTHY.has(s.status ?? '');
      setProbe({
        ok: valid,
        text: [s.status ?? (valid ? 'valid' : 'not valid'), s.reason ?? text(row.message) ?? text(row.reason)].filter(Boolean).join(' — '),
      });
    },
    // A rejected token pauses the connection; the status bar and Connections must show it.
    onError: () => {
      void qc.invalidateQueries({ queryKey: qk.remotes });
      void qc.invalidateQueries({ queryKey: qk.syncStatus });
    },
  });
  const action = useMutation({
    mutationFn: () => api.byokReady({ kind: item.kind }),
    onSuccess: () => invalidate(),
  });
  const del = useMutation({
    mutationFn: () => api.byokDelete({ kind: item.kind }),
    onSuccess: () => {
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.byok });
      toast('success', `Moved the ${item.kind} key to the Trash. Backside keeps its copy until you change it there.`);
    },
  });

  return (
    <li className="card byok-card" aria-label={`${item.kind} key`}>
      <div className="card-head">
        <div>
          <div className="eyebrow">{PROVIDER_LABEL[item.provider]}</div>
          <h3 className="mono">{item.kind}</h3>
        </div>
        <SyncBadge state={item.syncState} reason={item.lastError} />
      </div>
      <div className="byok-key mono" aria-label={value ? 'API key' : 'API key hint'}>
        {value ?? item.keyHint}
      </div>
      <dl className="facts compact">
        <dt>Backside status</dt>
        <dd>
          {status ? <span className={`status status-${status.replace(/[^a-z_-]/gi, '')}`}>{status}</span> : <span className="muted">not reported yet</span>}
          {reason ? <span className="small"> — {reason}</span> : null}
        </dd>
        <dt>Last probed</dt>
        <dd title={when(probedAt)}>{ago(probedAt)}</dd>
        <dt>Updated</dt>
        <dd title={when(item.updatedAt)}>{ago(item.updatedAt)}</dd>
      </dl>
      {item.syncState === 'failed' && item.lastError ? (
        <div className="callout callout-danger" role="alert">
          <p>
            <strong>Backside did not take this key.</strong> {plain(item.lastError)}
          </p>
          {/* A rejected or revoked key will be rejected again: the fix is a new key, or a check of this one. */}
          <div className="row-actions">
            <button type="button" className="primary small" onClick={onRotate}>
              Edit key
            </button>
            <button type="button" className="secondary small" onClick={() => validate.mutate()} disabled={validate.isPending}>
              Check key
            </button>
          </div>
        </div>
      ) : null}
      {probe ? (
        <p className={probe.ok ? 'ok-note' : 'error-note'} role="status">
          Probe: {probe.text}
        </p>
      ) : null}
      <ErrorNote error={reveal.error ?? copy.error ?? validate.error ?? action.error ?? del.error} />
      <div className="toolbar" role="toolbar" aria-label={`${item.kind} key actions`}>
        <button type="button" className="secondary small" onClick={onRotate}>
          Rotate
        </button>
        <button type="button" className="secondary small" onClick={() => validate.mutate()} disabled={validate.isPending}>
          {validate.isPending ? 'Validating…' : 'Validate'}
        </button>
        {item.syncState === 'draft' ? (
          <button type="button" className="secondary small" onClick={() => action.mutate()}>
            Mark ready
          </button>
        ) : null}
        <button
          type="button"
          className="ghost small"
          onClick={value ? reveal.hide : reveal.reveal}
          disabled={reveal.revealing}
          aria-label={value ? `Hide the ${item.kind} key` : `Reveal the ${item.kind} key`}
        >
          {value ? 'Hide' : 'Reveal'}
        </button>
        <button type="button" className="ghost small" onClick={() => copy.mutate()} aria-label={`Copy the ${item.kind} key`}>
          Copy
        </button>
        <button type="button" className="ghost small" onClick={onHistory}>
          History
        </button>
        <span className="spacer-flex" />
        <button type="button" className="ghost small danger-text" onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      </div>
      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete the ${item.kind} key?`}
          confirm="Delete key"
          onConfirm={() => del.mutate()}
          onClose={() => setConfirmDelete(false)}
          error={del.error}
        >
          <p>
            The key moves to the Trash for {TRASH_DAYS} days with its history; you can restore it from there until then. Backside keeps the key it has until you
            change it there.
          </p>
        </ConfirmDialog>
      ) : null}
    </li>
  );
}

export function ByokView() {
  const api = useApi();
  const { guard, toast } = useAppState();
  const list = useQuery({ queryKey: qk.byok, queryFn: () => api.byokList() });
  const [editing, setEditing] = useState<{ item?: ByokSummary; restored?: string } | null>(null);
  const [history, setHistory] = useState<ByokSummary | null>(null);
  // Cancel, Escape and a click beside the dialog ask first when a key was typed or pasted.
  const closeForm = () => guard(() => setEditing(null));
  useKeptDrafts('byok', ([draft]) => {
    const kind = draft ? byokDraftTarget(draft.key) : null;
    if (!draft || kind === null) return;
    if (kind === '') {
      setEditing({ restored: draft.values });
      return;
    }
    api.byokList().then(
      (keys) => {
        const item = keys.find((k) => k.kind === kind);
        if (item) setEditing({ item, restored: draft.values });
        else toast('error', `Keyhold kept your unsaved edits through the lock, but the ${kind} key is gone now.`);
      },
      () => undefined,
    );
  });
  return (
    <div className="page">
      <PageHeader
        title="BYOK keys"
        action={
          <button type="button" className="primary" onClick={() => setEditing({})}>
            + Add key
          </button>
        }
      >
        One provider API key per agent kind, sent to Backside. Rotating keeps the previous key in history.
      </PageHeader>
      {list.isPending ? <Spinner label="Loading keys" /> : null}
      <ErrorNote error={list.error} />
      {list.data && list.data.length === 0 ? (
        <Empty title="No BYOK keys yet">
          <p>Add the provider key each agent kind should use; Keyhold checks it with Backside before sending it.</p>
          <button type="button" className="primary" onClick={() => setEditing({})}>
            Add your first key
          </button>
        </Empty>
      ) : null}
      <ul className="cards" aria-label="BYOK keys">
        {list.data?.map((item) => (
          <ByokRow key={item.id} item={item} onRotate={() => setEditing({ item })} onHistory={() => setHistory(item)} />
        ))}
      </ul>
      {editing ? (
        <Dialog title={editing.item ? `Rotate the ${editing.item.kind} key` : 'Add a BYOK key'} onClose={closeForm}>
          <ByokKeyForm
            {...(editing.item ? { existing: editing.item } : {})}
            {...(editing.restored === undefined ? {} : { restored: editing.restored })}
            onDone={() => setEditing(null)}
            onCancel={closeForm}
          />
        </Dialog>
      ) : null}
      {history ? <ByokHistory item={history} onClose={() => setHistory(null)} /> : null}
    </div>
  );
}
