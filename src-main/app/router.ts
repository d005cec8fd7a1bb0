import { EventEmitter } from 'node:events';
import {
  type EventName,
  type EventPayloads,
  type MethodArgs,
  type MethodName,
  type MethodResults,
  parseRequest,
} from '../ipc/contract.js';

/**
 * The main-process side of the contract: every request from a renderer (Electron IPC or the
 * browser shell's WebSocket) goes through `call`, which refuses unknown methods and validates the
 * arguments before a handler sees them. Events for renderers are emitted on `events`.
 */
export type Handlers = {
  // Optional arguments stay optional: the schemas check them but fill in no defaults.
  [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

export type EventBus = EventEmitter<{ [E in EventName]: [EventPayloads[E]] }>;

/** A failure reported to the renderer: the message is meant for the user and names the problem. */
export interface RemoteError {
  code: string;
  message: string;
}

export class Router {
  readonly events: EventBus = new EventEmitter();

  constructor(private readonly handlers: Handlers) {}

  /** Validates and dispatches one request. Throws ContractError for refused requests. */
  async call(method: unknown, args: unknown): Promise<unknown> {
    const req = parseRequest(method, args);
    const handler = this.handlers[req.method] as (a: unknown) => unknown;
    return await handler(req.args);
  }

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    (this.events.emit as (e: E, p: EventPayloads[E]) => boolean)(event, payload);
  }
}

/** Turns any thrown value into what a renderer is told (never a stack trace). */
export function toRemoteError(err: unknown): RemoteError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : err.name, message: err.message };
  }
  return { code: 'ERROR', message: String(err) };
}
