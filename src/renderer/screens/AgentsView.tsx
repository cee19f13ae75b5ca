import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { FieldError, Resolver } from 'react-hook-form';
import { AgentId, AgentInput, AuthKey } from '../../shared/domain';
import type { AgentSummary } from '../../shared/domain';
import { useApi } from '../api';
import { isText, useKeptDrafts, usePutBack, useUnsavedEdits } from '../drafts';
import { useAgents } from '../hooks';
import { ago, when } from '../lib/time';
import { qk } from '../queries';
import { useAppState } from '../state';
import { InputField, SubmitActions, TextAreaField } from '../ui/fields';
import { ConfirmDialog, count, Dialog, Empty, ErrorNote, PageHeader, Spinner } from '../ui/kit';

interface AgentFormValues {
  agentId: string;
  args: string;
}

const splitArgs = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];
const fieldErr = (message: string): FieldError => ({ type: 'validate', message });

/** The contract's AgentInput, with the arguments typed one per line (or separated by commas). */
const agentResolver: Resolver<AgentFormValues> = async (values) => {
  const errors: Record<string, FieldError> = {};
  const id = AgentId.safeParse(values.agentId);
  if (!id.success) errors.agentId = fieldErr(id.error.issues[0]?.message ?? 'Not a valid agent id.');
  const args = splitArgs(values.args);
  const bad = args.find((a) => !AuthKey.safeParse(a).success);
  if (bad !== undefined) errors.args = fieldErr(`"${bad}" is not a valid argument name: ${AuthKey.safeParse(bad).error?.issues[0]?.message ?? ''}`);
  else if (!AgentInput.safeParse({ agentId: values.agentId, args }).success && !errors.agentId) errors.args = fieldErr('Too many arguments for one agent.');
  return Object.keys(errors).length ? { values: {}, errors: errors as never } : { values, errors: {} };
};

/** The name an agent form gives its unsaved edits: a new declaration, or the edit of an agent's. */
const agentDraftKey = (agentId?: string): string => (agentId === undefined ? 'agent-form-new' : `agent-form-edit-${agentId}`);

function AgentForm({
  existing,
  restored,
  onDone,
  onCancel,
}: {
  existing?: AgentSummary;
  /** Unsaved edits kept through a lock, put back once. */
  restored?: string;
  onDone: (a: AgentSummary) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast, setDirty } = useAppState();
  const form = useForm<AgentFormValues>({
    resolver: agentResolver,
    mode: 'onTouched',
    defaultValues: { agentId: existing?.agentId ?? '', args: existing?.args.join('\n') ?? '' },
  });
  const { errors, isDirty } = form.formState;
  const draftKey = agentDraftKey(existing?.agentId);
  const watched = form.watch();
  useUnsavedEdits(draftKey, isDirty ? watched : null);
  usePutBack(
    restored,
    (v) => (isText(v.agentId) && isText(v.args) ? { agentId: existing?.agentId ?? v.agentId, args: v.args } : null),
    (values) => form.reset(values, { keepDefaultValues: true }),
  );
  const save = useMutation({
    mutationFn: (v: AgentFormValues) => api.agentSet({ agentId: v.agentId, args: splitArgs(v.args) }),
    onSuccess: (a) => {
      setDirty(draftKey, false);
      void qc.invalidateQueries({ queryKey: qk.agents });
      void qc.invalidateQueries({ queryKey: qk.health });
      toast('success', `Saved ${a.agentId}: ${count(a.args.length, 'input argument')}.`);
      onDone(a);
    },
  });
  return (
    <form
      className="form"
      noValidate
      aria-label={existing ? `Edit ${existing.agentId}` : 'Declare an agent'}
      onSubmit={form.handleSubmit((v) => save.mutate(v))}
    >
      <InputField
        label="Agent id"
        error={errors.agentId?.message}
        hint={existing ? undefined : 'The agent id Kura knows, for example crm-bot.'}
        code
        readOnly={Boolean(existing)}
        autoFocus={!existing}
        {...form.register('agentId')}
      />
      <TextAreaField
        label="Input arguments"
        error={errors.args?.message}
        hint="One per line, exactly as the agent declares them on Kura. Profiles for this agent may use only these keys: Kura rejects any other."
        className="mono"
        rows={6}
        spellCheck={false}
        autoFocus={Boolean(existing)}
        {...form.register('args')}
      />
      <ErrorNote error={save.error} />
      <SubmitActions onCancel={onCancel} submit="Save" busyLabel="Saving…" busy={save.isPending} />
    </form>
  );
}

