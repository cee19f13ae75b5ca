// The credentials of the profile form: one key/value row each, the agent's declared keys
// offered and checked, rows added, removed or filled from pasted .env text.
import { useId, useState } from 'react';
import { useFieldArray } from 'react-hook-form';
import type { FieldError, UseFormReturn } from 'react-hook-form';
import type { AgentSummary } from '../../../shared/domain';
import { DotenvPastePanel, useDotenvPaste } from './DotenvPaste';
import { isBlank, mergeEntries, UNDECLARED_WHY } from './profileRows';
import type { ProfileFormValues } from './profileRows';
import { ValueInput } from './ValueInput';

type RowErrors = ({ key?: FieldError; value?: FieldError } | undefined)[] | undefined;

export function CredentialsEditor({
  form,
  declared,
  profileId,
}: {
  form: UseFormReturn<ProfileFormValues>;
  /** The agent's declaration, when the agent id names a declared agent. */
  declared: AgentSummary | undefined;
  /** The saved profile's id when editing: its existing values can be revealed. */
  profileId: string | undefined;
}) {
  const listId = useId();
  const rows = useFieldArray({ control: form.control, name: 'rows' });
  // Which rows show what was typed in them, by the row's own id: an index would pass a shown
  // value on to the next row when a row above it is removed.
  const [shown, setShown] = useState<Set<string>>(new Set());
  const paste = useDotenvPaste((entries) => {
    rows.replace(mergeEntries(form.getValues('rows'), entries));
    void form.trigger('rows');
  });
  const { errors } = form.formState;
  const rowValues = form.watch('rows');
  const missingDeclared = declared ? declared.args.filter((a) => !rowValues.some((r) => r.key === a)) : [];
  const rowErrorList = (errors.rows as RowErrors) ?? [];
  const anyUndeclared = Array.isArray(rowErrorList) && rowErrorList.some((e) => e?.key?.message?.includes('does not declare'));
  const rowsRoot = (errors.rows as { root?: FieldError } | undefined)?.root?.message;

  const toggleShown = (rowId: string) =>
    setShown((s) => {
      const n = new Set(s);
      if (n.has(rowId)) n.delete(rowId);
      else n.add(rowId);
      return n;
    });

  return (
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
        const rowErr = (errors.rows as RowErrors)?.[i];
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
                aria-describedby={rowErr?.key?.message ? `${listId}-key-${i}-err` : undefined}
                {...form.register(`rows.${i}.key`)}
                onPaste={paste.onKeyPaste}
              />
              <RowError error={rowErr?.key} id={`${listId}-key-${i}-err`} />
            </div>
            <div className="kv-cell">
              <ValueInput
                index={i}
                profileId={field.existing ? profileId : undefined}
                keyName={field.key}
                typed={rowValues[i]?.value ?? ''}
                shown={shown.has(field.id)}
                onToggle={() => toggleShown(field.id)}
                invalid={Boolean(rowErr?.value)}
                describedBy={rowErr?.value?.message ? `${listId}-value-${i}-err` : undefined}
                register={form.register(`rows.${i}.value`)}
                onPaste={paste.onValuePaste}
              />
              <RowError error={rowErr?.value} id={`${listId}-value-${i}-err`} />
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
      <RowError error={rowsRoot ? { type: 'validate', message: rowsRoot } : undefined} />
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
        <button type="button" className="secondary" aria-expanded={paste.open} onClick={paste.toggle}>
          Paste .env
        </button>
      </div>
      <DotenvPastePanel paste={paste} />
    </fieldset>
  );
}

/** Why a key, a value or the whole set of rows is not accepted; nothing when it is. */
function RowError({ error, id }: { error: FieldError | undefined; id?: string }) {
  if (!error?.message) return null;
  return (
    <p className="field-error" role="alert" id={id}>
      {error.message}
    </p>
  );
}
