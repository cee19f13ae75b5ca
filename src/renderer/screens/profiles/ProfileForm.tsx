import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ProfileSummary } from '../../../shared/domain';
import { errorCode, errorField, errorText, useApi } from '../../api';
import { useAgents, useInvalidateItems, useSyncNow } from '../../hooks';
import { qk } from '../../queries';
import { usePutBack, useUnsavedEdits } from '../../drafts';
import { useAppState } from '../../state';
import { InputField, SubmitActions, Toggle } from '../../ui/fields';
import { Dialog, ErrorNote, Field } from '../../ui/kit';
import { CredentialsEditor } from './CredentialsEditor';
import { draftKeyOf, draftValues, patchFrom, profileResolver, rowsToAuthData } from './profileRows';
import type { ProfileFormValues } from './profileRows';

// The form's model lives in profileRows.ts; these stay importable from here.
export { mergeEntries, profileResolver, rowsToAuthData, UNDECLARED_WHY, undeclaredMessage } from './profileRows';
export type { ProfileFormValues, Row } from './profileRows';

/** What the window adds to the engine's refusal of a key that changes how a program runs: it offers no allowance. */
const WINDOW_CANNOT_ALLOW = 'The window cannot allow such a key: rename or remove it here, or, if you set it yourself, allow it by name on the command line.';

/**
 * The rows a refusal of dangerous keys is about. The engine decides which keys those are (its
 * DangerousKey error names each, quoted as JSON); the form only finds their rows.
 */
function refusedRows(e: unknown, rows: ProfileFormValues['rows']): number[] {
  if (errorCode(e) !== 'DangerousKey' || !(e instanceof Error)) return [];
  return rows.flatMap((r, i) => (r.key !== '' && e.message.includes(JSON.stringify(r.key)) ? [i] : []));
}

