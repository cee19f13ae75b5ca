import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findReferences, formatReference, parseReference, renderTemplate, type KeyholdReference } from '../../src/core/devflow/inject';
import { writeFileExclusive0600 } from '../../src/core/devflow/write-file';
import { refusal, rejection } from '../helpers/cleanup';

const values: Record<string, string> = {
  'profile|agent-1|default|API_KEY': 'key-value-1',
  'profile|team/bot|my profile|Clé secrète': 'tricky-value',
  'byok|openai': 'sk-openai',
  'token|agent-1|default': 'kura-token-1',
};
const resolve = (ref: KeyholdReference): string | undefined =>
  values[
    ref.type === 'profile' ? `profile|${ref.agentId}|${ref.name}|${ref.key}` : ref.type === 'token' ? `token|${ref.agentId}|${ref.name}` : `byok|${ref.kind}`
  ];

describe('token references', () => {
  it('parses keyhold://token/AGENT_ID/NAME, decoding escapes, and formats it back', () => {
    expect(parseReference('keyhold://token/team%2Fbot/my%20profile')).toEqual({ type: 'token', agentId: 'team/bot', name: 'my profile' });
    expect(formatReference({ type: 'token', agentId: 'team/bot', name: 'my profile' })).toBe('keyhold://token/team%2Fbot/my%20profile');
  });

  it('renders a token reference beside a profile reference, bare and in braces', () => {
    expect(renderTemplate('T={{ keyhold://token/agent-1/default }}\nK=keyhold://profile/agent-1/default/API_KEY', resolve)).toBe(
      'T=kura-token-1\nK=key-value-1',
    );
  });

  it('refuses a token reference with a key or without a name', () => {
    expect(() => parseReference('keyhold://token/agent-1/default/API_KEY')).toThrow(/token\/AGENT_ID\/NAME/);
    expect(() => parseReference('keyhold://token/agent-1')).toThrow(/Malformed/);
  });
});

describe('references', () => {
  it('parses both kinds, decoding percent escapes as UTF-8', () => {
    expect(parseReference('keyhold://profile/agent-1/default/API_KEY')).toEqual({
      type: 'profile',
      agentId: 'agent-1',
      name: 'default',
      key: 'API_KEY',
    });
    expect(parseReference('keyhold://profile/team%2Fbot/my%20profile/Cl%C3%A9%20secr%C3%A8te')).toEqual({
      type: 'profile',
      agentId: 'team/bot',
      name: 'my profile',
      key: 'Clé secrète',
    });
    expect(parseReference('keyhold://byok/openai')).toEqual({ type: 'byok', kind: 'openai' });
  });

  it('refuses malformed references with the reference text', () => {
    for (const text of [
      'keyhold://',
      'keyhold://profile/a/b',
      'keyhold://profile/a/b/c/d',
      'keyhold://profile//b/c',
      'keyhold://byok/',
      'keyhold://byok/a/b',
      'keyhold://vault/x',
      'keyhold://PROFILE/a/b/c',
      'keyhold://byok/bad%zz',
      'keyhold://byok/%C3',
      'keyhold://byok/sp ace',
      'https://byok/openai',
    ]) {
      const error = refusal(() => parseReference(text));
      expect(error.code).toBe('BadInput');
      expect(error.message).toContain(text);
    }
  });

  it('formats a canonical reference that parses back to the same thing', () => {
    expect(formatReference({ type: 'profile', agentId: 'team/bot', name: 'my profile', key: "it's 100%" })).toBe(
      'keyhold://profile/team%2Fbot/my%20profile/it%27s%20100%25',
    );
    const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ type: fc.constant('profile' as const), agentId: segment, name: segment, key: segment }),
          fc.record({ type: fc.constant('byok' as const), kind: segment }),
        ),
        (ref) => {
          const text = formatReference(ref);
          expect(text).toMatch(/^keyhold:\/\/[A-Za-z0-9\-._~%/]+$/);
          expect(parseReference(text)).toEqual(ref);
          expect(findReferences(`x=${text}\n`).map((f) => f.ref)).toEqual([ref]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses to format an empty part', () => {
    expect(refusal(() => formatReference({ type: 'byok', kind: '' })).code).toBe('BadInput');
  });
});

