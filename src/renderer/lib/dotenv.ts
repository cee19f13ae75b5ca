// A small .env reader for the paste box. The renderer may not import dotenv (DESIGN.md layers);
// this follows the same rules for the common cases: comments, `export`, single, double and
// backtick quotes, escapes in double quotes, multi-line quoted values, inline comments.

export interface EnvEntry {
  key: string;
  value: string;
}

export interface EnvParse {
  entries: EnvEntry[];
  /** Line numbers (1-based) that were not KEY=VALUE, so the person can see what was skipped. */
  skipped: number[];
}

const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s?/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\])/g, (_, c: string) => ESCAPES[c] ?? c);
}

/** Index of the closing quote; inside double quotes a backslash escapes the next character. */
function closing(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

export function parseDotenv(text: string): EnvParse {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const entries = new Map<string, string>();
  const skipped: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = KEY.exec(line);
    if (!m || m[1] === undefined) {
      skipped.push(i + 1);
      continue;
    }
    const key = m[1];
    let rest = line.slice(m[0].length).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      let body = rest.slice(1);
      let end = closing(body, quote);
      // A quoted value may run over several lines, up to its closing quote.
      const start = i;
      while (end === -1 && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i] ?? ''}`;
        end = closing(body, quote);
      }
      if (end === -1) {
        skipped.push(start + 1);
        continue;
      }
      const raw = body.slice(0, end);
      entries.set(key, quote === '"' ? unescapeDouble(raw) : raw);
      continue;
    }
    const hash = rest.startsWith('#') ? 0 : rest.search(/\s#/);
    if (hash !== -1) rest = rest.slice(0, hash);
    entries.set(key, rest.trim());
  }
  return { entries: [...entries].map(([key, value]) => ({ key, value })), skipped };
}

/** True when pasted text looks like a .env block rather than one key name. */
export const looksLikeDotenv = (text: string): boolean => /\n/.test(text.trim()) || /^[A-Za-z_][\w.-]*\s*=/.test(text.trim());
