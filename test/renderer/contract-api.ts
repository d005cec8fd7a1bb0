// The app's side of window.attune for component tests: every call is checked against the contract's
// argument schemas (as the main process checks it) and answered by the handlers a test gives; events are
// sent when the test says. The components under test are real; this stands in for the main process only
// (the browser tests in test/e2e run them against the real app).
import {
  type AttuneApi,
  type EventName,
  type EventPayloads,
  type MethodName,
  type MethodResults,
  parseRequest,
} from '../../src-main/ipc/contract.js';
import type { OutputStatus } from '../../src-main/ipc/contract.js';
import type { Segment } from '../../src-main/store/types.js';

/** Where phrases go on a desktop with xdotool: typed into the focused app, nothing wrong. */
export const TYPING: OutputStatus = {
  mode: 'type',
  action: 'type',
  tool: 'xdotool',
  problem: null,
  lastError: null,
  permission: 'not-needed',
};

export type Handlers = {
  [M in MethodName]?: (args: never) => MethodResults[M] | Promise<MethodResults[M]>;
};

export interface ContractApi extends AttuneApi {
  /** Every call made, with its parsed arguments, in order. */
  calls: { method: MethodName; args: unknown }[];
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
  /** Listeners currently subscribed to an event. */
  listeners(event: EventName): number;
}

export function contractApi(handlers: Handlers): ContractApi {
  const calls: { method: MethodName; args: unknown }[] = [];
  const subs = new Map<EventName, Set<(p: unknown) => void>>();
  return {
    calls,
    async call(method, args) {
      const parsed = parseRequest(method, args);
      calls.push(parsed);
      const handler = handlers[method] as ((a: unknown) => unknown) | undefined;
      if (!handler) throw new Error(`the test gave no handler for ${method}`);
      return (await handler(parsed.args)) as never;
    },
    on(event, listener) {
      const set = subs.get(event) ?? new Set();
      subs.set(event, set);
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
    emit(event, payload) {
      for (const l of [...(subs.get(event) ?? [])]) l(payload);
    },
    listeners: (event) => subs.get(event)?.size ?? 0,
  };
}

/** A stored segment as the app sends it. */
export function segmentOf(
  sessionId: number,
  seq: number,
  text: string,
  extra: Partial<Segment> = {},
): Segment {
  const startMs = seq * 2000;
  const words = text
    .toLowerCase()
    .replace(/[^a-z' ]/g, '')
    .split(' ')
    .filter(Boolean)
    .map((word, i) => ({
      word,
      startMs: startMs + i * 300,
      endMs: startMs + i * 300 + 250,
      confidence: 0.9,
    }));
  return {
    id: sessionId * 100 + seq + 1,
    sessionId,
    seq,
    startMs,
    endMs: startMs + 1500,
    rawText: text.toLowerCase().replace(/[^a-z' ]/g, ''),
    displayText: text,
    words,
    audioPath: null,
    createdAt: 1_700_000_000_000,
    editedAt: null,
    ...extra,
  };
}
