import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState } from 'react';
import { useFieldArray, useForm } from 'react-hook-form';
import type { FieldError, Resolver } from 'react-hook-form';
import { AgentId, AuthKey, AuthValue, ProfileInput, ProfileName, undeclaredKeys } from '../../../shared/domain';
import type { AgentSummary, ProfilePatch, ProfileSummary } from '../../../shared/domain';
import { errorField, useApi } from '../../api';
import { useAgents, useInvalidateItems, useSyncNow } from '../../hooks';
import { looksLikeDotenv } from '../../lib/dotenv';
import { qk } from '../../queries';
import { useAppState } from '../../state';
import { Toggle } from '../../ui/fields';
import { Dialog, ErrorNote, Field } from '../../ui/kit';
import { useReveal } from '../../ui/useReveal';

export interface Row {
  key: string;
  value: string;
  /** A key the saved profile already has; an empty value keeps what is stored. */
  existing: boolean;
}

export interface ProfileFormValues {
  agentId: string;
  name: string;
  rows: Row[];
  saveSession: boolean;
}

const err = (message: string): FieldError => ({ type: 'validate', message });
const firstIssue = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues[0]?.message ?? 'Not valid.';
const isBlank = (r: Row) => !r.existing && r.key.trim() === '' && r.value === '';

/** The rows that matter: a blank new row is just the empty line the form keeps for typing. */
export const rowsToAuthData = (rows: Row[]): Record<string, string> =>
  Object.fromEntries(rows.filter((r) => !isBlank(r) && !(r.existing && r.value === '')).map((r) => [r.key, r.value]));

export function undeclaredMessage(agent: AgentSummary, key: string): string {
  const accepted = agent.args.length ? `It accepts ${agent.args.join(', ')}.` : 'It declares no input arguments.';
  return `${agent.agentId} does not declare "${key}". ${accepted}`;
}

/** Why an undeclared key matters, said once under the credentials rather than on every row. */
export const UNDECLARED_WHY =
  'Kura checks every key against the input arguments the agent declares and rejects a profile with any other key. Rename the key, remove it, or declare it under Agents.';

/**
 * Validates with the contract's own schemas (AgentId, ProfileName, AuthKey, AuthValue, then the
 * whole ProfileInput for its limits) and the agent's declared arguments, and puts each problem on
 * the row it belongs to. The form keeps key/value rows rather than the record the contract takes,
 * so the resolver maps between the two instead of parsing the form values directly.
 */
export function profileResolver(agents: AgentSummary[]): Resolver<ProfileFormValues> {
  return async (values) => {
    const errors: Record<string, unknown> = {};
    const agentId = AgentId.safeParse(values.agentId);
    if (!agentId.success) errors.agentId = err(firstIssue(agentId));
    const name = ProfileName.safeParse(values.name);
    if (!name.success) errors.name = err(firstIssue(name));

    const declared = agents.find((a) => a.agentId === values.agentId);
    const seen = new Set<string>();
    const rowErrors: ({ key?: FieldError; value?: FieldError } | undefined)[] = [];
    values.rows.forEach((row, i) => {
      if (isBlank(row)) return;
      const e: { key?: FieldError; value?: FieldError } = {};
      const key = AuthKey.safeParse(row.key);
      if (!key.success) e.key = err(firstIssue(key));
      else if (seen.has(row.key)) e.key = err(`"${row.key}" is already used in this profile.`);
      else if (declared && undeclaredKeys(declared.args, [row.key]).length > 0) e.key = err(undeclaredMessage(declared, row.key));
      seen.add(row.key);
      if (!(row.existing && row.value === '')) {
        const value = AuthValue.safeParse(row.value);
        if (!value.success) e.value = err(firstIssue(value));
      }
      if (e.key || e.value) rowErrors[i] = e;
    });
    if (rowErrors.length) errors.rows = rowErrors;

    if (Object.keys(errors).length === 0) {
      const whole = ProfileInput.safeParse({ agentId: values.agentId, name: values.name, authData: rowsToAuthData(values.rows) });
      if (!whole.success) errors.rows = Object.assign([], { root: err(firstIssue(whole)) });
    }
    return Object.keys(errors).length ? { values: {}, errors: errors as never } : { values, errors: {} };
  };
}

/** Merges pasted entries into the rows: same key → new value, else fills blank rows, else appends. */
export function mergeEntries(rows: Row[], entries: readonly { key: string; value: string }[]): Row[] {
  const next = rows.map((r) => ({ ...r }));
  for (const { key, value } of entries) {
    const same = next.find((r) => r.key === key);
    if (same) {
      same.value = value;
      continue;
    }
    const blank = next.find(isBlank);
    if (blank) Object.assign(blank, { key, value });
    else next.push({ key, value, existing: false });
  }
  if (!next.some(isBlank)) next.push({ key: '', value: '', existing: false });
  return next;
}

