import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { randomChars } from '../helpers/lookalike';
import { cliHome } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// A tired user's order: `scan --import` first (it stores each server's credentials in SERVER/mcp),
// then `mcp wrap` on the same config. The wrap refused, because the profile held values "the server
// does not set": an mcp-remote header's token (imported alone, moved whole as AUTH_HEADER) and a URL
// password among the args (which the wrap leaves in the file). Both are the server's own.

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

async function setup(config: string) {
  const h = await cliHome('keyhold-import-then-wrap-');
  cleanup = h.cleanup;
  return { env: h.env, file: write(join(h.home, 'Library', 'claude_desktop_config.json'), config) };
}

describe('scan --import, then mcp wrap of the same config', () => {
  it("an mcp-remote header's token, imported alone, does not stop the wrap that moves the header whole", async () => {
    const token = randomChars(40);
    const { env, file } = await setup(
      JSON.stringify(
        { mcpServers: { linear: { command: 'npx', args: ['-y', 'mcp-remote', 'https://mcp.linear.app/sse', '--header', `Authorization: Bearer ${token}`] } } },
        null,
        2,
      ),
    );
    const imported = await keyhold(['scan', '--no-well-known', '--import', file], { env });
    expect(imported.code, imported.stderr).toBe(0);
    expect((await keyhold(['profile', 'show', 'linear/mcp', '--reveal', '--json'], { env })).stdout).toContain(token);
    const wrapped = await keyhold(['mcp', 'wrap', file], { env });
    expect(wrapped.code, wrapped.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('"Authorization:${AUTH_HEADER}"');
    const shown = await keyhold(['profile', 'show', 'linear/mcp', '--reveal', '--json'], { env });
    expect(JSON.parse(shown.stdout).authData).toEqual({ LINEAR_TOKEN: token, AUTH_HEADER: `Bearer ${token}` });
  });

  it('a URL password the wrap leaves among the args does not stop it either', async () => {
    const password = `${randomChars(16)}-pa55`;
    const key = randomChars(40);
    const { env, file } = await setup(
      JSON.stringify(
        {
          mcpServers: { db: { command: 'npx', args: ['-y', 'mcp-postgres', `postgres://app:${password}@db.internal:5432/shop`], env: { DB_API_TOKEN: key } } },
        },
        null,
        2,
      ),
    );
    expect((await keyhold(['scan', '--no-well-known', '--import', file], { env })).code).toBe(0);
    expect((await keyhold(['profile', 'show', 'db/mcp', '--reveal', '--json'], { env })).stdout).toContain(password);
    const wrapped = await keyhold(['mcp', 'wrap', file], { env });
    expect(wrapped.code, wrapped.stderr).toBe(0);
    const authData = JSON.parse((await keyhold(['profile', 'show', 'db/mcp', '--reveal', '--json'], { env })).stdout).authData as Record<string, string>;
    expect(authData.DB_API_TOKEN).toBe(key);
    expect(Object.values(authData)).toContain(`postgres://app:${password}@db.internal:5432/shop`);
  });

  it('a value another config put in the profile still stops the wrap, changing nothing', async () => {
    const { env, file } = await setup(
      JSON.stringify({ mcpServers: { db: { command: 'npx', args: ['-y', 'mcp-postgres'], env: { DB_API_TOKEN: randomChars(40) } } } }, null, 2),
    );
    const before = readFileSync(file, 'utf8');
    expect((await keyhold(['profile', 'add', '--agent', 'db', '--name', 'mcp', '--set', `OTHER_TOKEN=${randomChars(40)}`], { env })).code).toBe(0);
    const wrapped = await keyhold(['mcp', 'wrap', file], { env });
    expect(wrapped.code).toBe(6);
    expect(wrapped.stderr).toMatch(/already holds OTHER_TOKEN, which the server "db" here does not set/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
