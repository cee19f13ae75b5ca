import { useMutation, useQuery } from '@tanstack/react-query';
import { useApi } from '../api';
import { useAgents, useSyncNow } from '../hooks';
import { qk } from '../queries';
import { useAppState } from '../state';
import { ErrorNote, PageHeader, Spinner } from '../ui/kit';

const SKIPPED = 'keyhold.setupSkipped';
const TOKEN_COPIED = 'keyhold.setupTokenCopied';
const flag = (name: string): boolean => {
  try {
    return localStorage.getItem(name) === '1';
  } catch {
    return false;
  }
};

export const setupSkipped = (): boolean => flag(SKIPPED);
const setSkipped = (skipped: boolean) => {
  try {
    if (skipped) localStorage.setItem(SKIPPED, '1');
    else localStorage.removeItem(SKIPPED);
  } catch {
    // Storage may be unavailable; then the guide simply shows again next time.
  }
};

export interface SetupStep {
  id: 'vault' | 'kura' | 'agent' | 'profile' | 'sync' | 'token';
  title: string;
  done: boolean;
}

/**
 * Where the person is on the way from nothing to a synced profile, read from the vault itself, so
 * the guide resumes wherever they left it (and notices steps done elsewhere).
 */
export function useSetupSteps(): { steps: SetupStep[] | null; tokenProfile: { id: string; ref: string } | null; profileCount: number } {
  const api = useApi();
  const remotes = useQuery({ queryKey: qk.remotes, queryFn: () => api.remotesList() });
  const agents = useAgents();
  const profiles = useQuery({ queryKey: qk.profiles, queryFn: () => api.profilesList({}) });
  if (!remotes.data || !agents.data || !profiles.data) return { steps: null, tokenProfile: null, profileCount: 0 };
  const synced = profiles.data.find((p) => p.syncState === 'synced');
  const withToken = profiles.data.find((p) => p.hasToken);
  return {
    steps: [
      { id: 'vault', title: 'Create your vault', done: true },
      { id: 'kura', title: 'Connect Kura', done: remotes.data.some((r) => r.kind === 'kura') },
      { id: 'agent', title: "Declare an agent's input arguments", done: agents.data.length > 0 },
      { id: 'profile', title: 'Add your first profile', done: profiles.data.length > 0 },
      { id: 'sync', title: 'Sync it to Kura', done: Boolean(synced) },
      { id: 'token', title: 'Copy the token Kura issued', done: Boolean(withToken) && flag(TOKEN_COPIED) },
    ],
    tokenProfile: withToken ? { id: withToken.id, ref: `${withToken.agentId}/${withToken.name}` } : null,
    profileCount: profiles.data.length,
  };
}

const WHY: Record<SetupStep['id'], string> = {
  vault: 'Everything you add is encrypted with your master password.',
  kura: "Kura's address and an API key. Keyhold checks them as soon as you save and says what it verified.",
  agent: 'The keys the agent takes. Profiles are checked against them here, before Kura would reject them.',
  profile: "The agent's credentials: one key and value per input argument.",
  sync: 'Sends the profile to Kura. Drafts stay here until you mark them ready.',
  token: 'Kura answers the first sync with an auth token for the agent. Copy it into the agent’s configuration.',
};

export function SetupView() {
  const api = useApi();
  const { go, toast } = useAppState();
  const sync = useSyncNow();
  const { steps, tokenProfile } = useSetupSteps();
  const copyToken = useMutation({
    mutationFn: (id: string) => api.profileTokenCopy({ ref: id }),
    onSuccess: (r) => {
      try {
        localStorage.setItem(TOKEN_COPIED, '1');
      } catch {
        // Without storage the last step simply stays open.
      }
      toast('success', `Copied the token. The clipboard clears in ${r.clearsAfterSeconds} seconds.`);
    },
  });
  if (!steps) return <Spinner label="Loading the setup guide" />;
  const next = steps.find((s) => !s.done && (s.id !== 'token' || !tokenProfile)) ?? steps.find((s) => !s.done);
  const action = (s: SetupStep) => {
    switch (s.id) {
      case 'kura':
        return (
          <button type="button" className={s === next ? 'primary small' : 'secondary small'} onClick={() => go('connections')}>
            {s.done ? 'Review connection' : 'Connect Kura'}
          </button>
        );
      case 'agent':
        return (
          <button type="button" className={s === next ? 'primary small' : 'secondary small'} onClick={() => go('agents')}>
            {s.done ? 'Review agents' : 'Declare an agent'}
          </button>
        );
      case 'profile':
        return (
          <button type="button" className={s === next ? 'primary small' : 'secondary small'} onClick={() => go('profiles', { newProfile: Date.now() })}>
            {s.done ? 'Add another profile' : 'Add a profile'}
          </button>
        );
      case 'sync':
        return (
          <button type="button" className={s === next ? 'primary small' : 'secondary small'} onClick={() => sync.mutate()} disabled={sync.isPending}>
            {sync.isPending ? 'Syncing…' : 'Sync now'}
          </button>
        );
      case 'token':
        return tokenProfile ? (
          <button type="button" className="primary small" onClick={() => copyToken.mutate(tokenProfile.id)} disabled={copyToken.isPending}>
            Copy the token of {tokenProfile.ref}
          </button>
        ) : (
          <span className="muted small">After the first sync</span>
        );
      default:
        return null;
    }
  };
  const done = steps.filter((s) => s.done).length;
  return (
    <div className="page">
      <PageHeader
        title="Get started"
        action={
          <button
            type="button"
            className="ghost"
            onClick={() => {
              setSkipped(true);
              go('profiles');
            }}
          >
            Skip setup
          </button>
        }
      >
        From an empty vault to an agent with its token, in five steps. You can leave at any time: this guide picks up where you stopped.
      </PageHeader>
      <p className="muted" role="status">
        {done} of {steps.length} steps done.
      </p>
      <ol className="setup-steps" aria-label="Setup steps">
        {steps.map((s, i) => (
          <li key={s.id} className={`setup-step${s.done ? ' done' : ''}${s === next ? ' next' : ''}`} aria-current={s === next ? 'step' : undefined}>
            <span className="setup-mark" aria-hidden="true">
              {s.done ? '✓' : i + 1}
            </span>
            <div className="setup-body">
              <h2>
                {s.title}
                <span className="sr-only">{s.done ? ' (done)' : s === next ? ' (next)' : ''}</span>
              </h2>
              <p className="muted small">{WHY[s.id]}</p>
            </div>
            <div className="setup-action">{action(s)}</div>
          </li>
        ))}
      </ol>
      <ErrorNote error={copyToken.error} />
    </div>
  );
}

export const resumeSetup = () => setSkipped(false);
