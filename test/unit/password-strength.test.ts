import { describe, expect, it } from 'vitest';
import { describePasswordStrength, MIN_PASSWORD_SCORE } from '../../src/shared/password-strength';

describe('password strength as a form shows it (zxcvbn-ts, shared by the CLI and the window)', () => {
  it('grades from too short to strong', async () => {
    expect(await describePasswordStrength('abc')).toEqual({ score: 0, label: 'Too short', strongEnough: false });
    expect((await describePasswordStrength('password12')).score).toBeLessThanOrEqual(1);
    expect((await describePasswordStrength('qwertyuiop123')).strongEnough).toBe(false);
    expect((await describePasswordStrength('aaaaaaaaaaaaaaaa')).score).toBeLessThan((await describePasswordStrength('violet Anchor 42 ferry-lamp')).score);
    const strong = await describePasswordStrength('violet Anchor 42 ferry-lamp');
    expect(strong).toEqual({ score: 4, label: 'Strong', strongEnough: true });
    expect(MIN_PASSWORD_SCORE).toBeLessThanOrEqual(strong.score);
  });

  it('stays quick and sane for very long input', async () => {
    expect((await describePasswordStrength('x'.repeat(1024))).score).toBeGreaterThanOrEqual(0);
  });
});
