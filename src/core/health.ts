import { createHash } from 'node:crypto';
import type { HealthFinding } from '../shared/contract';
import { REMOTE_LABEL, undeclaredKeys } from '../shared/domain';
import { compareText, plural } from '../shared/text';
import { permissionProblem } from './vault/permissions';
import type { Vault } from './vault/vault';

export interface HealthOptions {
  /** BYOK keys whose current version is older than this are flagged. */
  keyMaxAgeDays: number;
  now: number;
  /** Drafts never pushed and untouched for this long are flagged. */
  staleDraftDays?: number;
}

export const STALE_DRAFT_DAYS = 7;

/** How far ahead of an expiry or a rotation date Health and `status` start to warn. */
export const EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 24 * 60 * 60 * 1000;

// A BYOK key's health is `probeHealth` (src/shared/domain.ts): its last probe, never its status word.

const SEVERITY_ORDER = { problem: 0, warning: 1 } as const;

const days = (ms: number): number => Math.floor(ms / DAY_MS);

/**
 * BYOK keys past or near their expiry date or their rotation date (last change + rotation period):
 * a problem once past, a warning within EXPIRY_WARNING_DAYS.
 */
export function expiryFindings(vault: Vault, now: number): HealthFinding[] {
  const findings: HealthFinding[] = [];
  const check = (at: number, finding: Omit<HealthFinding, 'severity' | 'message' | 'rule'>, subject: string, what: 'expires' | 'rotation') => {
    const left = at - now;
    if (left > EXPIRY_WARNING_DAYS * DAY_MS) return;
    const day = new Date(at).toISOString().slice(0, 10);
    const message =
      left < 0
        ? `${subject} ${what === 'expires' ? 'expired' : 'was due for rotation'} on ${day}. Rotate it.`
        : `${subject} ${what === 'expires' ? 'expires' : 'is due for rotation'} on ${day}, in ${plural(Math.max(1, Math.ceil(left / DAY_MS)), 'day')}. Rotate it before then.`;
    findings.push({ ...finding, severity: left < 0 ? 'problem' : 'warning', rule: 'key-expiry', message });
  };
  for (const p of vault.profiles.list()) {
    for (const [key, e] of Object.entries(p.expiry ?? {})) {
      const where = { kind: 'profile' as const, id: p.id, ref: `${p.agentId}/${p.name}` };
      if (e.expiresAt !== undefined) check(Date.parse(e.expiresAt), where, `The value of ${key}`, 'expires');
      if (e.rotateDays !== undefined) check(Date.parse(e.since) + e.rotateDays * DAY_MS, where, `The value of ${key}`, 'rotation');
    }
  }
  for (const k of vault.byok.list()) {
    const where = { kind: 'byok' as const, id: k.id, ref: k.kind };
    if (k.expiresAt !== undefined) check(Date.parse(k.expiresAt), where, 'This key', 'expires');
    if (k.rotateDays !== undefined) check(Date.parse(k.updatedAt) + k.rotateDays * DAY_MS, where, 'This key', 'rotation');
  }
  return findings;
}

/**
 * Looks over the unlocked vault for things a person should act on. Keys are compared inside this
 * function (by digest) and never appear in a finding; messages name items, kinds and key names only.
 */
