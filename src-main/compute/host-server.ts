import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { HostHello, HostReplyHeader, HostRequest, HostStarted } from './contract.js';
import { HOST_PAGE_HTML, hostPageScript } from './host-bundle.js';
import { decodeWire, encodeWire, type WireArray, type WireMessage } from './wire.js';

/** Opens the host page at a URL in some browser; resolves once it is started. */
export type HostLauncher = (url: string) => Promise<LaunchedHost>;

export interface LaunchedHost {
  /** The browser's process, where it has one of its own. */
  pid?: number;
  /** Resolves with a reason when the browser is gone. */
  exited: Promise<string>;
  close(): Promise<void>;
}

export interface ComputeHostConfig {
  backend: 'webgpu' | 'cpu';
  launcher: HostLauncher;
  /** From launch until the page has connected and its backend started (browser start, bundling). */
  connectTimeoutMs?: number; // 60_000
  /** Longest wait for one reply; a training step on a software GPU takes seconds. */
  requestTimeoutMs?: number; // 300_000
}

/** A failed request, with whether the host's GPU device was lost (the job should move to another backend). */
export class ComputeHostError extends Error {
  constructor(
    message: string,
    readonly deviceLost = false,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (m: WireMessage<HostReplyHeader & { ok: true }>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Attune's side of a compute host: a loopback server that serves the page, the browser that loads it, and
 * the page's WebSocket, over which typed requests go out and replies come back in order. Only the page
 * launched here can connect: the address carries a fresh token in its fragment, and the upgrade must come
 * from the server's own origin. When the browser exits or the socket closes, every pending request fails.
 */
export class ComputeHost {
  private socket: WebSocket | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWhy: string | null = null;
  started: HostStarted = { backend: 'cpu', adapter: null };
  /** The host page's browser, as it introduced itself. */
  userAgent: string | null = null;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly cfg: Required<ComputeHostConfig>,
  ) {}

  static async open(config: ComputeHostConfig): Promise<ComputeHost> {
    const cfg: Required<ComputeHostConfig> = {
      connectTimeoutMs: 60_000,
      requestTimeoutMs: 300_000,
      ...config,
    };
    const token = randomBytes(24).toString('base64url');
    const script = await hostPageScript();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 30 });
    const server = createServer((req, res) => servePage(req, res, script));
    const host = new ComputeHost(server, wss, cfg);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const connected = host.accept(origin, token);
    let launched: LaunchedHost | null = null;
    try {
      launched = await cfg.launcher(`${origin}/#token=${token}`);
      host.launched = launched;
      const gone = launched.exited.then((why) =>
        Promise.reject(new Error(`the compute host's browser: ${why}`)),
      );
      await withTimeout(
        Promise.race([connected, gone]),
        cfg.connectTimeoutMs,
        'the compute host page did not connect',
      );
      void launched.exited.then((why) => host.fail(`the compute host's browser is gone: ${why}`));
      const reply = await host.request({ op: 'start', backend: cfg.backend });
      host.started = {
        backend: reply.header.backend as HostStarted['backend'],
        adapter: reply.header.adapter as HostStarted['adapter'],
      };
      return host;
    } catch (err) {
      await host.close();
      throw err;
    }
  }

  private launched: LaunchedHost | null = null;

  /** Sends one request; resolves with the reply's header and arrays, or rejects with a ComputeHostError. */
  request(
    req: HostRequest,
    arrays: readonly WireArray[] = [],
  ): Promise<WireMessage<HostReplyHeader & { ok: true }>> {
    if (this.closedWhy != null) return Promise.reject(new ComputeHostError(this.closedWhy));
    if (!this.socket) return Promise.reject(new ComputeHostError('the compute host is not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ComputeHostError(
            `the compute host did not answer '${req.op}' within ${this.cfg.requestTimeoutMs} ms`,
          ),
        );
      }, this.cfg.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket!.send(encodeWire({ ...req, id }, arrays));
    });
  }

  private nextName = 1;

  /** A fresh id for a model or stream on this host (the caller names them, so it need not wait to use them). */
  newId(): number {
    return this.nextName++;
  }

  /**
   * Sends a request whose reply nobody waits for (closing a stream); a failure there shows in the next
   * request that is waited for.
   */
  post(req: HostRequest, arrays: readonly WireArray[] = []): void {
    this.request(req, arrays).catch(() => {});
  }

  /** Why the host can no longer answer, or null while it can. */
  get failure(): string | null {
    return this.closedWhy;
  }

  async close(): Promise<void> {
    this.fail('the compute host was closed');
    this.socket?.terminate();
    this.wss.close();
    // The browser's keep-alive connections would hold the server open until the browser is gone.
    this.server.closeAllConnections();
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      this.launched?.close(),
    ]);
  }

  /** Resolves when the page has connected and said hello. */
  private accept(origin: string, token: string): Promise<void> {
    const expected = Buffer.from(token);
    return new Promise((resolve) => {
      this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        const url = new URL(req.url ?? '/', origin);
        const given = Buffer.from(url.searchParams.get('token') ?? '');
        const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
        if (url.pathname !== '/host' || !tokenOk || req.headers.origin !== origin || this.socket != null) {
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.socket = ws;
          ws.once('message', (data: RawData) => {
            const hello = decodeWire<HostHello>(toBytes(data)).header;
            if (hello.hello !== 'attune-compute-host') return ws.terminate();
            this.userAgent = typeof hello.userAgent === 'string' ? hello.userAgent : null;
            ws.on('message', (d: RawData) => this.onReply(toBytes(d)));
            resolve();
          });
          ws.on('close', () => this.fail('the compute host page closed its channel'));
        });
      });
    });
  }

  private onReply(bytes: Uint8Array): void {
    let message: WireMessage<HostReplyHeader>;
    try {
      message = decodeWire<HostReplyHeader>(bytes);
    } catch (err) {
      return this.fail(`the compute host sent a malformed reply: ${(err as Error).message}`);
    }
    const p = this.pending.get(message.header.id);
    if (!p) return;
    this.pending.delete(message.header.id);
    clearTimeout(p.timer);
    const h = message.header;
    if (h.ok) p.resolve({ header: h, arrays: message.arrays });
    else p.reject(new ComputeHostError(h.error, h.deviceLost === true));
  }

  private fail(why: string): void {
    this.closedWhy ??= why;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ComputeHostError(this.closedWhy));
    }
    this.pending.clear();
  }
}

function servePage(req: IncomingMessage, res: ServerResponse, script: Uint8Array): void {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const headers = { 'Content-Security-Policy': "default-src 'self'", 'Cache-Control': 'no-store' };
  if (req.method !== 'GET') {
    res.writeHead(405, headers).end();
  } else if (path === '/') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(HOST_PAGE_HTML);
  } else if (path === '/host-page.js') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(script);
  } else {
    res.writeHead(404, headers).end();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
