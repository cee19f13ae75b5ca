import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { TrustedFile } from '../../shared/contract';
import { useApi } from '../api';
import { when } from '../lib/time';
import { qk } from '../queries';
import { useAppState } from '../state';
import { ConfirmDialog, count, Empty, ErrorNote, Spinner } from '../ui/kit';

/**
 * The project files (keyhold.toml) and templates the person trusted with "keyhold trust": what each
 * may hand out, and a way to stop trusting it. Trusting needs the file read in a terminal; the
 * window shows what was trusted and revokes it.
 */
export function TrustedFilesSection() {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  // Files are trusted in a terminal, by another process: read afresh each time the section is shown.
  const trusted = useQuery({ queryKey: qk.trustedFiles, queryFn: () => api.trustedFilesList(), staleTime: 0 });
  const [revoking, setRevoking] = useState<TrustedFile | null>(null);
  const revoke = useMutation({
    mutationFn: (path: string) => api.trustedFileRevoke({ path }),
    onSuccess: ({ path }) => {
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: qk.trustedFiles });
      toast('info', `No longer trusted: ${path}`);
    },
  });
  const files = trusted.data?.files ?? [];
  const damaged = trusted.data?.damaged.length ?? 0;
  return (
    <section className="card" aria-labelledby="trusted-title">
      <h2 id="trusted-title">Trusted project files</h2>
      <p className="muted small">
        <code>keyhold run</code> uses a project&apos;s <code>keyhold.toml</code>, and <code>keyhold inject</code> a template file, only while it lists exactly
        the references you trusted. Read a file and trust it with <code>keyhold trust FILE</code> in a terminal.
      </p>
      {trusted.isPending ? <Spinner label="Loading trusted files" /> : null}
      <ErrorNote error={trusted.error} />
      {damaged > 0 ? (
        <div className="callout callout-warning" role="note">
          {count(damaged, 'trust record')} could not be read; those files count as not trusted. Trust them again after reading them.
        </div>
      ) : null}
      {trusted.data && files.length === 0 ? (
        <Empty title="No trusted files">keyhold run and keyhold inject read no project file until you trust one.</Empty>
      ) : null}
      {files.length > 0 ? (
        <ul className="trusted-list" aria-label="Trusted files">
          {files.map((file) => {
            const names = Object.keys(file.refs);
            return (
              <li key={file.path} className="trusted-file">
                <div className="trusted-main">
                  <code className="mono small">{file.path}</code>
                  <span className="muted small">
                    {count(names.length, 'reference')} · trusted {when(file.trustedAt)}
                  </span>
                  <details>
                    <summary className="small">What it may hand out</summary>
                    <dl className="trusted-refs mono small">
                      {names.map((name) => (
                        <div key={name}>
                          {file.refs[name] === name ? null : <dt>{name}</dt>}
                          <dd>{file.refs[name]}</dd>
                        </div>
                      ))}
                    </dl>
                  </details>
                </div>
                <button type="button" className="ghost danger-text" onClick={() => setRevoking(file)} aria-label={`Stop trusting ${file.path}`}>
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title="Stop trusting this file?"
          confirm="Revoke trust"
          onConfirm={() => revoke.mutate(revoking.path)}
          onClose={() => setRevoking(null)}
          busy={revoke.isPending}
          error={revoke.error}
        >
          <p>
            <code className="mono">{revoking.path}</code> will hand out nothing until you read it and trust it again with <code>keyhold trust</code>.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
