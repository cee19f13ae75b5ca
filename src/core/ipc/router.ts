import { reservedMemberProblem } from '../../shared/text-rules';
import { KeyholdError, toErrorPayload } from '../../shared/errors';
import { callNames, fail, hasCall, ok } from '../../shared/ipc';
import type { Contract, Envelope, Handler, Handlers } from '../../shared/ipc';

// What the router reports about a failure: call names and zod issue codes only. Not even issue
// paths, since a record's keys (a profile's key names) are things a person typed.
export type RouterLogEntry = { kind: 'output-mismatch'; call: string; issues: string[] } | { kind: 'unexpected-error'; call: string; error: string };

export interface RouterOptions {
  log?: (entry: RouterLogEntry) => void;
}

export interface Router<C extends Contract> {
  readonly contract: C;
  /** Never throws: every outcome, including an unknown call, is an envelope. */
  dispatch(name: string, rawInput: unknown): Promise<Envelope<unknown>>;
}

const defaultLog = (entry: RouterLogEntry): void => console.error('keyhold ipc:', JSON.stringify(entry));

const INTERNAL_MESSAGE = 'Something went wrong inside Keyhold. Nothing was changed.';

// Only the error's class name is logged: a message from a library may quote a value it was given.
function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

export function createRouter<C extends Contract>(contract: C, handlers: Handlers<C>, options: RouterOptions = {}): Router<C> {
  const log = options.log ?? defaultLog;
  for (const name of callNames(contract)) {
    if (typeof (handlers as Record<string, unknown>)[name] !== 'function') {
      throw new KeyholdError('Internal', `The IPC call "${name}" has no handler.`);
    }
  }

  async function run(name: string, rawInput: unknown): Promise<Envelope<unknown>> {
    const call = contract[name];
    const handler = (handlers as Record<string, Handler<NonNullable<typeof call>>>)[name];
    if (typeof name !== 'string' || !hasCall(contract, name) || call === undefined || handler === undefined) {
      return fail({ code: 'BadInput', message: 'Keyhold does not know this request.' });
    }
    // Checked on the raw payload: the parse would leave such a member out, and a credential of that
    // name would be dropped without a word.
    const reserved = reservedMemberProblem(rawInput);
    if (reserved !== null) return fail({ code: 'BadInput', message: reserved });
    const input = call.input.safeParse(rawInput);
    if (!input.success) return fail(toErrorPayload(input.error));

    let result: unknown;
    try {
      result = await handler(input.data);
    } catch (e) {
      const payload = toErrorPayload(e);
      if (payload.code === 'Internal') log({ kind: 'unexpected-error', call: name, error: errorName(e) });
      return fail(payload);
    }

    const output = call.output.safeParse(result);
    if (!output.success) {
      log({
        kind: 'output-mismatch',
        call: name,
        issues: output.error.issues.map((issue) => issue.code),
      });
      return fail({ code: 'Internal', message: INTERNAL_MESSAGE });
    }
    return ok(output.data);
  }

  return {
    contract,
    async dispatch(name, rawInput) {
      try {
        return await run(name, rawInput);
      } catch (e) {
        // Reached only if a schema itself throws (a refine with a bug); still an envelope.
        log({ kind: 'unexpected-error', call: typeof name === 'string' ? name : '?', error: errorName(e) });
        return fail({ code: 'Internal', message: INTERNAL_MESSAGE });
      }
    },
  };
}
