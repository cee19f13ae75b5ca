import { z } from 'zod';
import { AuthToken, SyncType } from '../../shared/domain';
import type { HttpClient } from './http';
import { notFoundAsRejected, type RemoteResult } from './remote-errors';

/** The body of POST /api/upsert_agent_auth_profile (seeds/kura-upsert-agent-auth-profile.txt). */
export const KuraUpsertRequest = z.object({
  agent_id: z.string(),
  api_key: z.string(),
  auth_data: z.record(z.string(), z.string()),
  name: z.string(),
  should_save_session: z.boolean(),
  /** Present: update the profile behind this token. Absent: create (or replace) by agent_id + name. */
  auth_token: z.string().optional(),
});
export type KuraUpsertRequest = z.infer<typeof KuraUpsertRequest>;

/** What Kura answers; extra fields are tolerated and dropped. */
export const KuraUpsertResponse = z.object({
  // Checked like every credential: a token with a line break or an escape sequence could not be
  // put in an environment variable, exported in a bundle or printed safely.
  auth_token: AuthToken,
  name: z.string(),
  type: SyncType,
});
export type KuraUpsertResponse = z.infer<typeof KuraUpsertResponse>;

// The seed promises a token for new profiles and that an update keeps the original one, but does
// not say an update's answer repeats it; when it does not, the token sent is still the token.
const KuraUpdateAnswer = KuraUpsertResponse.extend({ auth_token: AuthToken.optional() });

/**
 * Creates, replaces or updates one agent auth profile. The result always carries the token to
 * keep: a fresh one for create/replace, for update the one the server names or else the one sent.
 *
 * A `notFound` failure happens only for an update: the profile behind the token is gone (deleted,
 * or replaced by a create of the same name). For a create, a 404 (unknown agent, wrong base URL)
 * is `rejected`. A 401 is `credentials` (the API key); a 403 is `rejected` with status 403.
 */
export async function upsertAuthProfile(
  http: HttpClient,
  req: KuraUpsertRequest,
  options: { signal?: AbortSignal } = {},
): Promise<RemoteResult<KuraUpsertResponse>> {
  const sentToken = req.auth_token;
  const isUpdate = sentToken !== undefined;
  const secrets = [req.api_key, ...Object.values(req.auth_data), ...(isUpdate ? [sentToken] : [])];
  const result = await http.request({
    method: 'POST',
    path: '/api/upsert_agent_auth_profile',
    json: req,
    schema: isUpdate ? KuraUpdateAnswer : KuraUpsertResponse,
    secrets,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  if (!result.ok) {
    if (result.kind === 'credentials' && result.status === 403) {
      // Kura answers each request on its own: a 403 names this request (a token bound to another
      // agent), not necessarily the API key. The sync engine pauses the connection only when every
      // request of a run was refused (KURA_FORBIDDEN_RULE in pass-context.ts).
      const said = result.serverMessage === undefined ? '.' : `: ${result.serverMessage.replace(/\.$/, '')}.`;
      // The token this profile holds does not open it for this agent: a new one is the way out.
      const remedy = isUpdate ? ' Re-create it to get a token for this agent.' : '';
      return { ...result, kind: 'rejected', message: `Kura refused this profile (HTTP 403)${said}${remedy}` };
    }
    if (result.kind !== 'notFound') return result;
    if (isUpdate) {
      return {
        ...result,
        message:
          'Kura no longer has this profile (HTTP 404): it was deleted, or replaced by a new profile with the same name. Re-create it to get a new token.',
      };
    }
    return notFoundAsRejected(result, 'Kura rejected the request');
  }

  const { auth_token, name, type } = result.body;
  const expected: readonly SyncType[] = isUpdate ? ['update'] : ['create', 'replace'];
  if (!expected.includes(type)) {
    return {
      ok: false,
      kind: 'badResponse',
      status: 200,
      message: `Kura answered "${type}" to ${isUpdate ? 'an update' : 'a create'} request, which its API does not allow.`,
    };
  }
  // The answer is about the profile sent: another name, or an update that hands back a token
  // other than the one it keeps valid, would give this profile another profile's token.
  const mismatch =
    name !== req.name
      ? `Kura answered about a profile named otherwise than the one sent`
      : isUpdate && auth_token !== undefined && auth_token !== sentToken
        ? 'Kura answered an update with a token other than the one sent, which its API keeps valid on update'
        : null;
  if (mismatch !== null) return { ok: false, kind: 'badResponse', status: 200, message: `${mismatch}; Keyhold kept the token it holds.` };
  // Only an update's answer may lack the token (its schema makes it optional), and then the
  // token sent stays valid.
  return { ok: true, body: { auth_token: (auth_token ?? sentToken) as string, name, type } };
}
