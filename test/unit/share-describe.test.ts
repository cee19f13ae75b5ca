import { describe, expect, it } from 'vitest';
import { describeByokDiff, describeProfileDiff } from '../../src/shared/share';

// One wording for the CLI's import preview and the window's preview table.
describe('describing what differs in an import, by name only', () => {
  it('names every kind of profile difference in a fixed order', () => {
    expect(describeProfileDiff({ changed: ['PASSWORD', 'USER'], added: ['REGION'], removed: ['OTP'], saveSession: true, authToken: true })).toBe(
      'values of PASSWORD, USER; only in the file: REGION; only here: OTP; save-session flag; Kura token',
    );
    expect(describeProfileDiff({ changed: [], added: [], removed: [], saveSession: true, authToken: false })).toBe('save-session flag');
  });

  it('names what differs in a BYOK key', () => {
    expect(describeByokDiff(['apiKey'])).toBe('API key');
    expect(describeByokDiff(['provider', 'apiKey'])).toBe('provider and API key');
  });
});