describe('templates', () => {
  const template = [
    'api_key = "keyhold://profile/agent-1/default/API_KEY"',
    'openai: {{ keyhold://byok/openai }}.',
    'tricky={{keyhold://profile/team%2Fbot/my%20profile/Cl%C3%A9%20secr%C3%A8te}}',
    'again: keyhold://byok/openai',
    'plain text stays: {{ not a reference }} https://example.com',
  ].join('\n');

  it('finds every reference in order, with positions', () => {
    const found = findReferences(template);
    expect(found.map((f) => f.text)).toEqual([
      'keyhold://profile/agent-1/default/API_KEY',
      'keyhold://byok/openai',
      'keyhold://profile/team%2Fbot/my%20profile/Cl%C3%A9%20secr%C3%A8te',
      'keyhold://byok/openai',
    ]);
    expect(template.slice(found[1]!.start, found[1]!.end)).toBe('{{ keyhold://byok/openai }}');
    expect(template.slice(found[0]!.start, found[0]!.end)).toBe('keyhold://profile/agent-1/default/API_KEY');
  });

  it('renders values in place, braces included', () => {
    expect(renderTemplate(template, resolve)).toBe(
      [
        'api_key = "key-value-1"',
        'openai: sk-openai.',
        'tricky=tricky-value',
        'again: sk-openai',
        'plain text stays: {{ not a reference }} https://example.com',
      ].join('\n'),
    );
  });

  it('never resolves a reference that a value contains', () => {
    const seen: KeyholdReference[] = [];
    const out = renderTemplate('a=keyhold://byok/first b={{keyhold://byok/second}}', (ref) => {
      seen.push(ref);
      return 'keyhold://byok/second';
    });
    expect(out).toBe('a=keyhold://byok/second b=keyhold://byok/second');
    expect(seen).toHaveLength(2);
  });

  it('refuses an unknown reference with NotFound and the reference text', () => {
    const error = refusal(() => renderTemplate('x: keyhold://byok/anthropic\n', resolve));
    expect(error.code).toBe('NotFound');
    expect(error.message).toBe('unknown reference keyhold://byok/anthropic');
  });

  it('refuses a malformed reference instead of leaving it in the output', () => {
    expect(refusal(() => renderTemplate('x: keyhold://profile/a/b\n', resolve)).code).toBe('BadInput');
  });

  it('ends a bare reference at the first character outside the grammar', () => {
    expect(findReferences('"keyhold://byok/openai",keyhold://byok/openai)').map((f) => f.text)).toEqual(['keyhold://byok/openai', 'keyhold://byok/openai']);
  });

  it('leaves a template without references unchanged', () => {
    expect(renderTemplate('nothing {{ here }}\n', resolve)).toBe('nothing {{ here }}\n');
  });
});

describe('writeFileExclusive0600', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-devflow-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  it('creates the file readable by its owner only and leaves no temporary file', async () => {
    const path = join(dir, 'secrets.env');
    await writeFileExclusive0600(path, 'TOKEN=abc\n');
    expect(await readFile(path, 'utf8')).toBe('TOKEN=abc\n');
    if (process.platform !== 'win32') expect(await modeOf(path)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['secrets.env']);
  });

  it('refuses to replace an existing file without force, leaving it as it was', async () => {
    const path = join(dir, 'config.yml');
    await writeFile(path, 'original', { mode: 0o644 });
    const error = await rejection(writeFileExclusive0600(path, 'new'));
    expect(error.code).toBe('Conflict');
    expect(error.message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['config.yml']);
  });

  it('replaces an existing file with force, making it 0600', async () => {
    const path = join(dir, 'config.yml');
    await writeFile(path, 'original', { mode: 0o644 });
    await writeFileExclusive0600(path, Buffer.from('replaced'), { force: true });
    expect(await readFile(path, 'utf8')).toBe('replaced');
    if (process.platform !== 'win32') expect(await modeOf(path)).toBe(0o600);
  });

  it('replaces a symlink itself with force, never writing through it', async () => {
    const target = join(dir, 'elsewhere.txt');
    await writeFile(target, 'untouched');
    const path = join(dir, 'link.env');
    await symlink(target, path);
    await writeFileExclusive0600(path, 'new', { force: true });
    expect(await readFile(target, 'utf8')).toBe('untouched');
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it('treats a dangling symlink as an existing name', async () => {
    const path = join(dir, 'dangling.env');
    await symlink(join(dir, 'missing'), path);
    const error = await rejection(writeFileExclusive0600(path, 'x'));
    expect(error.code).toBe('Conflict');
  });

  it('names a folder given as the file, with or without force, and leaves it alone', async () => {
    const folder = join(dir, 'out');
    await mkdir(folder);
    for (const force of [false, true]) {
      const error = await rejection(writeFileExclusive0600(folder, 'x', { force }));
      expect([error.code, error.message]).toEqual(['BadInput', `${folder} is a folder: name the file to write, inside it or elsewhere.`]);
    }
    expect(await readdir(dir)).toEqual(['out']);
  });

  it('explains a missing folder', async () => {
    const error = await rejection(writeFileExclusive0600(join(dir, 'no/such/dir/out.env'), 'x'));
    expect(error.code).toBe('BadInput');
    expect(error.message).toContain('its folder does not exist');
  });
});
