import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { randomChars } from '../helpers/lookalike';
import { cliHome, scanFindings } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// `keyhold scan --import` of files holding two values of one name (Continue's two models, a JSON
// and a TOML file with two providers): every value is stored under a key of its own, and a second
// import finds everything held, no conflict, exit 0. The second value was a conflict at every import.

let h: Awaited<ReturnType<typeof cliHome>>;
let home: string;
const env = () => h.env;
const KEYS = Array.from({ length: 6 }, () => randomChars(40));

const findingsOf = scanFindings;

beforeAll(async () => {
  h = await cliHome('keyhold-cli-import-keys-');
  home = h.home;
  write(
    join(home, '.continue', 'config.yaml'),
    [
      'name: Local Assistant',
      'version: 1.0.0',
      'schema: v1',
      'models:',
      '  - name: Local proxy',
      '    provider: openai',
      `    apiKey: ${KEYS[0]}`,
      '  - name: Claude Sonnet',
      '    provider: anthropic',
      `    apiKey: ${KEYS[1]}`,
      '',
    ].join('\n'),
  );
  write(join(h.dir, 'proj', 'llm.json'), JSON.stringify({ providers: { a: { apiKey: KEYS[2] }, b: { apiKey: KEYS[3] } } }, null, 2));
  write(join(h.dir, 'proj', 'llm.toml'), `[providers.a]\napiKey = "${KEYS[4]}"\n\n[providers.b]\napiKey = "${KEYS[5]}"\n`);
});
afterAll(() => h.cleanup());

describe('keyhold scan --import of two values of one name in a file', () => {
  it('stores each under a key of its own, and a second import finds them all held', async () => {
    const first = await keyhold(['scan', join(h.dir, 'proj'), '--import', '--json'], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    for (const key of KEYS) expect(first.stdout + first.stderr).not.toContain(key);
    const found = findingsOf(first.stdout);
    const profileOf = (file: string) => /^profile (\S+) /.exec(found.find((f) => f.file === file)!.import!.target)![1]!;
    const [json, toml] = [profileOf(join(h.dir, 'proj', 'llm.json')), profileOf(join(h.dir, 'proj', 'llm.toml'))];
    expect(found.map((f) => [f.where, f.import])).toEqual([
      ['models[0].apiKey', { result: 'imported', target: 'profile .continue/config.yaml apiKey' }],
      ['models[1].apiKey', { result: 'imported', target: 'profile .continue/config.yaml APIKEY_CLAUDE_SONNET' }],
      ['providers.a.apiKey', { result: 'imported', target: `profile ${json} apiKey` }],
      ['providers.b.apiKey', { result: 'imported', target: `profile ${json} APIKEY_B` }],
      ['providers.a.apiKey', { result: 'imported', target: `profile ${toml} apiKey` }],
      ['providers.b.apiKey', { result: 'imported', target: `profile ${toml} APIKEY_B` }],
    ]);

    // What was stored is what the files hold, each value under its own key.
    const ran = await keyhold(
      [
        'run',
        '--profile',
        '.continue/config.yaml',
        '--',
        process.execPath,
        '-e',
        'process.stdout.write(String(process.env.apiKey === process.argv[1] && process.env.APIKEY_CLAUDE_SONNET === process.argv[2]))',
        KEYS[0]!,
        KEYS[1]!,
      ],
      { env: env() },
    );
    expect(ran.stdout, ran.stderr).toBe('true');

    const second = await keyhold(['scan', join(h.dir, 'proj'), '--import', '--json'], { env: env() });
    expect(second.code, second.stderr).toBe(0);
    expect(findingsOf(second.stdout).map((f) => [f.where, f.import])).toEqual(found.map((f) => [f.where, { result: 'held', target: f.import!.target }]));
    const table = await keyhold(['scan', join(h.dir, 'proj'), '--import'], { env: env() });
    expect(table.code).toBe(0);
    expect(table.stderr).not.toContain('Conflicts');
  });
});
