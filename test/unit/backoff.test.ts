import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffCeiling, backoffDelay, nextRetryDelay, parseRetryAfter, type BackoffPolicy } from '../../src/core/sync/backoff';

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const attempt = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1_000_000 }));
const policy: fc.Arbitrary<BackoffPolicy> = fc
  .record({ baseMs: fc.integer({ min: 1, max: 60_000 }), capMs: fc.integer({ min: 1, max: 24 * 3600_000 }) })
  .filter((p) => p.baseMs <= p.capMs);

describe('backoffDelay', () => {
  it('always lies within [0, min(cap, base·2^attempt)]', () => {
    fc.assert(
      fc.property(attempt, unit, policy, (n, r, p) => {
        const d = backoffDelay(n, () => r, p);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(p.capMs, p.baseMs * 2 ** n));
        expect(d).toBeLessThanOrEqual(p.capMs);
        expect(Number.isInteger(d)).toBe(true);
      }),
    );
  });

  it('is full jitter: the random draw spans the whole window', () => {
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.5)).toBe(4_000);
    expect(backoffDelay(3, () => 0.999_999)).toBe(7_999);
  });

  it('grows exponentially up to the cap', () => {
    expect([0, 1, 2, 3].map((n) => backoffCeiling(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffCeiling(9)).toBe(DEFAULT_BACKOFF.capMs);
    expect(backoffCeiling(5_000)).toBe(DEFAULT_BACKOFF.capMs);
  });

  it('treats a negative or NaN attempt count as the first retry and survives a bad random source', () => {
    expect(backoffCeiling(-3)).toBe(1_000);
    expect(backoffCeiling(Number.NaN)).toBe(1_000);
    expect(backoffDelay(Number.POSITIVE_INFINITY, () => 0.5)).toBe(DEFAULT_BACKOFF.capMs / 2);
    expect(backoffDelay(2, () => 7)).toBe(4_000);
    expect(backoffDelay(2, () => -1)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7_000);
  });

  it('reads an HTTP-date relative to now, and a past date as now', () => {
    expect(parseRetryAfter('Thu, 15 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thursday, 15-Jan-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 14 Jan 2026 12:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    for (const v of [undefined, null, '', '-5', '1.5', '+3', 'soon', '12abc', 'Mon, 99 Foo 2026 99:99:99 GMT']) {
      expect(parseRetryAfter(v, now)).toBeUndefined();
    }
  });

  it('round-trips any date written in IMF-fixdate form, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: -86_400, max: 7 * 86_400 }), (offsetS) => {
        const at = now + offsetS * 1000;
        expect(parseRetryAfter(new Date(at).toUTCString(), now)).toBe(Math.max(0, at - now));
      }),
    );
  });
});

describe('nextRetryDelay', () => {
  it('honours Retry-After, never exceeds the cap, never undercuts the backoff', () => {
    fc.assert(
      fc.property(attempt, unit, policy, fc.option(fc.integer({ min: 0, max: 48 * 3600_000 }), { nil: undefined }), (n, r, p, ra) => {
        const d = nextRetryDelay({ attempt: n, retryAfterMs: ra, random: () => r, policy: p });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(p.capMs);
        expect(d).toBeGreaterThanOrEqual(Math.min(p.capMs, ra ?? 0));
        expect(d).toBeGreaterThanOrEqual(backoffDelay(n, () => r, p));
      }),
    );
  });

  it('waits as long as the server asked when that is longer than the backoff', () => {
    expect(nextRetryDelay({ attempt: 0, retryAfterMs: 45_000, random: () => 0.5 })).toBe(45_000);
    expect(nextRetryDelay({ attempt: 0, retryAfterMs: 3_600_000, random: () => 0.5 })).toBe(DEFAULT_BACKOFF.capMs);
    expect(nextRetryDelay({ attempt: 4, retryAfterMs: 1_000, random: () => 0.5 })).toBe(8_000);
  });
});
