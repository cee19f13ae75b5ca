import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { useApi } from '../api';
import { qk } from '../queries';
import type { View } from '../state';
import { CloseActions, Dialog, MOD } from './kit';

export interface Command {
  id: string;
  label: string;
  /** What kind of thing it is, shown beside it and searched too. */
  group: string;
  run: () => void;
}

const MAX_SHOWN = 60;

/** Opens the palette with a query typed in already, from anywhere in the window. */
export const PALETTE_EVENT = 'keyhold:palette';
export const openPalette = (query: string): void => {
  window.dispatchEvent(new CustomEvent(PALETTE_EVENT, { detail: query }));
};

/** Every word of the query must appear somewhere in the label or group (case-insensitive). */
export function matchCommands(commands: Command[], query: string): Command[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return commands;
  return commands.filter((c) => {
    const text = `${c.label} ${c.group}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/**
 * The command palette (Ctrl/Cmd+K): every section, every action, every profile and key, and
 * copying any value or token, found by typing. A combobox over a listbox: ↑↓ move, Enter runs.
 */
export function Palette({
  onClose,
  base,
  sections,
  go,
  copyProfileValue,
  copyProfileToken,
  copyByok,
  initialQuery = '',
}: {
  initialQuery?: string;
  onClose: () => void;
  base: Command[];
  sections: { view: View; label: string }[];
  go: (view: View, focus?: { profileId?: string; byokKind?: string }) => void;
  copyProfileValue: (id: string, key: string, label: string) => void;
  copyProfileToken: (id: string, label: string) => void;
  copyByok: (kind: string) => void;
}) {
  const api = useApi();
  const listId = useId();
  const profiles = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  const byok = useQuery({ queryKey: qk.byok, queryFn: () => api.byokList() });
  const [query, setQuery] = useState(initialQuery);
  const [active, setActive] = useState(0);

  const commands = useMemo<Command[]>(() => {
    const all: Command[] = [...base, ...sections.map((s) => ({ id: `go-${s.view}`, label: `Go to ${s.label}`, group: 'Section', run: () => go(s.view) }))];
    for (const p of profiles.data ?? []) {
      const ref = `${p.agentId}/${p.name}`;
      all.push({ id: `open-${p.id}`, label: `Open ${ref}`, group: 'Profile', run: () => go('profiles', { profileId: p.id }) });
      for (const k of p.keys)
        all.push({ id: `copy-${p.id}-${k}`, label: `Copy ${k} of ${ref}`, group: 'Copy value', run: () => copyProfileValue(p.id, k, ref) });
      if (p.hasToken) all.push({ id: `token-${p.id}`, label: `Copy the Kura token of ${ref}`, group: 'Copy token', run: () => copyProfileToken(p.id, ref) });
    }
    for (const b of byok.data ?? []) {
      all.push({ id: `byok-${b.id}`, label: `Open the ${b.kind} key`, group: 'BYOK key', run: () => go('byok', { byokKind: b.kind }) });
      all.push({ id: `byok-copy-${b.id}`, label: `Copy the ${b.kind} key`, group: 'Copy value', run: () => copyByok(b.kind) });
    }
    return all;
  }, [base, sections, profiles.data, byok.data, go, copyProfileValue, copyProfileToken, copyByok]);

  const matches = useMemo(() => matchCommands(commands, query), [commands, query]);
  const shown = matches.slice(0, MAX_SHOWN);
  const current = Math.min(active, Math.max(0, shown.length - 1));
  const run = (c: Command | undefined) => {
    if (!c) return;
    onClose();
    c.run();
  };

  return (
    <Dialog title="Command palette" onClose={onClose}>
      <input
        type="text"
        role="combobox"
        aria-label="Type a command, section, profile or key"
        aria-expanded="true"
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown[current] ? `${listId}-${current}` : undefined}
        placeholder="Type to search everything…"
        autoComplete="off"
        spellCheck={false}
        data-autofocus
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, shown.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            run(shown[current]);
          }
        }}
      />
      <ul className="palette-list" role="listbox" id={listId} aria-label="Matching commands">
        {shown.map((c, i) => (
          <li
            key={c.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === current}
            className={`palette-item${i === current ? ' selected' : ''}`}
            onMouseMove={() => setActive(i)}
            onClick={() => run(c)}
          >
            <span>{c.label}</span>
            <span className="muted small">{c.group}</span>
          </li>
        ))}
      </ul>
      <p className="muted small" role="status">
        {matches.length === 0
          ? 'Nothing matches.'
          : matches.length > MAX_SHOWN
            ? `${MAX_SHOWN} of ${matches.length} shown: type more to narrow.`
            : `${matches.length} found.`}{' '}
        ↑↓ to move, Enter to run, Esc to close. {MOD}K opens this anywhere.
      </p>
    </Dialog>
  );
}

export interface Shortcut {
  keys: string;
  what: string;
}

export function ShortcutsHelp({ shortcuts, onClose }: { shortcuts: Shortcut[]; onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <table className="table shortcuts">
        <caption className="sr-only">Keyboard shortcuts</caption>
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">What they do</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CloseActions onClose={onClose} primary />
    </Dialog>
  );
}
