import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SyncStatus, SyncSummary } from '../shared/sync';
import { errorText, useApi } from './api';
import { qk } from './queries';
import { useAppState } from './state';

export function useAgents() {
  const api = useApi();
  return useQuery({ queryKey: qk.agents, queryFn: () => api.agentsList() });
}

export function useSyncStatus() {
  const api = useApi();
  return useQuery({ queryKey: qk.syncStatus, queryFn: () => api.syncStatus() });
}

/** Invalidates everything an item change can affect. */
export function useInvalidateItems() {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: qk.profiles });
    void qc.invalidateQueries({ queryKey: qk.byok });
    void qc.invalidateQueries({ queryKey: qk.syncStatus });
    void qc.invalidateQueries({ queryKey: qk.health });
    void qc.invalidateQueries({ queryKey: qk.trash });
  };
}

function describe(summary: SyncSummary, status: SyncStatus | null): { tone: 'success' | 'info' | 'error'; text: string } {
  const parts: string[] = [];
  if (summary.pushed.length) parts.push(`${summary.pushed.length} sent`);
  if (summary.pending.length) parts.push(`${summary.pending.length} still waiting`);
  if (summary.failed.length) parts.push(`${summary.failed.length} failed`);
  const c = status?.counts;
  const open = c ? { pending: c.profile.pending + c.byok.pending, failed: c.profile.failed + c.byok.failed } : { pending: 0, failed: 0 };
  let head: string;
  if (parts.length) head = `Sync finished: ${parts.join(', ')}.`;
  else if (open.failed || open.pending) {
    head = `Nothing new was sent. ${[open.failed ? `${open.failed} failed` : '', open.pending ? `${open.pending} waiting` : ''].filter(Boolean).join(', ')}: see Sync.`;
  } else head = 'Everything is in sync.';
  const replaced = summary.replaced.filter((r) => r.replacedForeign);
  const tail = replaced.length ? ` Kura already had ${replaced.map((r) => r.ref).join(', ')}; it was replaced and its old token no longer works.` : '';
  const firstPending = summary.pending[0]?.reason;
  const why = summary.pending.length && firstPending ? ` ${firstPending}` : '';
  const tone = summary.failed.length || open.failed ? 'error' : summary.pending.length || open.pending || replaced.length ? 'info' : 'success';
  return { tone, text: `${head}${tail}${why}` };
}

/**
 * Runs a sync pass and tells the person how it went. The sync button reports every outcome;
 * "Save and sync" (quiet) speaks up only when something did not go through, since the item's
 * badge already shows success.
 */
export function useSyncNow({ quiet = false }: { quiet?: boolean } = {}) {
  const api = useApi();
  const { toast, markSynced } = useAppState();
  const invalidate = useInvalidateItems();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const summary = await api.syncNow();
      const status = await api.syncStatus().catch(() => null);
      return { summary, status };
    },
    onSuccess: ({ summary, status }) => {
      if (summary.pending.length === 0) markSynced();
      if (status) qc.setQueryData(qk.syncStatus, status);
      const { tone, text } = describe(summary, status);
      if (!quiet || tone !== 'success') toast(tone, text);
    },
    onError: (e) => toast('error', `Sync did not run. ${errorText(e)}`),
    onSettled: () => {
      invalidate();
      void qc.invalidateQueries({ queryKey: qk.remotes });
    },
  });
}
