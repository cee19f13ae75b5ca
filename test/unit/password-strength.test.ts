import { describe, expect, it } from 'vitest';
import { estimatePassword, STRONG_ENOUGH } from '../../src/core/password-strength';

describe('password strength (zxcvbn-ts, shared by the CLI and the window)', () => {
  it('grades from too short to strong', () => {
    expect(estimatePassword('abc')).toEqual({ score: 0, label: 'Too short', strongEnough: false });
    expect(estimatePassword('password12').score).toBeLessThanOrEqual(1);
    expect(estimatePassword('qwertyuiop123').strongEnough).toBe(false);
    expect(estimatePassword('aaaaaaaaaaaaaaaa').score).toBeLessThan(estimatePassword('violet Anchor 42 ferry-lamp').score);
    const strong = estimatePassword('violet Anchor 42 ferry-lamp');
    expect(strong).toEqual({ score: 4, label: 'Strong', strongEnough: true });
    expect(STRONG_ENOUGH).toBeLessThanOrEqual(strong.score);
  });

  it('stays quick and sane for very long input', () => {
    expect(estimatePassword('x'.repeat(1024)).score).toBeGreaterThanOrEqual(0);
  });
});
