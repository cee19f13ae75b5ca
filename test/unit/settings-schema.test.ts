import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, storedSettingsJsonSchema, StoredSettings } from '../../src/shared/settings';

// electron-store validates the settings file with this JSON Schema; the UI validates with zod.
// Both come from StoredSettings, so a value one accepts the other accepts too.
const validate = new Ajv({ useDefaults: true }).compile({ type: 'object', properties: storedSettingsJsonSchema(), additionalProperties: false });

describe('the settings file schema', () => {
  it('is derived from the zod schema, defaults included', () => {
    const file: Record<string, unknown> = {};
    expect(validate(file)).toBe(true);
    expect(file).toEqual(DEFAULT_SETTINGS);
    expect(StoredSettings.parse(file)).toEqual(DEFAULT_SETTINGS);
  });

  it.each([
    { autoLockMinutes: 0 },
    { clipboardSeconds: 601 },
    { theme: 'neon' },
    { windowBounds: { x: 0, y: 0, width: 10, height: 400 } },
    { windowBounds: { x: 0, y: 0, width: 400, height: 400, token: 'x' } },
    { lastVaultPath: '' },
    { apiKey: 'sk-ant-stash' },
  ])('refuses %j, as zod does', (bad) => {
    expect(validate({ ...DEFAULT_SETTINGS, ...bad })).toBe(false);
    expect(StoredSettings.strict().safeParse({ ...DEFAULT_SETTINGS, ...bad }).success).toBe(false);
  });
});
