import {
  type AttuneApi,
  type EventName,
  type EventPayloads,
  isEventName,
  isMethodName,
  type MethodArgs,
  type MethodName,
  type MethodResults,
} from '../ipc/contract.js';

/**
 * The browser side of the web shell: `window.attune` over a WebSocket, the same AttuneApi the Electron
 * preload exposes. Bundled into the renderer, so it uses only what browsers have (no Node modules).
 * There is no reconnecting: when the connection closes, pending and later calls fail with a clear error
 * and the page is expected to offer a reload (a restarted server has a new token anyway).
 */

/** The part of the browser's WebSocket this client uses (the `ws` package's client fits too). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (ev: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

export interface ConnectOptions {
  /** Opens the socket; default: the browser's WebSocket. */
  createSocket?: (url: string) => SocketLike;
  /** Give up connecting after this many ms. */
  timeoutMs?: number; // 10_000
}

/** A failure reported by the app (or by the connection), with the app's error code. */
export class AttuneError extends Error {
  override readonly name = 'AttuneError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const OPEN = 1;

type Reply = { id: string | number | null; result?: unknown; error?: { code: string; message: string } };
type EventMessage = { event: string; payload: unknown };

/**
 * Connects to the web shell. `url` is the shell's page address or origin (http://127.0.0.1:PORT/…);
 * the socket goes to its /ws with the token.
 */
export function connectAttune(url: string, token: string, opts: ConnectOptions = {}): Promise<AttuneApi> {
  const create =
    opts.createSocket ??
    ((u: string) => {
      const Ctor = (globalThis as { WebSocket?: new (u: string) => SocketLike }).WebSocket;
      if (!Ctor) throw new AttuneError('UNSUPPORTED', 'this browser has no WebSocket support');
      return new Ctor(u);
    });
  const socket = create(socketUrl(url, token));
  const client = new WebClient(socket);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise<AttuneApi>((resolve, reject) => {
    let opened = false;
    const open = () => {
      opened = true;
      clearTimeout(timer);
      resolve(client);
    };
    const timer = setTimeout(() => {
      if (opened) return;
      socket.close();
      reject(
        new AttuneError('CONNECTION_FAILED', `could not connect to Attune at ${url} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.addEventListener('open', open);
    socket.addEventListener('message', (ev) => client.onMessage(ev.data));
    socket.addEventListener('close', (ev) => {
      clearTimeout(timer);
      client.onClose(ev);
      // Refused upgrades (wrong token, page from elsewhere) close before opening.
      if (!opened) {
        reject(
          new AttuneError(
            'CONNECTION_FAILED',
            `could not connect to Attune at ${url}: the server refused or is not running (open the address \`attune serve\` printed, with its #token)`,
          ),
        );
      }
    });
    // 'error' is always followed by 'close', which reports it.
    socket.addEventListener('error', () => undefined);
    if (socket.readyState === OPEN) open();
  });
}

/** The contract over one socket: calls matched to their replies by id, events to their listeners. */
class WebClient implements AttuneApi {
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }
  >();
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  private nextId = 1;
  private closedError: AttuneError | null = null;

  constructor(private readonly socket: SocketLike) {}

  call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]> {
    if (!isMethodName(method)) {
      return Promise.reject(new AttuneError('UNKNOWN_METHOD', `unknown method ${String(method)}`));
    }
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<MethodResults[M]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.socket.send(JSON.stringify({ id, method, args: args ?? {} }));
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    if (!isEventName(event)) throw new AttuneError('UNKNOWN_EVENT', `unknown event ${String(event)}`);
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: Reply | EventMessage;
    try {
      msg = JSON.parse(data) as Reply | EventMessage;
    } catch {
      return; // the server sends only JSON; anything else is ignored rather than breaking the page
    }
    if ('event' in msg) return this.dispatch(msg);
    if (typeof msg.id !== 'number') return;
    const call = this.pending.get(msg.id);
    if (!call) return;
    this.pending.delete(msg.id);
    if (msg.error) call.reject(new AttuneError(msg.error.code, msg.error.message));
    else call.resolve(msg.result);
  }

  /** The connection is gone: every call waiting for an answer fails, and so does every later one. */
  onClose(ev: { code?: number; reason?: string }): void {
    const why = ev.reason ? `: ${ev.reason}` : ev.code ? ` (code ${ev.code})` : '';
    const closed = new AttuneError(
      'CONNECTION_CLOSED',
      `the connection to Attune closed${why}; reload the page (if Attune was restarted, open the address it printed)`,
    );
    this.closedError = closed;
    for (const [, call] of this.pending)
      call.reject(new AttuneError('CONNECTION_CLOSED', `${call.method} got no answer: ${closed.message}`));
    this.pending.clear();
  }

  private dispatch(msg: EventMessage): void {
    if (!isEventName(msg.event)) return;
    for (const l of [...(this.listeners.get(msg.event) ?? [])]) {
      try {
        l(msg.payload);
      } catch (err) {
        // One broken listener must not stop the others (nor the replies).
        console.error(`attune: a listener of ${msg.event} failed`, err);
      }
    }
  }
}

/** Connects the page to the shell that served it, with the token from the address's fragment. */
export function attuneFromLocation(
  location: { href: string; hash: string },
  opts: ConnectOptions = {},
): Promise<AttuneApi> {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (!token) {
    return Promise.reject(
      new AttuneError(
        'NO_TOKEN',
        'this page address has no access token: open the address `attune serve` printed (it ends with #token=…)',
      ),
    );
  }
  return connectAttune(location.href, token, opts);
}

/** ws://host/ws?token=… for an http(s) or ws(s) address. */
export function socketUrl(url: string, token: string): string {
  const u = new URL(url);
  const scheme = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}/ws?token=${encodeURIComponent(token)}`;
}
