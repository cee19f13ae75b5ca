// The profile form's model: key/value rows, how they map to the contract's record and patch,
// and the resolver that checks them with the contract's own schemas.
import { AgentId, AuthKey, AuthValue, ProfileInput, ProfileName, undeclaredKeys } from '../../../shared/domain';
import type { AgentSummary, ProfilePatch, ProfileSummary } from '../../../shared/domain';
import type { FieldError, Resolver } from 'react-hook-form';
import { isText } from '../../drafts';

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
/** A new row with nothing typed: the empty line the form keeps for typing. */
export const isBlank = (r: Row) => !r.existing && r.key.trim() === '' && r.value === '';

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

/** What an edit changes: only the fields and keys that differ from `original`. */
export function patchFrom(original: ProfileSummary, v: ProfileFormValues, draft: boolean): ProfilePatch {
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

// ---- unsaved edits kept across a lock (renderer/drafts.ts) -------------------------------------

/** The name a profile form gives its unsaved edits: which profile, or a new one. */
export const draftKeyOf = (profileId?: string): string => `profile-form-${profileId ?? 'new'}`;

/** The form a kept draft belongs to: "new", a profile id, or null for a key no profile form made. */
export function draftTarget(key: string): string | null {
  return key.startsWith('profile-form-') ? key.slice('profile-form-'.length) || null : null;
}

const isRow = (r: unknown): r is Row => {
  const row = r as Partial<Row> | null;
  return typeof row === 'object' && row !== null && isText(row.key) && isText(row.value) && typeof row.existing === 'boolean';
};

/** The values of a kept draft, or null if they are not a profile form's (this form wrote them; the check is for safety). */
export function draftValues(fields: Record<string, unknown>): ProfileFormValues | null {
  const v = fields as Partial<ProfileFormValues>;
  const ok = isText(v.agentId) && isText(v.name) && Array.isArray(v.rows) && v.rows.every(isRow) && typeof v.saveSession === 'boolean';
  return ok ? (v as ProfileFormValues) : null;
}
