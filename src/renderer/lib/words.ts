// The window speaks to a person, not to a terminal or a protocol log. Messages from the engine are
// neutral, but some still carry an HTTP status, a command line to run or a schema library's
// wording; this turns those into plain words, in one place, for every message the window shows.

const ZOD_WORDING: [RegExp, string][] = [
  [/^Invalid input: expected (?:string|number|boolean), received (?:undefined|null)$/i, 'This is required.'],
  [/^Too small: expected string to have >=1 characters?$/i, 'This is required.'],
  [/^Too small: expected string to have >=(\d+) characters$/i, 'Use at least $1 characters.'],
  [/^Too big: expected string to have <=(\d+) characters$/i, 'Use at most $1 characters.'],
  [/^Too big: expected array to have <=(\d+) items$/i, 'At most $1 are allowed.'],
  [/^Invalid (?:input|string|format)[^.]*$/i, 'This is not in the expected form.'],
  [/^Invalid URL$/i, 'Enter a full address, starting with https://.'],
  [/^Unrecognized keys?:.*$/i, 'This holds something Keyhold does not expect.'],
];

export function plain(text: string | null | undefined): string {
  if (!text) return '';
  let t = text.trim();
  for (const [pattern, words] of ZOD_WORDING) if (pattern.test(t)) return t.replace(pattern, words);
  t = t
    // "(HTTP 422)", "HTTP 401: …", "status 500"
    .replace(/\s*\((?:HTTP|status) \d{3}\)/gi, '')
    .replace(/\bHTTP \d{3}:?\s*/gi, '')
    .replace(/\bstatus \d{3}\b/gi, 'an error')
    // '(see "keyhold profile list")' and whole sentences that tell someone to run a command
    .replace(/\s*\((?:see |run )?[`"]keyhold [^`"]*[`"]\)/gi, '')
    .replace(/\s*,?\s*(?:set one|create one|declare (?:them|the arguments)) with [`"]keyhold [^`"]*[`"]/gi, '')
    .replace(/[^.!?]*[`"]keyhold [^`"]*[`"][^.!?]*[.!?]?/gi, '')
    .replace(/\s*\bpass --[a-z-]+(?: [a-z-]+)?/gi, '')
    .replace(/\s{2,}/g, ' ')
    .replace(/\s+([.,;:])/g, '$1')
    .replace(/:\s*\./g, '.')
    .trim();
  return t;
}
