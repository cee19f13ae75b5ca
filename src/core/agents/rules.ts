/*
 * Key formats, after gitleaks' default rule set (config/gitleaks.toml; each rule below names the
 * gitleaks rule id it follows). secretlint's recommended preset covers fewer of these providers
 * and runs as asynchronous plugins over a whole document; a scan of a home directory needs one
 * compiled pass per line, so the table is kept here, small and cited. The patterns are slightly
 * looser than gitleaks' where providers have changed lengths over time; the entropy floor keeps
 * placeholders like "sk-xxxxxxxx…" out.
 */

export type KeyProvider = 'anthropic' | 'openai' | 'google' | 'other';

export interface KeyRule {
  /** Stable id, reported in findings and `--json`. */
  id: string;
  /** The gitleaks rule this one follows. */
  gitleaks: string;
  label: string;
  /** Which BYOK provider the key belongs to, if it is a model provider's key. */
  provider: KeyProvider | null;
  /** Unanchored; no capture groups. */
  pattern: string;
  /** Shannon entropy (bits per character) the match must reach. */
  minEntropy: number;
}

export const KEY_RULES: readonly KeyRule[] = [
  {
    id: 'anthropic-api-key',
    gitleaks: 'anthropic-api-key, anthropic-admin-api-key',
    label: 'Anthropic API key',
    provider: 'anthropic',
    pattern: 'sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}',
    minEntropy: 3.5,
  },
  {
    id: 'openai-api-key',
    gitleaks: 'openai-api-key',
    label: 'OpenAI API key',
    provider: 'openai',
    pattern: 'sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}',
    minEntropy: 3.5,
  },
  {
    id: 'github-pat',
    gitleaks: 'github-pat, github-oauth, github-app-token, github-refresh-token',
    label: 'GitHub token',
    provider: null,
    pattern: 'gh[pousr]_[A-Za-z0-9]{36}',
    minEntropy: 3,
  },
  {
    id: 'github-fine-grained-pat',
    gitleaks: 'github-fine-grained-pat',
    label: 'GitHub fine-grained token',
    provider: null,
    pattern: 'github_pat_[A-Za-z0-9_]{82}',
    minEntropy: 3,
  },
  {
    id: 'aws-access-token',
    gitleaks: 'aws-access-token',
    label: 'AWS access key id',
    provider: null,
    pattern: '(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}',
    minEntropy: 3,
  },
  {
    id: 'slack-token',
    gitleaks: 'slack-bot-token, slack-user-token, slack-app-token, slack-legacy-token',
    label: 'Slack token',
    provider: null,
    pattern: 'xox[abeoprs]-[0-9A-Za-z-]{20,}|xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]+',
    minEntropy: 3,
  },
  {
    id: 'stripe-access-token',
    gitleaks: 'stripe-access-token',
    label: 'Stripe secret key',
    provider: null,
    pattern: '(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}',
    minEntropy: 3,
  },
  {
    id: 'gcp-api-key',
    gitleaks: 'gcp-api-key',
    label: 'Google API key',
    provider: 'google',
    pattern: 'AIza[A-Za-z0-9_-]{35}',
    minEntropy: 3,
  },
];

/** A value under a secret-sounding name, in a place that sets variables, that matches no known format. */
export const GENERIC_RULE = {
  id: 'generic-secret',
  gitleaks: 'generic-api-key',
  label: 'Secret-looking value',
  provider: null,
  minEntropy: 3.5,
  minLength: 16,
} as const;

/**
 * A password in the userinfo of a URL of any scheme (`postgres://user:PASSWORD@host`), under any
 * name: detect-secrets' BasicAuthDetector ("Basic Auth Credentials"); gitleaks has no such rule.
 * Also a credential in its query (`?password=…`, `&api_key=…`) or fragment (`#access_token=…`): one
 * kind, as all are a URL that carries its own credential and moves whole. devflow/url-password.ts finds them.
 */
export const URL_PASSWORD_RULE = {
  id: 'url-password',
  label: 'Password in URL',
  provider: null,
} as const;

/**
 * HTTP request headers that carry a credential, by name in any case: RFC 9110's Authorization and
 * Proxy-Authorization, Cookie, and the key and token headers services define (`X-API-Key`,
 * `Api-Key`, `x-goog-api-key`, `Ocp-Apim-Subscription-Key`, `X-Auth-Token`, `X-Access-Token`,
 * GitLab's `PRIVATE-TOKEN`). In a config's `headers` (a remote MCP server's), such a value is a
 * credential whatever its format: nothing but a secret is sent there. The first that names a header
 * gives its kind; headers.ts reads them.
 */
export const HEADER_RULES: readonly { id: string; label: string; header: RegExp }[] = [
  { id: 'authorization-header', label: 'Authorization header', header: /^authorization$/i },
  { id: 'proxy-authorization-header', label: 'Proxy-Authorization header', header: /^proxy-authorization$/i },
  { id: 'cookie-header', label: 'Cookie header', header: /^cookie$/i },
  { id: 'api-key-header', label: 'API key header', header: /(?:^|[-_])(?:api|auth|access|secret|subscription|private)[-_]?key$/i },
  { id: 'token-header', label: 'Token header', header: /(?:^|[-_])(?:token|secret|password|passwd)$/i },
];

/**
 * Codex's `bearer_token` of a remote server, which it sends as `Authorization: Bearer …`; and a
 * value `Bearer TOKEN` anywhere else (headers.ts, `isBearerCredential`).
 */
export const BEARER_TOKEN_RULE = { id: 'bearer-token', label: 'Bearer token', provider: null } as const;

/**
 * The variable names gitleaks' generic-api-key rule looks for (its "keywords"), as one test; and a
 * name that ends in one glued to what it belongs to, as tools and configs write them (`PGPASSWORD`,
 * `dbPassword`, `gpgPassphrase`, `clientSecret`, `accessToken`, `apiKey`).
 */
export const SECRET_NAME =
  /(?:^|_|-)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PWD|PAT|CREDENTIALS?|AUTH|APIKEY|ACCESS_?KEY)(?:$|_|-)|(?:API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE)$/i;

/** One alternation of every rule, for scanning free text (and for the benchmark's ripgrep run). */
export const ALL_RULES_PATTERN = KEY_RULES.map((r) => `(?:${r.pattern})`).join('|');

/** Shannon entropy of the characters of `text`, in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = [...text].length;
  for (const c of counts.values()) {
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}
