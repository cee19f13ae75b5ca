import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Row {
  metric: string;
  keyhold: number;
  baseline: number;
  unit: string;
  target: string;
  /** Whether the target is met; targets are either ratios or absolute limits. */
  pass: boolean;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

export function report(suite: string, rows: Row[], notes: string[] = []): void {
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
  console.log(`\n${suite}`);
  console.log('| metric | keyhold | baseline | ratio | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.baseline > 0 ? `${(r.keyhold / r.baseline).toFixed(2)}×` : '—';
    console.log(`| ${r.metric} | ${fmt(r.keyhold)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${ratio} | ${r.target} | ${r.pass ? 'yes' : 'NO'} |`);
  }
  for (const n of notes) console.log(`\n${n}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite}.json`), JSON.stringify({ suite, at: new Date().toISOString(), rows, notes }, null, 2));
}

/** A 1 MiB Argon2id: benchmark vaults are created often, and the KDF is not what they measure. */
// Below Keyhold's floor, so the benchmarks lower it the way the tests do (src/core/crypto/kdf.ts).
process.env.KEYHOLD_INSECURE_TEST_KDF = '1';
export const FAST_KDF = { alg: 'argon2id' as const, memoryKiB: 1024, iterations: 1, parallelism: 1 };
export const PASSWORD = 'benchmark password';

/** The vault and share suites' data: `n` profiles of 5 fields over 50 declared agents. */
export function profiles(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    agentId: `agent-${i % 50}`,
    name: `profile-${i}-${randomBytes(4).toString('hex')}`,
    authData: {
      USERNAME: `user${i}@example.com`,
      PASSWORD: randomBytes(12).toString('base64'),
      API_KEY: `key_${randomBytes(16).toString('hex')}`,
      REGION: 'eu-west-1',
      OTP_SECRET: randomBytes(10).toString('hex'),
    },
  }));
}
