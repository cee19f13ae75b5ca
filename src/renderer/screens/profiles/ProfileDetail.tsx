import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { ProfileDetail, ProfileSummary, SyncType } from '../../../shared/domain';
import { errorField, errorText, useApi } from '../../api';
import { useInvalidateItems } from '../../hooks';
import { ago, when } from '../../lib/time';
import { plain } from '../../lib/words';
import { qk } from '../../queries';
import { useAppState } from '../../state';
import { ConfirmDialog, ErrorNote, Spinner, SyncBadge, VersionsDialog } from '../../ui/kit';
import { SecretLine } from '../../ui/SecretLine';
import { useReveal } from '../../ui/useReveal';
import { TRASH_DAYS } from '../TrashView';
const MISSING_PREFIX = 'Remote profile missing';

/** One value: masked until revealed, masked again after a few seconds; copy happens in main. */
function SecretRow({ profileId, name }: { profileId: string; name: string }) {
  const api = useApi();
  const { toast } = useAppState();
  const reveal = useReveal(async () => (await api.profileReveal({ ref: profileId, key: name })).value);
  const copy = useMutation({
    mutationFn: () => api.profileCopy({ ref: profileId, key: name }),
    onSuccess: ({ clearsAfterSeconds }) => toast('success', `Copied ${name}. The clipboard clears in ${clearsAfterSeconds} seconds.`),
  });
  return (
    <SecretLine
      name={name}
      mono
      value={reveal.value}
      valueLabel={`${name} value`}
      what={name}
      onReveal={reveal.reveal}
      revealing={reveal.revealing}
      onHide={reveal.hide}
      onCopy={() => copy.mutate()}
      copying={copy.isPending}
      error={reveal.error ?? copy.error}
    />
  );
}

const SYNC_WORDS: Record<SyncType, string> = {
  create: 'Created on Kura',
  replace: 'Replaced a profile on Kura',
  update: 'Updated on Kura',
};

/**
 * The Kura auth token: masked until revealed (audited, re-masked after a few seconds), copied in
 * main with auto-clear; with none, why not and what brings one.
 */
