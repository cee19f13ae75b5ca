import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { describeByokDiff, describeProfileDiff } from '../../../shared/share';
import type { ChosenFile, ConflictPolicy, ImportPreview, ImportResult, OpenedImportInfo, ProfileChange, SignerInfo } from '../../../shared/share';
import { plural } from '../../../shared/text';
import { errorCode, errorField, useApi } from '../../api';
import { useInvalidateItems } from '../../hooks';
import { when } from '../../lib/time';
import { InputField, SubmitActions, Toggle } from '../../ui/fields';
import { Dialog } from '../../ui/kit';
import { Finished, ShareError, shareErrorText } from './common';

const POLICY: Record<ConflictPolicy, { label: string; help: string }> = {
  skip: { label: 'Skip', help: 'keep this vault’s version' },
  overwrite: { label: 'Overwrite', help: 'replace it with the file’s (a new version)' },
  'keep-both': { label: 'Keep both', help: 'import the file’s as “NAME (imported)”' },
};

const STATUS_LABEL = { new: 'New', identical: 'Identical', differs: 'Differs' } as const;
const ACTION_LABEL = { create: 'Create', update: 'Update', skip: 'Skip', declare: 'Declare' } as const;

function Signer({ signer }: { signer: SignerInfo }) {
  if (!signer.signed) {
    return (
      <div className="signer signer-danger" role="note" aria-label="Signer">
        <strong>Not signed.</strong> Nobody vouches for this file. Import it only if you trust where it came from.
      </div>
    );
  }
  if (signer.self || signer.contact !== null) {
    return (
      <div className="signer signer-trusted" role="note" aria-label="Signer">
        <span aria-hidden="true">✓ </span>
        Signed by <strong>{signer.self ? 'this vault' : signer.contact}</strong> <span className="mono small">{signer.fingerprint}</span>
      </div>
    );
  }
  return (
    <div className="signer signer-warning" role="note" aria-label="Signer">
      <strong>Unknown signer.</strong> Fingerprint <span className="mono">{signer.fingerprint}</span>: compare it with the sender (by phone or in person) before
      trusting this file, or add them as a contact with their signing key.
    </div>
  );
}

function diffText(c: ProfileChange): string {
  if (c.status === 'new') return 'Not in this vault';
  if (c.status === 'identical' || !c.diff) return 'Same values';
  return describeProfileDiff(c.diff);
}

/** One item of the preview: what it is, whether this vault has it, what differs, and what import does. */
function PreviewRow({
  item,
  mono = false,
  status,
  differs,
  action,
}: {
  item: ReactNode;
  mono?: boolean;
  status: keyof typeof STATUS_LABEL;
  differs: ReactNode;
  action: ReactNode;
}) {
  return (
    <tr>
      <td className={mono ? 'mono' : undefined}>{item}</td>
      <td>
        <span className={`item-status item-${status}`}>{STATUS_LABEL[status]}</span>
      </td>
      <td className="small">{differs}</td>
      <td className="small">{action}</td>
    </tr>
  );
}

function PreviewTable({ preview }: { preview: ImportPreview }) {
  return (
    <table className="table preview-table" aria-label="Import preview">
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Status</th>
          <th scope="col">What differs (names only)</th>
          <th scope="col">Import will</th>
        </tr>
      </thead>
      <tbody>
        {preview.profiles.map((c) => (
          <PreviewRow
            key={`p-${c.agentId}/${c.name}`}
            item={`${c.agentId}/${c.name}`}
            mono
            status={c.status}
            differs={diffText(c)}
            action={
              <>
                {ACTION_LABEL[c.action]}
                {c.importedAs ? (
                  <>
                    {' '}
                    as <span className="mono">{c.importedAs}</span>
                  </>
                ) : null}
                {c.withToken ? ', with its Kura token' : ''}
                {c.note ? <div className="muted">{c.note}</div> : null}
              </>
            }
          />
        ))}
        {preview.byokKeys.map((c) => (
          <PreviewRow
            key={`b-${c.kind}`}
            item={
              <>
                BYOK key <span className="mono">{c.kind}</span>
              </>
            }
            status={c.status}
            differs={c.status === 'differs' ? describeByokDiff(c.diff) : c.status === 'new' ? 'Not in this vault' : 'Same key'}
            action={
              <>
                {ACTION_LABEL[c.action]}
                {c.note ? <div className="muted">{c.note}</div> : null}
              </>
            }
          />
        ))}
        {preview.agents.map((a) => (
          <PreviewRow
            key={`a-${a.agentId}`}
            item={
              <>
                Agent <span className="mono">{a.agentId}</span> declarations
              </>
            }
            status={a.status}
            differs={
              [a.added.length ? `only in the file: ${a.added.join(', ')}` : '', a.removed.length ? `only here: ${a.removed.join(', ')}` : '']
                .filter(Boolean)
                .join('; ') || '—'
            }
            action={a.action === 'declare' ? 'Declare' : 'Leave as is'}
          />
        ))}
      </tbody>
    </table>
  );
}