export function ProfileForm({
  original,
  restored,
  onRestored,
  onDone,
  onCancel,
}: {
  /** The profile being edited; absent for a new one. */
  original?: ProfileSummary;
  /** Unsaved edits kept through a lock (the form's own serialization), put back once. */
  restored?: string;
  onRestored?: () => void;
  onDone: (saved: ProfileSummary) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast, setDirty, guard } = useAppState();
  const agents = useAgents().data ?? [];
  const resolver = useMemo(() => profileResolver(agents), [agents]);
  const invalidate = useInvalidateItems();
  const sync = useSyncNow({ quiet: true });
  const listId = useId();
  const [confirmRemote, setConfirmRemote] = useState<{ values: ProfileFormValues; draft: boolean; message: string } | null>(null);

  const form = useForm<ProfileFormValues>({
    resolver,
    mode: 'onChange',
    defaultValues: {
      agentId: original?.agentId ?? '',
      name: original?.name ?? '',
      rows: [...(original?.keys.map((key) => ({ key, value: '', existing: true })) ?? []), { key: '', value: '', existing: false }],
      saveSession: original?.saveSession ?? false,
    },
  });
  const agentId = form.watch('agentId');
  const declared = agents.find((a) => a.agentId === agentId);
  const { errors, isSubmitting, isDirty } = form.formState;
  const dirtyKey = draftKeyOf(original?.id);
  const watched = form.watch();
  useUnsavedEdits(dirtyKey, isDirty ? watched : null);
  usePutBack(restored, draftValues, (values) => {
    onRestored?.();
    form.reset(values, { keepDefaultValues: true });
  });

  const save = useMutation({
    mutationFn: async ({ values, draft, confirmNewRemote }: { values: ProfileFormValues; draft: boolean; confirmNewRemote: boolean }) => {
      if (!original) {
        return api.profileCreate({
          agentId: values.agentId,
          name: values.name,
          authData: rowsToAuthData(values.rows),
          saveSession: values.saveSession,
          draft,
        });
      }
      return api.profileEdit({ ref: original.id, patch: patchFrom(original, values, draft), confirmNewRemote });
    },
    onSuccess: (saved, { draft }) => {
      setDirty(dirtyKey, false);
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.profile(saved.id) });
      toast('success', draft ? `Saved ${saved.agentId}/${saved.name} as a draft.` : `Saved ${saved.agentId}/${saved.name}.`);
      if (!draft) sync.mutate();
      onDone(saved);
    },
    onError: (e, { values, draft, confirmNewRemote }) => {
      if (errorField(e) === 'confirmNewRemote' && !confirmNewRemote) {
        save.reset();
        setConfirmRemote({ values, draft, message: e instanceof Error ? e.message : '' });
        return;
      }
      // A refusal about one key goes on that key's row, and the focus with it, rather than below the form.
      const rows = refusedRows(e, values.rows);
      if (rows.length === 0) return;
      save.reset();
      const [first, ...more] = rows;
      const firstKey = values.rows[first as number]?.key ?? '';
      form.setError(`rows.${first as number}.key`, { type: 'server', message: `${errorText(e)} ${WINDOW_CANNOT_ALLOW}` }, { shouldFocus: true });
      for (const i of more) form.setError(`rows.${i}.key`, { type: 'server', message: `Refused for the same reason as "${firstKey}".` });
    },
  });

  const submit = (draft: boolean) => form.handleSubmit((values) => save.mutate({ values, draft, confirmNewRemote: false }));

  return (
    <form className="pane-body form" aria-label={original ? `Edit ${original.agentId}/${original.name}` : 'New profile'} noValidate onSubmit={submit(false)}>
      <header className="pane-header">
        <h2>{original ? 'Edit profile' : 'New profile'}</h2>
      </header>
      <div className="form-grid">
        <Field
          label="Agent id"
          error={errors.agentId?.message}
          hint={declared ? `Declared arguments: ${declared.args.join(', ') || 'none'}` : agents.length ? 'Pick a known agent or type a new id.' : undefined}
        >
          {({ id, describedBy, invalid }) => (
            <>
              <input
                id={id}
                list={`${listId}-agents`}
                autoComplete="off"
                spellCheck={false}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                autoFocus
                {...form.register('agentId', { onChange: () => void form.trigger('rows') })}
              />
              <datalist id={`${listId}-agents`}>
                {agents.map((a) => (
                  <option key={a.agentId} value={a.agentId} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <InputField label="Profile name" error={errors.name?.message} autoComplete="off" {...form.register('name')} />
      </div>

      <CredentialsEditor form={form} declared={declared} profileId={original?.id} />

      <Toggle {...form.register('saveSession')}>
        Save the agent's session <span className="muted">(should_save_session: the agent keeps its login between runs)</span>
      </Toggle>

      <ErrorNote error={save.error} />
      <footer className="form-actions">
        <button type="button" className="ghost" onClick={() => guard(onCancel)}>
          Cancel
        </button>
        <span className="spacer-flex" />
        <button type="button" className="secondary" disabled={isSubmitting || save.isPending} onClick={submit(true)}>
          Save as draft
        </button>
        <button type="submit" className="primary" disabled={isSubmitting || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save and sync'}
        </button>
      </footer>

      {confirmRemote ? (
        <Dialog title="This makes a new profile on Kura" tone="warning" onClose={() => setConfirmRemote(null)}>
          <p>
            Kura knows a profile by its agent and name, and its token works only for that agent. Saving{' '}
            <strong>
              {confirmRemote.values.agentId}/{confirmRemote.values.name}
            </strong>{' '}
            creates a new remote profile with a new token. The old one,{' '}
            <strong>
              {original?.agentId}/{original?.name}
            </strong>
            , stays on Kura until someone removes it there.
          </p>
          {confirmRemote.message ? <p className="muted small">{confirmRemote.message}</p> : null}
          <SubmitActions
            onCancel={() => setConfirmRemote(null)}
            cancel="Keep editing"
            submit="Create new remote profile"
            busy={false}
            onSubmit={() => {
              const { values, draft } = confirmRemote;
              setConfirmRemote(null);
              save.mutate({ values, draft, confirmNewRemote: true });
            }}
          />
        </Dialog>
      ) : null}
    </form>
  );
}