function TokenRow({ profile, missing, onRecreate }: { profile: ProfileDetail; missing: boolean; onRecreate: () => void }) {
  const api = useApi();
  const { toast } = useAppState();
  const label = `${profile.agentId}/${profile.name}`;
  const reveal = useReveal(async () => (await api.profileTokenReveal({ ref: profile.id })).authToken);
  const copy = useMutation({
    mutationFn: () => api.profileTokenCopy({ ref: profile.id }),
    onSuccess: (r) => toast('success', `Copied the Kura token of ${label}. The clipboard clears in ${r.clearsAfterSeconds} seconds.`),
    onError: (e) => toast('error', `Nothing was copied. ${errorText(e)}`),
  });
  if (!profile.hasToken) {
    let why: string;
    if (missing) why = 'Kura no longer has this profile, so its token was dropped. Re-create it on Kura to get a new one.';
    else if (profile.lastSyncType === null) why = 'None yet: Kura issues it at the first sync.';
    else why = 'This vault holds no token for this profile (it came without one). Kura shows a token only once, when it creates a profile.';
    return (
      <div className="token-none" data-testid="token-none">
        <p className="muted">{why}</p>
        {missing ? (
          <button type="button" className="secondary small" onClick={onRecreate}>
            Re-create to get a new token
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <>
      <ul className="secrets" aria-label="Kura token">
        <SecretLine
          name="Token"
          value={reveal.value}
          valueLabel="Kura token"
          what={`the Kura token of ${label}`}
          valueTestId="token-value"
          onReveal={reveal.reveal}
          revealing={reveal.revealing}
          onHide={reveal.hide}
          onCopy={() => copy.mutate()}
          copying={copy.isPending}
          error={reveal.error}
        />
      </ul>
      <p className="small muted">The agent uses this token when it runs. Kura shows it only once, so this vault keeps it.</p>
    </>
  );
}

function HistoryDialog({ profile, onClose }: { profile: ProfileSummary; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  const history = useQuery({ queryKey: qk.profileHistory(profile.id), queryFn: () => api.profileHistory({ ref: profile.id }) });
  const [confirm, setConfirm] = useState<{ version: number; message: string } | null>(null);
  const restore = useMutation({
    mutationFn: ({ version, confirmNewRemote }: { version: number; confirmNewRemote: boolean }) =>
      api.profileRestore({ ref: profile.id, version, confirmNewRemote }),
    onSuccess: (s, { version }) => {
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.profile(profile.id) });
      void qc.invalidateQueries({ queryKey: qk.profileHistory(profile.id) });
      toast('success', `Restored version ${version} of ${s.agentId}/${s.name} as version ${s.version}.`);
      onClose();
    },
    onError: (e, { version, confirmNewRemote }) => {
      if (errorField(e) === 'confirmNewRemote' && !confirmNewRemote) {
        setConfirm({ version, message: errorText(e) });
        restore.reset();
      }
    },
  });
  return (
    <VersionsDialog
      title={`History of ${profile.agentId}/${profile.name}`}
      history={history}
      current={profile.version}
      onRestore={(version) => restore.mutate({ version, confirmNewRemote: false })}
      restoring={restore.isPending}
      restoreError={restore.error}
      onClose={onClose}
    >
      {confirm ? (
        <div className="callout callout-warning" role="alert">
          <p>Version {confirm.version} has another agent or name. Restoring it makes a new remote profile on Kura; the current one stays there.</p>
          <p className="small">{confirm.message}</p>
          <button type="button" className="primary small" onClick={() => restore.mutate({ version: confirm.version, confirmNewRemote: true })}>
            Restore as a new remote profile
          </button>
        </div>
      ) : null}
    </VersionsDialog>
  );
}

function DeleteDialog({ profile, onClose, onDeleted }: { profile: ProfileSummary; onClose: () => void; onDeleted: () => void }) {
  const api = useApi();
  const { toast } = useAppState();
  const invalidate = useInvalidateItems();
  const del = useMutation({
    // The dialog below states the token loss when there is a token: confirming it is the confirmation.
    mutationFn: () => api.profileDelete({ ref: profile.id, confirmTokenLoss: profile.hasToken }),
    onSuccess: ({ wasSynced, purgeAt }) => {
      invalidate();
      const until = purgeAt ? ` until ${when(purgeAt)}` : '';
      toast('success', `Moved ${profile.agentId}/${profile.name} to the Trash${until}.${wasSynced ? ' The remote profile is still on Kura.' : ''}`);
      onDeleted();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${profile.agentId}/${profile.name}?`}
      confirm="Delete profile"
      onConfirm={() => del.mutate()}
      onClose={onClose}
      busy={del.isPending}
      error={del.error}
    >
      <p>
        The profile goes to the Trash for {TRASH_DAYS} days with its values and history. You can restore it from there until then; after that it is deleted for
        good.
      </p>
      {profile.hasToken ? (
        <div className="callout callout-warning" role="note">
          <strong>The remote profile stays on Kura.</strong> Keyhold does not delete it there. The Kura token goes with the local copy: to the Trash now, and
          for good when the Trash lets it go. Remove the profile in Kura if the agent should stop using it.
        </div>
      ) : null}
    </ConfirmDialog>
  );
}

export function ProfileDetailPane({
  id,
  onEdit,
  onDeleted,
  takeFocus = false,
}: {
  id: string;
  onEdit: (p: ProfileSummary) => void;
  onDeleted: () => void;
  /** Just saved: the heading takes the focus once the profile is shown. */
  takeFocus?: boolean;
}) {
  const api = useApi();
  const qc = useQueryClient();
  const invalidate = useInvalidateItems();
  const { toast } = useAppState();
  const detail = useQuery({ queryKey: qk.profile(id), queryFn: () => api.profileGet({ ref: id }) });
  const [dialog, setDialog] = useState<'history' | 'delete' | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = Boolean(detail.data);
  useEffect(() => {
    if (takeFocus && loaded) heading.current?.focus();
  }, [takeFocus, loaded]);
  const action = useMutation({
    mutationFn: (what: 'ready' | 'retry' | 'recreate') =>
      what === 'ready' ? api.profileReady({ ref: id }) : what === 'retry' ? api.profileRetry({ ref: id }) : api.profileRecreate({ ref: id }),
    onSuccess: (s, what) => {
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.profile(id) });
      toast(
        'info',
        what === 'recreate' ? `${s.agentId}/${s.name} will be created again on Kura at the next sync.` : `${s.agentId}/${s.name} is queued for sync.`,
      );
    },
  });

  if (detail.isPending)
    return (
      <div className="pane-body">
        <Spinner label="Loading profile" />
      </div>
    );
  if (detail.error)
    return (
      <div className="pane-body">
        <ErrorNote error={detail.error} />
      </div>
    );
  const p = detail.data;
  const missing = p.syncState === 'failed' && (p.lastError ?? '').startsWith(MISSING_PREFIX);

  return (
    <section className="pane-body" aria-label={`Profile ${p.agentId}/${p.name}`}>
      <header className="pane-header">
        <div>
          <div className="eyebrow mono">{p.agentId}</div>
          <h2 tabIndex={-1} data-focus-home ref={heading}>
            {p.name}
          </h2>
        </div>
        <SyncBadge state={p.syncState} reason={p.lastError} />
      </header>
      <div className="toolbar" role="toolbar" aria-label="Profile actions">
        <button type="button" className="secondary" onClick={() => onEdit(p)}>
          Edit
        </button>
        <button type="button" className="secondary" onClick={() => setDialog('history')}>
          History
        </button>
        {p.syncState === 'draft' ? (
          <button type="button" className="secondary" onClick={() => action.mutate('ready')}>
            Mark ready to sync
          </button>
        ) : null}
        <span className="spacer-flex" />
        <button type="button" className="ghost danger-text" onClick={() => setDialog('delete')}>
          Delete
        </button>
      </div>

      {p.syncState === 'failed' ? (
        <div className="callout callout-danger" role="alert">
          <strong>{missing ? 'Remote profile missing.' : 'The last sync failed.'}</strong>{' '}
          {plain(missing ? (p.lastError ?? '').slice(MISSING_PREFIX.length).replace(/^:\s*/, '') : p.lastError)}
          <div className="row-actions">
            {missing ? (
              <button type="button" className="primary small" onClick={() => action.mutate('recreate')}>
                Re-create on Kura
              </button>
            ) : (
              <>
                <button type="button" className="primary small" onClick={() => onEdit(p)}>
                  Edit profile
                </button>
                <button type="button" className="secondary small" onClick={() => action.mutate('retry')}>
                  Send again unchanged
                </button>
              </>
            )}
          </div>
        </div>
      ) : null}
      {p.lastSyncType === 'replace' ? (
        <div className="callout callout-warning" role="note">
          Kura already had a profile for this agent and name; it was replaced, and its previous token no longer works.
        </div>
      ) : null}
      <ErrorNote error={action.error} />

      <h3 className="section-title">Credentials</h3>
      {p.keys.length === 0 ? <p className="muted">No keys.</p> : null}
      <ul className="secrets" aria-label="Credentials">
        {p.keys.map((k) => (
          <SecretRow key={k} profileId={p.id} name={k} />
        ))}
      </ul>

      <h3 className="section-title">Kura token</h3>
      <TokenRow profile={p} missing={missing} onRecreate={() => action.mutate('recreate')} />

      <h3 className="section-title">Details</h3>
      <dl className="facts">
        <dt>Session</dt>
        <dd>{p.saveSession ? 'Saved between runs' : 'Not saved'}</dd>
        <dt>Token obtained</dt>
        <dd>
          {p.hasToken ? (
            p.tokenObtainedAt ? (
              <span title={ago(p.tokenObtainedAt)}>{when(p.tokenObtainedAt)}</span>
            ) : (
              'Unknown (it came in an import)'
            )
          ) : (
            'No token'
          )}
        </dd>
        <dt>Last sync</dt>
        <dd>{p.lastSyncType ? SYNC_WORDS[p.lastSyncType] : 'Never sent'}</dd>
        <dt>Version</dt>
        <dd>{p.version}</dd>
        <dt>Updated</dt>
        <dd title={when(p.updatedAt)}>{ago(p.updatedAt)}</dd>
        <dt>Created</dt>
        <dd>{when(p.createdAt)}</dd>
      </dl>

      {dialog === 'history' ? <HistoryDialog profile={p} onClose={() => setDialog(null)} /> : null}
      {dialog === 'delete' ? (
        <DeleteDialog
          profile={p}
          onClose={() => setDialog(null)}
          onDeleted={() => {
            setDialog(null);
            qc.removeQueries({ queryKey: qk.profile(id) });
            onDeleted();
          }}
        />
      ) : null}
    </section>
  );
}
