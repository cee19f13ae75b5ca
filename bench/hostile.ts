import { detectDotenv, detectJson, detectText } from '../src/core/agents';
import { urlCredentialParts } from '../src/core/devflow/url-password';
import { redactDeep } from '../src/core/sync/remote-errors';
import { median, report, time, type Row } from './harness';

/**
 * Hostile values whose answer a backtracking pattern could take far more than linear time to
 * reach (the tests' hostile tables, test/unit/agents-url-*.test.ts, at two sizes). Each is read the
 * ways a value is read: a .env line, free text, a JSON env block, and run's masking of URL
 * credentials. Linear work at 100 KB takes ten times its 10 KB time; the row's baseline is that
 * extrapolation, so a quadratic reader shows as about 10×. The tests only guard against a hang.
 */
const SHAPES: [string, (kb: number) => string][] = [
  ['"@" after the colon, no host', (kb) => `postgres://u:${'@'.repeat(kb * 1000)}`],
  ['a password with no "@" in reach', (kb) => `postgres://u:${'a'.repeat(kb * 1000)}@`],
  ['runs of "://"', (kb) => 'a://'.repeat(kb * 250)],
  ['URLs glued into one stretch', (kb) => 'a://b:c@'.repeat(kb * 125)],
  ['"/" and runs of "@" after each password', (kb) => `p://u:p/${'@'.repeat(10)}`.repeat(kb * 50)],
  ['runs of ":"', (kb) => `${':'.repeat(kb * 1000)}//`],
  ['a long host', (kb) => `postgres://u:pw-0123456789@${'h'.repeat(kb * 1000)}`],
  ['a query of "&"', (kb) => `https://h/?${'&'.repeat(kb * 1000)}`],
  ['a parameter of "="', (kb) => `https://h/?token${'='.repeat(kb * 1000)}`],
  ['credential parameters', (kb) => `https://h/?${'token=a1&'.repeat(kb * 125)}`],
  ['"?token=x" glued into one stretch', (kb) => 'a://h?token=x1'.repeat(kb * 100)],
  ['a long parameter name', (kb) => `https://h/?${'p'.repeat(kb * 1000)}word=x1`],
  ['a query without "?"', (kb) => `https://h/${'token=x&'.repeat(kb * 125)}`],
  ['a fragment of "#", "&" and "="', (kb) => `https://h/#${'#&='.repeat(kb * 333)}`],
];

const RUNS = 5;

function readAllWays(value: string): number {
  let found = 0;
  found += detectDotenv(`SERVICE_URL=${value}\n`).length;
  found += detectText(value).length;
  found += detectJson(JSON.stringify({ env: { SERVICE_URL: value } })).length;
  found += urlCredentialParts(value).length;
  return found;
}

const timed = (value: string): number => median(Array.from({ length: RUNS }, () => time(() => readAllWays(value)).ms));

export async function benchHostile(): Promise<void> {
  // Warm the readers once so the first shape does not pay for compiling them.
  readAllWays(SHAPES[0]![1](10));
  const rows: Row[] = SHAPES.map(([what, make]) => {
    const small = timed(make(10));
    const large = timed(make(100));
    return {
      metric: `${what}: 100 KB vs ten times 10 KB (linear)`,
      keyhold: large,
      baseline: 10 * small,
      unit: 'ms',
      target: '≤ 2× (linear)',
      pass: large <= 2 * 10 * small,
    };
  });
  rows.push(redactAnswer());
  report('hostile', rows, [
    `Each value read four ways (a .env line, free text, a JSON env block, run's masking of URL credentials); medians of ${RUNS}. A ratio near 1× is linear, near 10× quadratic.`,
    "The server answer: Backside's row of a key is kept with every string in it redacted (redactDeep), every form of the key, the connection's token and a URL's password; the floor parses the same text.",
  ]);
}

/** A server that answers with many strings (a listing, an echo): each one is redacted before it is kept. */
function redactAnswer(): Row {
  const secrets = [`sk-ant-api03-${'x'.repeat(80)}`, `tok_${'y'.repeat(40)}`, 'postgres://app:pa55-w0rd@db/shop'];
  const text = JSON.stringify({ rows: Array.from({ length: 6000 }, (_, i) => ({ name: `item-${i}`, note: 'nothing secret here' })) });
  const parsed: unknown = JSON.parse(text);
  redactDeep(parsed, secrets);
  const keyhold = median(Array.from({ length: RUNS }, () => time(() => redactDeep(parsed, secrets)).ms));
  const floor = median(Array.from({ length: RUNS }, () => time(() => JSON.parse(text) as unknown).ms));
  return {
    metric: `a server answer of ${(text.length / 1000).toFixed(0)} KB (6,000 rows, 24,001 strings), every string redacted of 3 secrets vs JSON.parse of it`,
    keyhold,
    baseline: floor,
    unit: 'ms',
    target: 'informational',
    pass: true,
  };
}