function Result({ result, onClose }: { result: ImportResult; onClose: () => void }) {
  const p = result.profiles;
  const b = result.byokKeys;
  return (
    <Finished
      label="Import finished"
      headline={
        `Imported: ${plural(p.created, 'profile')} created, ${p.updated} updated, ${p.skipped} skipped` +
        (b.created + b.updated + b.skipped > 0 ? `; BYOK keys: ${b.created} created, ${b.updated} updated, ${b.skipped} skipped` : '') +
        '.'
      }
      onClose={onClose}
    >
      <li>{result.state === 'draft' ? 'They are drafts: kept here until you mark them ready.' : 'They are pending: the next sync sends them.'}</li>
      {result.agents.declared ? <li>{plural(result.agents.declared, 'agent declaration')} added.</li> : null}
      {result.agents.notApplied ? <li>{plural(result.agents.notApplied, 'differing agent declaration')} left as they were.</li> : null}
      {result.tokens ? <li>{plural(result.tokens, 'Kura token')} imported: syncing updates the sender’s remote profiles.</li> : null}
    </Finished>
  );
}

export function ImportDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const invalidate = useInvalidateItems();
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [allowUnsigned, setAllowUnsigned] = useState(false);
  const [opened, setOpened] = useState<OpenedImportInfo | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [policy, setPolicy] = useState<ConflictPolicy>('skip');
  const [draft, setDraft] = useState(false);

  const open = useMutation({
    mutationFn: (f: ChosenFile) => api.shareImportOpen({ file: f.file, allowUnsigned, ...(passphrase ? { passphrase } : {}) }),
    onSuccess: (o) => {
      setOpened(o);
      setPreview(o.preview);
      setPolicy(o.preview.policy);
      setDraft(o.preview.state === 'draft');
    },
  });
  const choose = useMutation({
    mutationFn: () => api.shareImportChoose(),
    onSuccess: (f) => {
      setFile(f);
      setOpened(null);
      setPreview(null);
      open.reset();
      open.mutate(f);
    },
  });
  const repreview = useMutation({
    mutationFn: (v: { onConflict: ConflictPolicy; draft: boolean }) => api.shareImportPreview({ handle: (opened as OpenedImportInfo).handle, ...v }),
    onSuccess: (p) => setPreview(p),
  });
  // A signature from a key that is neither this vault's nor a contact's proves nothing until the
  // person vouches for it. They do once, in main's own dialog, which names the fingerprint (or says
  // nobody signed): Import leads there, and the window asks nothing of its own before it.
  const apply = useMutation({
    mutationFn: () => {
      const { handle, signer } = opened as OpenedImportInfo;
      return api.shareImportApply({ handle, onConflict: policy, draft, trustSigner: signer.signed && !signer.trusted });
    },
    onSuccess: () => invalidate(),
  });

  const change = (next: { onConflict?: ConflictPolicy; draft?: boolean }) => {
    const v = { onConflict: next.onConflict ?? policy, draft: next.draft ?? draft };
    setPolicy(v.onConflict);
    setDraft(v.draft);
    apply.reset();
    repreview.mutate(v);
  };

  const openCode = errorCode(open.error);
  const passphraseError = open.error && errorField(open.error) === 'passphrase' ? open.error : null;
  const unsigned = openCode === 'Unsigned';
  const current = preview !== null && preview.policy === policy && (preview.state === 'draft') === draft && !repreview.isPending;
  const differs = preview ? preview.counts.profiles.differs + preview.counts.byokKeys.differs : 0;
  const mainAsks = opened !== null && !opened.signer.trusted;
  const writes = preview
    ? preview.counts.profiles.create + preview.counts.profiles.update + preview.counts.byokKeys.create + preview.counts.byokKeys.update
    : 0;

  if (apply.data) {
    return (
      <Dialog title="Import" onClose={onClose}>
        <Result result={apply.data} onClose={onClose} />
      </Dialog>
    );
  }

  return (
    <Dialog title="Import a Keyhold export" onClose={onClose}>
      <section aria-label="File" className="import-step">
        <div className="row-actions">
          <button type="button" className={file ? 'secondary' : 'primary'} onClick={() => choose.mutate()} disabled={choose.isPending}>
            {file ? 'Choose another file…' : 'Choose file…'}
          </button>
          {file ? (
            <span className="mono small" aria-label="Chosen file">
              {file.name}
            </span>
          ) : null}
        </div>
        <ShareError error={choose.error} />
        {!opened ? (
          <>
            <InputField
              label="Passphrase (only if the file was protected with one)"
              error={passphraseError ? shareErrorText(passphraseError) : undefined}
              type="password"
              autoComplete="off"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
            {unsigned || allowUnsigned ? (
              <>
                <Toggle checked={allowUnsigned} onChange={(e) => setAllowUnsigned(e.target.checked)}>
                  Open it even though it is not signed
                </Toggle>
                <div className="callout callout-danger" role="note">
                  <strong>Nobody vouches for an unsigned file.</strong> Anyone who could reach you could have made it. Open it only if you know where it came
                  from.
                </div>
              </>
            ) : null}
            <ShareError error={open.error && !passphraseError ? open.error : null} />
            <SubmitActions
              onCancel={onClose}
              submit={file ? 'Open' : undefined}
              busyLabel="Opening…"
              busy={open.isPending}
              onSubmit={() => file && open.mutate(file)}
            />
          </>
        ) : null}
      </section>

      {opened && preview ? (
        <section aria-label="Preview" className="import-step">
          <Signer signer={opened.signer} />
          <p className="muted small">Exported {when(preview.exportedAt)}. Values are never shown here, only names.</p>
          {preview.warnings.length ? (
            <ul className="callout callout-warning warnings" aria-label="Warnings">
              {preview.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
          <div className="import-choices">
            <fieldset className="choice">
              <legend>When an item exists with other values{differs ? ` (${differs})` : ''}</legend>
              {(Object.keys(POLICY) as ConflictPolicy[]).map((p) => (
                <label key={p}>
                  <input type="radio" name="import-policy" checked={policy === p} onChange={() => change({ onConflict: p })} /> {POLICY[p].label}{' '}
                  <span className="muted small">({POLICY[p].help})</span>
                </label>
              ))}
            </fieldset>
            <fieldset className="choice">
              <legend>Imported items arrive as</legend>
              <label>
                <input type="radio" name="import-state" checked={!draft} onChange={() => change({ draft: false })} /> Pending{' '}
                <span className="muted small">(sent at the next sync)</span>
              </label>
              <label>
                <input type="radio" name="import-state" checked={draft} onChange={() => change({ draft: true })} /> Drafts{' '}
                <span className="muted small">(kept here until you mark them ready)</span>
              </label>
            </fieldset>
          </div>
          <ShareError error={repreview.error} />
          <PreviewTable preview={preview} />
          <p className="small" role="status">
            {writes === 0 ? 'Nothing would change.' : `${plural(writes, 'item')} will be written; everything else stays as it is.`}
          </p>
          <ShareError error={apply.error} />
          <SubmitActions
            onCancel={onClose}
            submit={mainAsks ? 'Import…' : 'Import'}
            busyLabel="Importing…"
            busy={apply.isPending}
            onSubmit={() => apply.mutate()}
            disabled={!current || writes === 0}
          />
        </section>
      ) : null}
    </Dialog>
  );
}
