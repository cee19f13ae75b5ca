import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./main-electron-fake'));

const { fake, protocol } = await import('./main-electron-fake');
const { CONTENT_SECURITY_POLICY, META_CONTENT_SECURITY_POLICY, createAppRequestHandler, registerAppScheme, serveAppProtocol } =
  await import('../../src/main/protocol');

let dir: string;
let root: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-protocol-'));
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Keyhold</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.info(1)');
  writeFileSync(join(root, '..foo.txt'), 'dots are fine');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => fake.reset());

const get = (url: string, method = 'GET') => createAppRequestHandler(root)(new Request(url, { method }));

describe('app:// protocol', () => {
  it('registers app as a standard, secure, fetch-capable scheme and handles it', () => {
    registerAppScheme();
    expect(protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    serveAppProtocol(root);
    expect(protocol.handlers.has('app')).toBe(true);
  });

  it('serves renderer files with the CSP and the right type', async () => {
    const index = await get('app://keyhold/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>Keyhold</title>');
    const js = await get('app://keyhold/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('app://keyhold/..foo.txt')).status).toBe(200);
  });

  it('refuses path traversal in every spelling, symlinks out, other hosts and methods', async () => {
    for (const url of [
      'app://keyhold/../secret.txt',
      'app://keyhold/%2e%2e/secret.txt',
      'app://keyhold/%2E%2E%2Fsecret.txt',
      'app://keyhold/assets/..%2F..%2Fsecret.txt',
      'app://keyhold/..%5Csecret.txt',
      'app://keyhold/index.html%00.js',
      'app://keyhold/%2Fetc%2Fpasswd',
      'app://keyhold/link.txt',
      'app://keyhold/assets',
      'app://keyhold/missing.js',
      'app://evil/index.html',
      'app://keyhold/%E0%A4%A',
    ]) {
      const response = await get(url);
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(await response.text(), url).not.toContain('outside the renderer');
      expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
    }
    expect((await get('app://keyhold/index.html', 'POST')).status).toBe(405);
  });

  it('uses a strict policy, mirrored in index.html (minus frame-ancestors, which a meta tag cannot carry)', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    const html = readFileSync(join(import.meta.dirname, '../../src/renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
    expect(meta).toBe(META_CONTENT_SECURITY_POLICY);
  });
});
