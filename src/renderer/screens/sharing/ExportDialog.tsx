import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { AGE_RECIPIENT, SharePassphrase } from '../../../shared/share';
import type { ShareExportResult, ShareTarget } from '../../../shared/share';
import { plural } from '../../../shared/text';
import { errorField, isCancelled, useApi } from '../../api';
import { qk } from '../../queries';
import { InputField, SubmitActions, TextAreaField, Toggle } from '../../ui/fields';
import { Dialog, ErrorNote, Spinner, StrengthHint } from '../../ui/kit';
import { Finished, ShareError } from './common';

/** Rows drawn at once; the rest are reached by searching. Selection still covers every match. */
const SHOWN = 200;

function bytesText(n: number): string {
  return n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function Done({ result, onClose }: { result: ShareExportResult; onClose: () => void }) {
  const parts = [plural(result.profiles, 'profile')];
  if (result.byokKeys) parts.push(plural(result.byokKeys, 'BYOK key'));
  if (result.agents) parts.push(plural(result.agents, 'agent declaration'));
  return (
    <Finished
      label="Export finished"
      headline={
        <>
          Exported {parts.join(', ')} to <span className="mono">{result.path}</span> ({bytesText(result.bytes)}).
        </>
      }
      onClose={onClose}
    >
      <li>{result.passphrase ? 'Opens with the passphrase you chose.' : `Opens with the key of ${plural(result.recipients, 'recipient')}.`}</li>
      <li>
        Signed by this vault: <span className="mono">{result.signer}</span>
      </li>
      {result.tokensIncluded ? <li>{plural(result.tokens, 'Kura token')} included.</li> : null}
    </Finished>
  );
}

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const profiles = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  const contacts = useQuery({ queryKey: qk.contacts, queryFn: () => api.contactsList() });
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set());
  const [withByok, setWithByok] = useState(false);
  const [mode, setMode] = useState<'recipients' | 'passphrase'>('recipients');
  const [toContacts, setToContacts] = useState<Set<string>>(() => new Set());
  const [pasted, setPasted] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [includeTokens, setIncludeTokens] = useState(false);
  const [armor, setArmor] = useState(false);
  const [problem, setProblem] = useState<{ field: string; message: string } | null>(null);

  const all = useMemo(() => profiles.data ?? [], [profiles.data]);
  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q ? all.filter((p) => `${p.agentId}/${p.name}`.toLowerCase().includes(q)) : all;
  }, [all, search]);
  const allMatchesChosen = matches.length > 0 && matches.every((p) => chosen.has(p.id));
  const pastedKeys = pasted
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

  const run = useMutation({
    mutationFn: (input: { select: 'all' | string[]; target: ShareTarget }) => api.shareExport({ ...input, withByok, includeTokens, armor }),
  });

  const toggleAll = () =>
    setChosen((prev) => {
      const next = new Set(prev);
      for (const p of matches) {
        if (allMatchesChosen) next.delete(p.id);
        else next.add(p.id);
      }
      return next;
    });
  const toggle = (set: Set<string>, id: string): Set<string> => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setProblem(null);
    if (chosen.size === 0 && !withByok) return setProblem({ field: 'select', message: 'Choose at least one profile, or include the BYOK keys.' });
    let target: ShareTarget;
    if (mode === 'recipients') {
      // Named by position only: what was pasted may be a secret key by mistake.
      const bad = pastedKeys.findIndex((k) => !AGE_RECIPIENT.test(k));
      if (bad !== -1) {
        const secret = /^AGE-SECRET-KEY-/i.test(pastedKeys[bad] ?? '');
        return setProblem({
          field: 'recipients',
          message: secret
            ? `Key ${bad + 1} is a secret key. Paste only public keys (age1…), and keep that one to yourself.`
            : `Key ${bad + 1} is not an age recipient: "age1" followed by 58 lowercase letters and digits.`,
        });
      }
      const recipients = [...toContacts, ...pastedKeys];
      if (recipients.length === 0) return setProblem({ field: 'recipients', message: 'Choose a contact or paste an age1… key.' });
      target = { recipients };
    } else {
      const usable = SharePassphrase.safeParse(passphrase);
      if (!usable.success) return setProblem({ field: 'passphrase', message: usable.error.issues[0]?.message ?? '' });
      if (passphrase !== repeat) return setProblem({ field: 'repeat', message: 'The two passphrases are not the same.' });
      target = { passphrase };
    }
    const everything = chosen.size === all.length && all.length > 0;
    run.mutate({ select: everything ? 'all' : [...chosen], target });
  };

  const fieldOf = (f: string) => (problem?.field === f ? problem.message : undefined);
  const engineField = run.error && !isCancelled(run.error) ? errorField(run.error) : null;
  const errorAt = (...fields: string[]) => (engineField !== null && fields.includes(engineField) ? run.error : null);
  const placedFields = ['select', 'recipients', 'passphrase', 'out'];

  if (run.data) {
    return (
      <Dialog title="Export" onClose={onClose}>
        <Done result={run.data} onClose={onClose} />
      </Dialog>
    );
  }

  return (
    <Dialog title="Export profiles" onClose={onClose}>
      <form className="export-form" aria-label="Export" noValidate onSubmit={submit}>
        <fieldset aria-describedby="export-select-error">
          <legend>Profiles</legend>
          <div className="export-tools">
            <input
              type="search"
              placeholder="Search profiles"
              aria-label="Search profiles to export"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
            <label className="inline-check">
              <input type="checkbox" checked={allMatchesChosen} onChange={toggleAll} disabled={matches.length === 0} />
              {search ? `Select all ${matches.length} matches` : 'Select all'}
            </label>
          </div>
          {profiles.isPending ? <Spinner label="Loading profiles" /> : null}
          <ErrorNote error={profiles.error} />
          <ul className="pick-list" aria-label="Profiles to export">
            {matches.slice(0, SHOWN).map((p) => (
              <li key={p.id}>
                <label className="inline-check">
                  <input type="checkbox" checked={chosen.has(p.id)} onChange={() => setChosen((s) => toggle(s, p.id))} />
                  <span className="mono">
                    {p.agentId}/{p.name}
                  </span>
                </label>
              </li>
            ))}
            {profiles.data && matches.length === 0 ? <li className="muted small">No profile matches.</li> : null}
          </ul>
          <p className="muted small" role="status">
            {chosen.size} of {all.length} chosen{matches.length > SHOWN ? ` · showing ${SHOWN} of ${matches.length}: search to narrow` : ''}
          </p>
          {fieldOf('select') ? (
            <p className="field-error" id="export-select-error" role="alert">
              {fieldOf('select')}
            </p>
          ) : null}
          <ShareError error={errorAt('select')} />
          <Toggle checked={withByok} onChange={(e) => setWithByok(e.target.checked)}>
            Include every BYOK key <span className="muted">(provider API keys, one per agent kind)</span>
          </Toggle>
        </fieldset>

        <fieldset className="choice">
          <legend>Who can open it</legend>
          <label>
            <input type="radio" name="export-mode" checked={mode === 'recipients'} onChange={() => setMode('recipients')} /> Teammates' age keys
          </label>
          <label>
            <input type="radio" name="export-mode" checked={mode === 'passphrase'} onChange={() => setMode('passphrase')} /> A passphrase
          </label>
        </fieldset>

        {mode === 'recipients' ? (
          <fieldset>
            <legend>Recipients</legend>
            {contacts.data && contacts.data.length > 0 ? (
              <ul className="pick-list pick-list-short" aria-label="Contacts to export to">
                {contacts.data.map((c) => (
                  <li key={c.id}>
                    <label className="inline-check">
                      <input type="checkbox" checked={toContacts.has(c.name)} onChange={() => setToContacts((s) => toggle(s, c.name))} />
                      {c.name}
                    </label>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted small">No contacts yet: paste keys below, or add contacts on the Sharing page.</p>
            )}
            <TextAreaField
              label="Other age recipients"
              error={fieldOf('recipients')}
              hint="age1… keys, one per line."
              className="mono"
              rows={2}
              spellCheck={false}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
            />
            <ShareError error={errorAt('recipients')} />
          </fieldset>
        ) : (
          <fieldset>
            <legend>Passphrase</legend>
            <InputField
              label="Passphrase"
              error={fieldOf('passphrase')}
              hint={
                <StrengthHint
                  secret={passphrase}
                  label="Passphrase strength"
                  fallback="Tell it to the person who opens the file some other way than the file itself."
                />
              }
              type="password"
              autoComplete="new-password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
            <InputField
              label="Repeat the passphrase"
              error={fieldOf('repeat')}
              type="password"
              autoComplete="new-password"
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
            />
            <ShareError error={errorAt('passphrase')} />
          </fieldset>
        )}

        <Toggle checked={includeTokens} onChange={(e) => setIncludeTokens(e.target.checked)}>
          Include Kura auth tokens
        </Toggle>
        {includeTokens ? (
          <div className="callout callout-warning" role="note">
            <strong>Whoever opens this file can update those profiles on Kura.</strong> A token lets its holder change the remote profile it belongs to. Include
            tokens only for people who should manage the same remote profiles.
          </div>
        ) : null}
        <Toggle checked={armor} onChange={(e) => setArmor(e.target.checked)}>
          ASCII armor <span className="muted">(a text file that survives being pasted into a chat or an email)</span>
        </Toggle>

        <ShareError error={errorAt('out')} />
        <ShareError error={run.error && !placedFields.includes(engineField ?? '') ? run.error : null} />
        <SubmitActions onCancel={onClose} submit="Export…" busyLabel="Exporting…" busy={run.isPending} />
      </form>
    </Dialog>
  );
}