export function healthReport(vault: Vault, options: HealthOptions): HealthFinding[] {
  const { now } = options;
  const staleDraftMs = (options.staleDraftDays ?? STALE_DRAFT_DAYS) * DAY_MS;
  const findings: HealthFinding[] = [];

  const profiles = vault.profiles.list();
  const keys = vault.byok.list();

  // What `doctor` and every CLI command warn about, where the window shows it.
  const exposed = permissionProblem(vault.dir);
  if (exposed !== null) {
    findings.push({
      severity: 'problem',
      rule: 'vault-files-open',
      kind: 'vault',
      id: vault.dir,
      ref: vault.dir,
      message: `${exposed} Make the vault's folder and files readable by you only (chmod go-rwx).`,
    });
  }

  for (const remote of vault.remotes.list()) {
    if (!remote.paused) continue;
    const label = REMOTE_LABEL[remote.kind];
    findings.push({
      severity: 'problem',
      rule: 'remote-paused',
      kind: 'remote',
      id: remote.kind,
      ref: label,
      message: `The ${label} connection is paused${remote.pausedReason ? ` (${remote.pausedReason})` : ''}: nothing is pushed to it until its credentials are updated.`,
    });
  }

  for (const p of profiles) {
    const ref = `${p.agentId}/${p.name}`;
    if (p.syncState === 'failed') {
      findings.push({
        severity: 'problem',
        rule: 'sync-failed',
        kind: 'profile',
        id: p.id,
        ref,
        message: p.lastError ? `Sync failed: ${p.lastError}` : 'Sync failed; retry it or edit the profile.',
      });
    }
    // Declared after the profile was made: Kura will refuse these keys at the next push.
    const agent = vault.agents.get(p.agentId);
    const undeclared = undeclaredKeys(agent?.args, p.keys);
    if (undeclared.length > 0) {
      findings.push({
        severity: 'problem',
        rule: 'undeclared-keys',
        kind: 'profile',
        id: p.id,
        ref,
        message: `Agent "${p.agentId}" does not declare ${undeclared.map((k) => `"${k}"`).join(', ')}; Kura will reject this profile until the keys match the agent's arguments.`,
      });
    }
    const age = now - Date.parse(p.updatedAt);
    if (p.syncState === 'draft' && !p.hasToken && p.lastSyncType === null && age > staleDraftMs) {
      findings.push({
        severity: 'warning',
        rule: 'stale-draft',
        kind: 'profile',
        id: p.id,
        ref,
        message: `A draft for ${plural(days(age), 'day')} that was never synced. Mark it ready, or delete it.`,
      });
    }
  }

  const digestOf = new Map<string, string>();
  const kindsOf = new Map<string, string[]>();
  for (const k of keys) {
    if (k.syncState === 'failed') {
      findings.push({
        severity: 'problem',
        rule: 'sync-failed',
        kind: 'byok',
        id: k.id,
        ref: k.kind,
        message: k.lastError ? `Sync failed: ${k.lastError}` : 'Sync failed; retry it or set a new key.',
      });
    }
    if (k.probeHealth === 'failing' && k.syncState !== 'failed') {
      findings.push({
        severity: 'problem',
        rule: 'failed-probe',
        kind: 'byok',
        id: k.id,
        ref: k.kind,
        message: `Backside's last check of this key failed${k.lastProbe?.message ? `: ${k.lastProbe.message}` : '.'}`,
      });
    }
    const age = now - Date.parse(k.updatedAt);
    if (age > options.keyMaxAgeDays * DAY_MS) {
      findings.push({
        severity: 'warning',
        rule: 'old-key',
        kind: 'byok',
        id: k.id,
        ref: k.kind,
        message: `This key was last changed ${plural(days(age), 'day')} ago (the limit is ${options.keyMaxAgeDays}). Consider rotating it.`,
      });
    }
    if (k.syncState === 'draft' && !k.localOnly && k.lastSyncType === null && age > staleDraftMs) {
      findings.push({
        severity: 'warning',
        rule: 'stale-draft',
        kind: 'byok',
        id: k.id,
        ref: k.kind,
        message: `A draft for ${plural(days(age), 'day')} that was never synced. Mark it ready, or delete it.`,
      });
    }
    // A digest, so the grouping maps never hold a second plaintext copy of every key.
    const digest = createHash('sha256').update(vault.byok.load(k.id).secrets.apiKey, 'utf8').digest('hex');
    digestOf.set(k.id, digest);
    kindsOf.set(digest, [...(kindsOf.get(digest) ?? []), k.kind]);
  }
  findings.push(...expiryFindings(vault, now));
  for (const k of keys) {
    const sharing = (kindsOf.get(digestOf.get(k.id) ?? '') ?? []).filter((kind) => kind !== k.kind);
    if (sharing.length === 0) continue;
    findings.push({
      severity: 'warning',
      rule: 'reused-key',
      kind: 'byok',
      id: k.id,
      ref: k.kind,
      message: `The same API key is also used for ${sharing.map((s) => `"${s}"`).join(', ')}. A separate key per agent kind limits what one leak exposes.`,
    });
  }

  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || compareText(a.rule, b.rule) || compareText(a.ref, b.ref));
}
