import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../fakes/faults';
import { connect, expectConverged, fastEngine, servers } from '../helpers/sync';
import { newVault } from '../helpers/vault';

type Action =
  | { t: 'create'; name: number; value: string; draft: boolean }
  | { t: 'edit'; name: number; value: string }
  | { t: 'rename'; name: number; to: number }
  | { t: 'ready'; name: number }
  | { t: 'fault'; fault: Fault; times: number }
  | { t: 'pass'; during: 'nothing' | 'edit'; name: number; value: string };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom<Fault>(
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503, retryAfter: 0 },
    { kind: 'status', status: 429, retryAfter: 0 },
    { kind: 'status', status: 408 },
    { kind: 'resetBefore' },
    { kind: 'resetAfter' },
  ),
  fc.integer({ min: 5, max: 60 }).map((delayMs): Fault => ({ kind: 'slow', delayMs })),
);

const name = fc.integer({ min: 0, max: 7 });
const value = fc.string({ maxLength: 12 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ t: fc.constant('create' as const), name, value, draft: fc.boolean() }),
  fc.record({ t: fc.constant('edit' as const), name, value }),
  fc.record({ t: fc.constant('rename' as const), name, to: name }),
  fc.record({ t: fc.constant('ready' as const), name }),
  fc.record({ t: fc.constant('fault' as const), fault: faultArb, times: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ t: fc.constant('pass' as const), during: fc.constantFrom('nothing' as const, 'edit' as const), name, value }),
);

describe('sync convergence under random edits and faults', () => {
  it('always ends with remote == local and no edit lost', async () => {
    const s = await servers();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), async (actions) => {
          const v = await newVault();
          const engine = fastEngine(v.vault);
          s.kura.state.profiles.clear();
          s.kura.faults.clear();
          connect(v.vault, s);
          const vault = v.vault;
          const ref = (n: number) => `agent/p${n}`;
          const exists = (n: number) => vault.profiles.list().some((p) => p.name === `p${n}`);
          const tryEdit = (n: number, val: string) => {
            if (exists(n)) vault.profiles.edit(ref(n), { set: { VALUE: val } });
          };
          try {
            for (const a of actions) {
              switch (a.t) {
                case 'create':
                  if (!exists(a.name)) vault.profiles.create({ agentId: 'agent', name: `p${a.name}`, authData: { VALUE: a.value }, draft: a.draft });
                  break;
                case 'edit':
                  tryEdit(a.name, a.value);
                  break;
                case 'rename':
                  if (exists(a.name) && !exists(a.to)) vault.profiles.edit(ref(a.name), { name: `p${a.to}` }, { confirmNewRemote: true });
                  break;
                case 'ready':
                  if (exists(a.name)) vault.profiles.ready(ref(a.name));
                  break;
                case 'fault':
                  s.kura.faults.next(a.fault, a.times);
                  break;
                case 'pass': {
                  const pass = engine.pass();
                  if (a.during === 'edit') tryEdit(a.name, a.value);
                  await pass;
                }
              }
            }
            s.kura.faults.clear();
            for (const p of vault.profiles.list()) if (p.syncState === 'draft') vault.profiles.ready(p.id);
            const summary = await engine.syncAll({ timeoutMs: 10_000 });
            expect(summary.failed).toEqual([]);
            expectConverged(vault, s);
          } finally {
            await engine.close();
            v.cleanup();
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await s.close();
    }
  }, 120_000);
});