export function AgentsView() {
  const api = useApi();
  const qc = useQueryClient();
  const { toast, go, guard } = useAppState();
  const agents = useAgents();
  const profiles = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  const [editing, setEditing] = useState<{ agent?: AgentSummary; restored?: string } | null>(null);
  const [removing, setRemoving] = useState<AgentSummary | null>(null);
  useKeptDrafts('agents', ([draft]) => {
    if (!draft) return;
    if (draft.key === agentDraftKey()) {
      setEditing({ restored: draft.values });
      return;
    }
    api.agentsList().then(
      (list) => {
        const agent = list.find((a) => agentDraftKey(a.agentId) === draft.key);
        if (agent) setEditing({ agent, restored: draft.values });
        else toast('error', 'Keyhold kept your unsaved edits through the lock, but their agent declaration is gone now.');
      },
      () => undefined,
    );
  });
  const remove = useMutation({
    mutationFn: (agentId: string) => api.agentDelete({ agentId }),
    onSuccess: (a) => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: qk.agents });
      void qc.invalidateQueries({ queryKey: qk.health });
      toast('info', `Removed the declaration of ${a.agentId}. Its profiles are kept; their keys are no longer checked here.`);
    },
  });
  const used = (agentId: string) => (profiles.data ?? []).filter((p) => p.agentId === agentId);
  return (
    <div className="page">
      <PageHeader
        title="Agents"
        action={
          <button type="button" className="primary" onClick={() => setEditing({})}>
            + Declare agent
          </button>
        }
      >
        The input arguments each agent declares on Kura. Profile forms offer exactly these keys and flag any other before saving, because Kura rejects a profile
        with a key its agent does not declare.
      </PageHeader>
      {agents.isPending ? <Spinner label="Loading agents" /> : null}
      <ErrorNote error={agents.error} />
      {agents.data && agents.data.length === 0 ? (
        <Empty title="No agents declared yet">
          <p>Declare an agent's input arguments so profiles are checked here before Kura sees them.</p>
          <button type="button" className="primary" onClick={() => setEditing({})}>
            Declare your first agent
          </button>
        </Empty>
      ) : null}
      <ul className="cards" aria-label="Declared agents">
        {agents.data?.map((a) => {
          const profilesOf = used(a.agentId);
          const extra = [...new Set(profilesOf.flatMap((p) => p.keys).filter((k) => !a.args.includes(k)))];
          return (
            <li key={a.agentId} className="card" aria-label={`Agent ${a.agentId}`}>
              <div className="card-head">
                <div>
                  <h2 className="mono">{a.agentId}</h2>
                  <p className="muted small" title={when(a.updatedAt)}>
                    {count(a.args.length, 'input argument')} · {count(profilesOf.length, 'profile')} · changed {ago(a.updatedAt)}
                  </p>
                </div>
              </div>
              {a.args.length ? (
                <ul className="chips" aria-label={`Arguments of ${a.agentId}`}>
                  {a.args.map((arg) => (
                    <li key={arg} className="chip mono">
                      {arg}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted small">Declares no input arguments: every key would be rejected.</p>
              )}
              {extra.length ? (
                <p className="callout callout-warning small" role="note">
                  Profiles use keys this agent does not declare: {extra.join(', ')}. Kura will reject them until the keys are renamed or declared.
                </p>
              ) : null}
              <div className="toolbar" role="toolbar" aria-label={`${a.agentId} actions`}>
                <button type="button" className="secondary small" onClick={() => setEditing({ agent: a })} aria-label={`Edit ${a.agentId}`}>
                  Edit
                </button>
                <button type="button" className="secondary small" onClick={() => go('profiles', { newProfile: Date.now() })}>
                  New profile
                </button>
                <span className="spacer-flex" />
                <button type="button" className="ghost small danger-text" onClick={() => setRemoving(a)} aria-label={`Remove ${a.agentId}`}>
                  Remove
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {editing ? (
        <Dialog title={editing.agent ? `Edit ${editing.agent.agentId}` : 'Declare an agent'} onClose={() => guard(() => setEditing(null))}>
          <AgentForm
            {...(editing.agent ? { existing: editing.agent } : {})}
            {...(editing.restored === undefined ? {} : { restored: editing.restored })}
            onDone={() => setEditing(null)}
            onCancel={() => guard(() => setEditing(null))}
          />
        </Dialog>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove the declaration of ${removing.agentId}?`}
          confirm="Remove declaration"
          onConfirm={() => remove.mutate(removing.agentId)}
          onClose={() => setRemoving(null)}
          busy={remove.isPending}
          error={remove.error}
        >
          <p>
            Its {count(used(removing.agentId).length, 'profile')} stay. Keyhold stops checking their keys, so a key the agent does not take is only found out
            when Kura rejects it. You can declare the agent again at any time.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