function patchFrom(original: ProfileSummary, v: ProfileFormValues, draft: boolean): ProfilePatch {
  const patch: ProfilePatch = { saveSession: v.saveSession, draft };
  if (v.agentId !== original.agentId) patch.agentId = v.agentId;
  if (v.name !== original.name) patch.name = v.name;
  const set = Object.fromEntries(v.rows.filter((r) => !isBlank(r) && r.value !== '').map((r) => [r.key, r.value]));
  if (Object.keys(set).length) patch.set = set;
  const kept = new Set(v.rows.filter((r) => !isBlank(r)).map((r) => r.key));
  const unset = original.keys.filter((k) => !kept.has(k));
  if (unset.length) patch.unset = unset;
  return patch;
}

export function ProfileForm({
  original,
  onDone,
  onCancel,
}: {
  /** The profile being edited; absent for a new one. */
  original?: ProfileSummary;
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
  const [shown, setShown] = useState<Set<number>>(new Set());
  const [pasteOpen, setPasteOpen] = useState(false);
  const [pasteText, setPasteText] = useState('');
  const [pasteNote, setPasteNote] = useState<string | null>(null);
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
  const rows = useFieldArray({ control: form.control, name: 'rows' });
  const agentId = form.watch('agentId');
  const declared = agents.find((a) => a.agentId === agentId);
  const { errors, isSubmitting, isDirty } = form.formState;
  const dirtyKey = `profile-form-${original?.id ?? 'new'}`;
  useEffect(() => {
    setDirty(dirtyKey, isDirty);
    return () => setDirty(dirtyKey, false);
  }, [dirtyKey, isDirty, setDirty]);
  const rowValues = form.watch('rows');
  const missingDeclared = declared ? declared.args.filter((a) => !rowValues.some((r) => r.key === a)) : [];
  const rowErrorList = (errors.rows as ({ key?: FieldError } | undefined)[] | undefined) ?? [];
  const anyUndeclared = Array.isArray(rowErrorList) && rowErrorList.some((e) => e?.key?.message?.includes('does not declare'));

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
      }
    },
  });

  const submit = (draft: boolean) => form.handleSubmit((values) => save.mutate({ values, draft, confirmNewRemote: false }));

  const fill = async (text: string) => {
    const read = await api.dotenvRead({ text }).catch((e: unknown) => {
      setPasteNote(e instanceof Error ? e.message : 'That text could not be read.');
      return null;
    });
    if (read === null) return false;
    const { entries, skipped } = read;
    if (entries.length === 0) {
      setPasteNote('No KEY=VALUE lines were found.');
      return false;
    }
    rows.replace(mergeEntries(form.getValues('rows'), entries));
    void form.trigger('rows');
    setPasteNote(
      `Filled ${entries.length} ${entries.length === 1 ? 'row' : 'rows'}` +
        (skipped.length ? `; skipped line${skipped.length === 1 ? '' : 's'} ${skipped.join(', ')} (not KEY=VALUE).` : '.'),
    );
    return true;
  };

  const toggleShown = (i: number) =>
    setShown((s) => {
      const n = new Set(s);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });

  const rowsRoot = (errors.rows as { root?: FieldError } | undefined)?.root?.message;

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
        <Field label="Profile name" error={errors.name?.message}>
          {({ id, describedBy, invalid }) => (
            <input id={id} autoComplete="off" aria-describedby={describedBy} aria-invalid={invalid} {...form.register('name')} />
          )}
        </Field>
      </div>

      <fieldset className="kv">
        <legend>Credentials</legend>
        <datalist id={`${listId}-keys`}>
          {declared?.args.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <div className="kv-head" aria-hidden="true">
          <span>Key</span>
          <span>Value</span>
        </div>
        {rows.fields.map((field, i) => {
          const rowErr = (errors.rows as ({ key?: FieldError; value?: FieldError } | undefined)[] | undefined)?.[i];
          return (
            <div className="kv-row" key={field.id}>
              <div className="kv-cell">
                <input
                  aria-label={`Key ${i + 1}`}
                  className="mono"
                  list={`${listId}-keys`}
                  autoComplete="off"
                  spellCheck={false}
                  readOnly={field.existing}
                  aria-invalid={Boolean(rowErr?.key)}
                  {...form.register(`rows.${i}.key`)}
                  onPaste={(e) => {
                    const text = e.clipboardData.getData('text');
                    if (!looksLikeDotenv(text) || !text.includes('=')) return;
                    e.preventDefault();
                    void fill(text);
                  }}
                />
                {rowErr?.key ? (
                  <p className="field-error" role="alert">
                    {rowErr.key.message}
                  </p>
                ) : null}
              </div>
              <div className="kv-cell">
                <ValueInput
                  index={i}
                  profileId={field.existing ? original?.id : undefined}
                  keyName={field.key}
                  typed={rowValues[i]?.value ?? ''}
                  shown={shown.has(i)}
                  onToggle={() => toggleShown(i)}
                  invalid={Boolean(rowErr?.value)}
                  register={form.register(`rows.${i}.value`)}
                />
                {rowErr?.value ? (
                  <p className="field-error" role="alert">
                    {rowErr.value.message}
                  </p>
                ) : null}
              </div>
              <button type="button" className="icon danger-text" aria-label={`Remove row ${i + 1}`} onClick={() => rows.remove(i)}>
                ✕
              </button>
            </div>
          );
        })}
        {anyUndeclared ? (
          <p className="callout callout-warning small" role="note">
            {UNDECLARED_WHY}
          </p>
        ) : null}
        {rowsRoot ? (
          <p className="field-error" role="alert">
            {rowsRoot}
          </p>
        ) : null}
        <div className="kv-actions">
          <button type="button" className="secondary" onClick={() => rows.append({ key: '', value: '', existing: false })}>
            Add row
          </button>
          {declared && missingDeclared.length ? (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                const kept = form.getValues('rows').filter((r) => !isBlank(r));
                rows.replace([...kept, ...missingDeclared.map((key) => ({ key, value: '', existing: false }))]);
              }}
            >
              Add {declared.agentId}'s keys ({missingDeclared.join(', ')})
            </button>
          ) : null}
          <button type="button" className="secondary" aria-expanded={pasteOpen} onClick={() => setPasteOpen((o) => !o)}>
            Paste .env
          </button>
        </div>
        {pasteOpen ? (
          <div className="paste">
            <label htmlFor={`${listId}-paste`}>Paste KEY=VALUE lines (comments and quotes are fine)</label>
            <textarea id={`${listId}-paste`} className="mono" rows={5} spellCheck={false} value={pasteText} onChange={(e) => setPasteText(e.target.value)} />
            <div className="row-actions">
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  void fill(pasteText).then((filled) => {
                    if (!filled) return;
                    setPasteText('');
                    setPasteOpen(false);
                  });
                }}
              >
                Fill rows
              </button>
            </div>
          </div>
        ) : null}
        {pasteNote ? (
          <p className="muted small" role="status">
            {pasteNote}
          </p>
        ) : null}
      </fieldset>

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
          <div className="dialog-actions">
            <button type="button" className="ghost" onClick={() => setConfirmRemote(null)}>
              Keep editing
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => {
                const { values, draft } = confirmRemote;
                setConfirmRemote(null);
                save.mutate({ values, draft, confirmNewRemote: true });
              }}
            >
              Create new remote profile
            </button>
          </div>
        </Dialog>
      ) : null}
    </form>
  );
}

