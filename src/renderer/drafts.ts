import { useEffect, useRef } from 'react';
import type { FormDraft } from '../shared/contract';
import { useApi } from './api';
import { useAppState, type View } from './state';

// Unsaved edits survive a lock. Sleep or a screen lock locks Keyhold at once, and the window's forms
// go with it. So each form with unsaved edits hands them to main while the vault is unlocked; main
// seals them with the vault key at the lock (core/api/form-draft.ts) and, once locked, refuses
// changes, so a form going away with the lock drops nothing. After the unlock the window opens the
// section the edits came from, and its forms take them back.

/** How long typing pauses before a form's unsaved state goes to main. */
const DRAFT_MS = 200;

/** Each form's key starts with the name of the section it lives in. */
const SECTIONS: readonly [prefix: string, view: View][] = [
  ['profile-form-', 'profiles'],
  ['byok-form-', 'byok'],
  ['connection-', 'connections'],
  ['agent-form-', 'agents'],
  ['contact-form', 'sharing'],
  ['settings-form', 'settings'],
];

/** The section of the window whose form wrote a kept draft, or null for a key no form makes. */
export function sectionOf(key: string): View | null {
  return SECTIONS.find(([prefix]) => key.startsWith(prefix))?.[1] ?? null;
}

/**
 * A form's unsaved edits: `unsaved` is what the form would need to come back as it is, or null when
 * nothing is unsaved. The leave guard hears about them at once; main gets them once typing pauses.
 */
export function useUnsavedEdits(key: string, unsaved: unknown): void {
  const api = useApi();
  const { setDirty } = useAppState();
  const text = unsaved === null ? null : JSON.stringify(unsaved);
  const dirty = text !== null;
  useEffect(() => {
    setDirty(key, dirty);
    return () => setDirty(key, false);
  }, [key, dirty, setDirty]);
  useEffect(() => {
    const keep = (values: string | null) => void api.formDraftKeep({ key, values }).catch(() => undefined);
    if (text === null) {
      keep(null);
      return;
    }
    const t = setTimeout(() => keep(text), DRAFT_MS);
    return () => clearTimeout(t);
  }, [api, key, text]);
  useEffect(() => () => void api.formDraftKeep({ key, values: null }).catch(() => undefined), [api, key]);
}

/** Drafts already handed to their forms: the app keeps its focus through the next lock, and views mount again after it. */
const handedOut = new WeakSet<FormDraft>();

/** Calls `take` once with the drafts kept through the last lock for this section's forms. */
export function useKeptDrafts(section: View, take: (drafts: FormDraft[]) => void): void {
  const { focus } = useAppState();
  const taker = useRef(take);
  taker.current = take;
  useEffect(() => {
    const mine = (focus.restore ?? []).filter((d) => sectionOf(d.key) === section && !handedOut.has(d));
    if (mine.length === 0) return;
    for (const d of mine) handedOut.add(d);
    taker.current(mine);
  }, [focus.restore, section]);
}

/** A kept draft's values as an object, or null if they are not JSON of one (the form wrote them; the check is for safety). */
function draftObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Puts edits kept through a lock back into a form, once, and says so: `restored` is what the form
 * sent (useUnsavedEdits), `read` checks it is this form's and returns its values (null: it is not),
 * `put` puts them in.
 */
export function usePutBack<T>(restored: string | undefined, read: (fields: Record<string, unknown>) => T | null, put: (values: T) => void): void {
  const { toast } = useAppState();
  const latest = useRef({ read, put });
  latest.current = { read, put };
  useEffect(() => {
    if (restored === undefined) return;
    const fields = draftObject(restored);
    const values = fields === null ? null : latest.current.read(fields);
    if (values === null) return;
    latest.current.put(values);
    toast('success', 'Your unsaved edits are back: Keyhold kept them, encrypted, while it was locked.');
  }, [restored, toast]);
}

/** Fields a form reads back from a kept draft. */
export const isText = (v: unknown): v is string => typeof v === 'string';
