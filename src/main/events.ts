import type { WebContents } from 'electron';
import { EVENTS_CHANNEL } from '../shared/ipc';
import type { EventMessage, EventPayload, EventsDef } from '../shared/ipc';

export type Emit<E extends EventsDef> = <K extends keyof E & string>(event: K, payload: EventPayload<E[K]>) => void;

export interface EventLogEntry {
  kind: 'event-mismatch';
  event: string;
  issues: string[];
}

/**
 * Pushes typed events to the window. A payload is parsed by its schema before it leaves main, so
 * a bug cannot send the page more than the contract promises (a mismatch is dropped and logged
 * by issue code only).
 */
export function createEmitter<E extends EventsDef>(
  events: E,
  target: () => WebContents | null,
  log: (entry: EventLogEntry) => void = (entry) => console.error('keyhold events:', JSON.stringify(entry)),
): Emit<E> {
  return (event, payload) => {
    const schema = events[event];
    if (schema === undefined) return;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      log({ kind: 'event-mismatch', event, issues: parsed.error.issues.map((issue) => issue.code) });
      return;
    }
    const contents = target();
    if (contents === null || contents.isDestroyed()) return;
    const message: EventMessage = { name: event, payload: parsed.data };
    contents.send(EVENTS_CHANNEL, message);
  };
}