/**
 * One value input. A saved value is never put in the form: its row shows a masked placeholder,
 * and Reveal asks the engine for it (an audited reveal, as in the detail view) and shows it
 * read-only for a few seconds. What the person types is theirs to show and hide.
 */
function ValueInput({
  index,
  profileId,
  keyName,
  typed,
  shown,
  onToggle,
  invalid,
  register,
}: {
  index: number;
  profileId: string | undefined;
  keyName: string;
  typed: string;
  shown: boolean;
  onToggle: () => void;
  invalid: boolean;
  register: ReturnType<ReturnType<typeof useForm<ProfileFormValues>>['register']>;
}) {
  const api = useApi();
  const { value: revealed, show, hide } = useReveal();
  const reveal = useMutation({ mutationFn: () => api.profileReveal({ ref: profileId as string, key: keyName }), onSuccess: (r) => show(r.value) });
  const saved = profileId !== undefined && typed === '';
  return (
    <>
      <div className="input-with-action">
        <input
          aria-label={`Value ${index + 1}`}
          className="mono"
          type={shown && !saved ? 'text' : 'password'}
          autoComplete="off"
          spellCheck={false}
          placeholder={profileId !== undefined ? '•••••••• saved; type to replace' : ''}
          aria-invalid={invalid}
          {...register}
        />
        {saved ? (
          <button
            type="button"
            className="icon"
            aria-label={revealed === null ? `Reveal saved value ${index + 1}` : `Hide saved value ${index + 1}`}
            onClick={() => (revealed === null ? reveal.mutate() : hide())}
            disabled={reveal.isPending}
          >
            {revealed === null ? 'Reveal' : 'Hide'}
          </button>
        ) : (
          <button
            type="button"
            className="icon"
            aria-label={shown ? `Hide value ${index + 1}` : `Show value ${index + 1}`}
            aria-pressed={shown}
            onClick={onToggle}
          >
            {shown ? 'Hide' : 'Show'}
          </button>
        )}
      </div>
      {saved && revealed !== null ? (
        <output className="revealed mono small" aria-label={`Saved value of ${keyName}`}>
          {revealed}
        </output>
      ) : null}
      <ErrorNote error={reveal.error} />
    </>
  );
}
