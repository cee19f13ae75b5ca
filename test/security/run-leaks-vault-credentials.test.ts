import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWithSecrets } from '../../src/core/devflow';

// Attack: the program `keyhold run` starts reads KEYHOLD_SESSION (or KEYHOLD_PASSWORD) from its
// environment and, with it, opens every secret in the vault rather than the few it was given.

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe("the child of run gets its secrets, not Keyhold's own variables", () => {
  it('drops KEYHOLD_PASSWORD, KEYHOLD_SESSION and every other KEYHOLD_ variable of the parent, whatever the case', async () => {
    const out = sink();
    const script = 'console.log(JSON.stringify(Object.keys(process.env).filter((k) => /keyhold/i.test(k) || k === "API_KEY").sort()))';
    const result = await runWithSecrets({
      command: process.execPath,
      args: ['-e', script],
      env: { API_KEY: 'sk-live-0123456789' },
      mask: false,
      stdout: out.stream,
      baseEnv: {
        PATH: process.env.PATH,
        KEYHOLD_PASSWORD: 'correct horse battery staple',
        KEYHOLD_SESSION: 'khs_session-token-value',
        KEYHOLD_NEW_PASSWORD: 'another one',
        KEYHOLD_VAULT: '/home/me/.keyhold',
        keyhold_session: 'lower-case-too',
      },
    });
    expect(result).toEqual({ code: 0 });
    expect(JSON.parse(out.text())).toEqual(['API_KEY']);
  });
});
