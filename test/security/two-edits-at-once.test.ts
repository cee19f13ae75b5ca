import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyholdProcessAsync } from '../helpers/cli';
import { cliVault } from './cli-env';

// Attack (or just a busy day): two terminals, a script and the desktop app edit one profile at
// once, say one rotating a leaked PASSWORD while another adds a key. Each edit read the profile,
// then waited for the write lock, then wrote what it had read plus its own change: every edit
// exited 0 and said "Saved", and the rotation was silently undone by the edit that read before it.
// An edit now reads the profile inside its write transaction, so each builds on the one before.

let v: Awaited<ReturnType<typeof cliVault>>;

beforeAll(async () => {
  v = await cliVault('keyhold-sec-two-edits-');
  await v.ok(['profile', 'add', '--agent', 'rot', '--name', 'prod', '--set', 'PASSWORD=old-compromised', '--draft']);
});
afterAll(() => v.cleanup());

type Shown = { authData: Record<string, string>; version: number };
const show = async (): Promise<Shown> => JSON.parse((await v.ok(['profile', 'show', 'rot/prod', '--reveal', '--json'])).stdout) as Shown;

describe('edits of one profile from several processes at once', () => {
  it('all land: none is written over by another that read the profile before it', async () => {
    const writers = 8;
    const results = await Promise.all([
      keyholdProcessAsync(['profile', 'edit', 'rot/prod', '--set', 'PASSWORD=rotated'], { env: v.env }),
      ...Array.from({ length: writers - 1 }, (_, i) => keyholdProcessAsync(['profile', 'edit', 'rot/prod', '--set', `K${i}=v${i}`], { env: v.env })),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const shown = await show();
    expect(shown.authData.PASSWORD).toBe('rotated');
    for (let i = 0; i < writers - 1; i++) expect(shown.authData[`K${i}`]).toBe(`v${i}`);
    expect(shown.version).toBe(1 + writers);
    // Each version holds every change before it: the history is a line, not a fan.
    const history = JSON.parse((await v.ok(['profile', 'history', 'rot/prod', '--json'])).stdout) as { version: number; summary: string }[];
    const keys = [...history].sort((a, b) => a.version - b.version).map((h) => Number(/(\d+) key\(s\)/.exec(h.summary)?.[1]));
    // PASSWORD alone, then one key more with each edit but the rotation (which adds none).
    expect(keys[0]).toBe(1);
    expect(keys.at(-1)).toBe(writers);
    for (let i = 1; i < keys.length; i++) expect(keys[i]! - keys[i - 1]!, `version ${i + 1}`).toBeGreaterThanOrEqual(0);
  });

  it("a BYOK key rotated while its rotation period is set keeps both, and its hint is the new key's", async () => {
    const key = (i: number) => `sk-proj-${String(i).padStart(4, '0')}${'r'.repeat(36)}`;
    await v.ok(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], key(0));
    for (let round = 1; round <= 4; round++) {
      const results = await Promise.all([
        keyholdProcessAsync(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], { env: v.env, input: key(round) }),
        keyholdProcessAsync(['byok', 'expiry', 'research', '--rotate-days', String(10 + round)], { env: v.env }),
        keyholdProcessAsync(['byok', 'expiry', 'research', '--expires', `2030-01-0${round}`], { env: v.env }),
      ]);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const shown = JSON.parse((await v.ok(['byok', 'show', 'research', '--reveal', '--json'])).stdout) as {
        apiKey: string;
        keyHint: string;
        rotateDays?: number;
      };
      expect(shown.apiKey, `round ${round}`).toBe(key(round));
      expect(shown.keyHint, `round ${round}`).toBe(`sk-proj-…${key(round).slice(-4)}`);
      expect(shown.rotateDays, `round ${round}`).toBe(10 + round);
    }
  });
});
