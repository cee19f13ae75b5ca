import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { EarlierProfile, FoundCredential, SkippedFile, WrapLeftCredential } from '../../shared/contract';
import { errorField, useApi } from '../api';
import { useInvalidateItems } from '../hooks';
import { qk } from '../queries';
import { useAppState } from '../state';
import { Empty, ErrorNote, PageHeader, Spinner } from '../ui/kit';
import { describedByLeft, LeftAfterWrap, LeftInWrapped, leftSentence, NothingToWrap } from './WrapLeft';

function byFile(findings: readonly FoundCredential[]): [string, FoundCredential[]][] {
  const groups = new Map<string, FoundCredential[]>();
  for (const f of findings) groups.set(f.file, [...(groups.get(f.file) ?? []), f]);
  return [...groups];
}

/** Said once: an import began a file's own profile beside the one an earlier import filled for its folder. */
const earlierText = (earlier: readonly EarlierProfile[]): string =>
  earlier
    .map((e) => ` ${e.profile}, from an earlier import, is left as it is: each file's values now go to a profile of its own (${e.now.join(', ')}).`)
    .join('');

/** The files the scan meant to read and could not: keys in them are not in the list above. */
function NotRead({ skipped }: { skipped: readonly SkippedFile[] }) {
  if (skipped.length === 0) return null;
  return (
    <section aria-label="Files not read">
      <h2 className="small">Not read</h2>
      <p className="small">Keyhold could not read these files, so keys in them are not listed here.</p>
      <ul className="findings">
        {skipped.map((s) => (
          <li key={s.path} className="finding finding-warning">
            <span className="finding-icon" aria-hidden="true">
              ?
            </span>
            <div>
              <div className="finding-title mono">{s.path}</div>
              <div className="small">{s.message}</div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Wrapping one MCP config: the change shown first (secrets concealed), with what it cannot move;
 * Wrap… leads to main's own question (file, servers, backup), the only one asked, and a yes there does it.
 */
function WrapPanel({ file, onDone }: { file: string; onDone: (left: WrapLeftCredential[]) => void }) {
  const api = useApi();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  const leftId = useId();
  const preview = useMutation({ mutationFn: () => api.mcpWrapPreview({ file }) });
  const wrap = useMutation({
    mutationFn: (revision: string) => api.mcpWrap({ file, revision }),
    onSuccess: (r) => {
      invalidate();
      preview.reset();
      onDone(r.left);
      toast(
        'info',
        `Wrapped ${r.servers.join(', ')}. The original is in ${r.backup}; delete it once the servers work.` +
          (r.writtenTo === null
            ? ''
            : ` The config is a link: the change went to ${r.writtenTo}, and if that file is in a repository, its history still holds the secrets.`) +
          leftSentence(r.left),
      );
    },
    // The tool wrote its config since the change was shown: show the change as it would be now.
    onError: (e) => {
      if (errorField(e) === 'configChanged') preview.mutate();
    },
  });
  if (!preview.data) {
    return (
      <>
        <button type="button" className="secondary" onClick={() => preview.mutate()} disabled={preview.isPending}>
          {preview.isPending ? 'Preparing…' : 'Wrap MCP servers…'}
        </button>
        <ErrorNote error={preview.error} />
      </>
    );
  }
  if (preview.data.servers.length === 0) return <NothingToWrap left={preview.data.left} onClose={() => preview.reset()} />;
  const { left } = preview.data;
  return (
    <div className="wrap-preview">
      <p className="small">
        Moves the secrets of {preview.data.servers.join(', ')} into the vault; each server then starts through <span className="mono">keyhold run</span>, which
        needs a session (KEYHOLD_SESSION) in the environment the tool starts from.
      </p>
      <pre className="mono small" aria-label="Change to the file">
        {preview.data.diff}
      </pre>
      {left.length > 0 ? <LeftAfterWrap left={left} id={leftId} /> : null}
      <button
        type="button"
        onClick={() => wrap.mutate(preview.data.revision)}
        disabled={wrap.isPending}
        aria-describedby={left.length > 0 ? describedByLeft(leftId) : undefined}
      >
        {wrap.isPending ? 'Wrapping…' : 'Wrap…'}
      </button>{' '}
      <button type="button" className="secondary" onClick={() => preview.reset()}>
        Cancel
      </button>
      <ErrorNote error={wrap.error} />
    </div>
  );
}

/** "Found on this computer": keys lying in agent tools' configs and shell files, and one action to move them in. */
export function FoundView() {
  const api = useApi();
  const qc = useQueryClient();
  const invalidate = useInvalidateItems();
  const { toast } = useAppState();
  const found = useQuery({ queryKey: qk.found, queryFn: () => api.agentScan() });
  // What the last wrap left in its file: shown until the person is done with it, even once the file's section is gone.
  const [wrapped, setWrapped] = useState<{ file: string; left: WrapLeftCredential[] } | null>(null);
  const importAll = useMutation({
    mutationFn: () => api.agentImport(),
    onSuccess: (r) => {
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.found });
      toast(
        'info',
        `Imported ${r.imported} as drafts; ${r.held} already in the vault${r.conflicts > 0 ? `; ${r.conflicts} left alone (the vault holds another value there)` : ''}${r.refused > 0 ? `; ${r.refused} not imported (a folder or server name that cannot name a profile: add those by hand)` : ''}.${earlierText(r.earlier)}`,
      );
    },
  });
  const missing = found.data?.findings.filter((f) => f.inVault !== 'yes').length ?? 0;
  return (
    <div className="page">
      <PageHeader
        title="Found on this computer"
        action={
          <div>
            <button type="button" className="secondary" onClick={() => void found.refetch()} disabled={found.isFetching}>
              {found.isFetching ? 'Looking…' : 'Look again'}
            </button>{' '}
            <button type="button" onClick={() => importAll.mutate()} disabled={missing === 0 || importAll.isPending}>
              {importAll.isPending ? 'Importing…' : `Import ${missing}`}
            </button>
          </div>
        }
      >
        Keys in plain files where agent tools read them: MCP server configs (Claude, Cursor, VS Code, Codex…) and shell start-up files. Values are never shown.
      </PageHeader>
      {found.isPending ? <Spinner label="Looking in the agent tools' configs" /> : null}
      <ErrorNote error={found.error ?? importAll.error} />
      {wrapped ? <LeftInWrapped file={wrapped.file} left={wrapped.left} onClose={() => setWrapped(null)} /> : null}
      {found.data && found.data.findings.length === 0 ? (
        <Empty title="Nothing found">
          No keys in the {found.data.filesRead} config files read.
          {found.data.skipped.length > 0 ? ` ${found.data.skipped.length} could not be read: see below.` : ''}
        </Empty>
      ) : null}
      {found.data
        ? byFile(found.data.findings).map(([file, items]) => (
            <section key={file} aria-label={file}>
              <h2 className="mono small">{file}</h2>
              {items.some((f) => f.server !== null) ? (
                <WrapPanel
                  file={file}
                  onDone={(left) => {
                    setWrapped(left.length > 0 ? { file, left } : null);
                    void qc.invalidateQueries({ queryKey: qk.found });
                  }}
                />
              ) : null}
              <ul className="findings">
                {items.map((f) => (
                  <li key={`${f.line}-${f.where}`} className={`finding finding-${f.inVault === 'yes' ? 'warning' : 'problem'}`}>
                    <span className="finding-icon" aria-hidden="true">
                      {f.inVault === 'yes' ? '•' : '!'}
                    </span>
                    <div>
                      <div className="finding-title">
                        {f.label} <span className="mono">{f.masked}</span>
                      </div>
                      <div className="small">
                        line {f.line}
                        {f.where ? ` · ${f.where}` : ''} ·{' '}
                        {f.inVault === 'yes' ? `in the vault (${f.vaultItem ?? ''}); remove it from the file` : 'not in the vault'}
                        {f.server ? ` · MCP server ${f.server}` : ''}
                      </div>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          ))
        : null}
      {found.data ? <NotRead skipped={found.data.skipped} /> : null}
    </div>
  );
}
