import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { EVENT_NAMES, type EventName } from '../ipc/contract.js';
import type { SegmentAudio } from '../store/store.js';
import { clipReply, segmentIdOfClipName } from './clip-reply.js';
import { type Router, toRemoteError } from './router.js';

/**
 * The browser shell: the renderer and the same contract as Electron's IPC, served to a browser on this
 * machine only. Who may talk to it:
 * - the server listens on 127.0.0.1 alone, and answers only requests addressed to 127.0.0.1:PORT (a page
 *   of another site that resolves its own name to 127.0.0.1 — DNS rebinding — is refused);
 * - every launch makes a new random token; the WebSocket and the audio clips need it. The page learns it
 *   from its address's fragment (#token=…), which browsers never send to servers or in Referer headers;
 * - the WebSocket upgrade must come from the shell's own origin: other sites' pages are refused, and so
 *   are clients that send no Origin at all.
 * The static files (the renderer bundle) hold nothing private and need no token.
 */
export interface WebShellOptions {
  router: Router;
  /** The built renderer: index.html and its assets. A built-in page explains how to build it when missing. */
  staticDir: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number; // 0
  /** A segment's clip, for /audio/<segmentId>.wav (the store's segmentAudio). */
  segmentAudio: (segmentId: number) => Promise<SegmentAudio>;
  /** Largest request message accepted on the WebSocket, in bytes. */
  maxMessageBytes?: number; // 1 MiB
  /** A client whose unsent replies and events exceed this many bytes is too slow and is disconnected. */
  maxBufferedBytes?: number; // 16 MiB
  /**
   * Open WebSocket connections at once; more are refused (503) until one closes. A person has a page or two
   * open; the bound keeps a runaway script that holds the token from exhausting memory and descriptors.
   */
  maxClients?: number; // 16
}

export interface WebShell {
  /** The address to open: http://127.0.0.1:PORT/#token=… */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  /** The URL of a segment's clip, token included. */
  audioUrl(segmentId: number): string;
  close(): Promise<void>;
}

/** A request on the WebSocket. */
interface WireRequest {
  id: string | number;
  method: string;
  args?: unknown;
}

const HOST = '127.0.0.1';
const WS_PATH = '/ws';
const AUDIO_PREFIX = '/audio/';
const TOKEN_BYTES = 32;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
};

export async function startWebShell(opts: WebShellOptions): Promise<WebShell> {
  const shell = new WebShellServer(opts);
  await shell.listen(opts.port ?? 0);
  const { origin, port, token } = shell;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    audioUrl: (segmentId) => `${origin}/audio/${segmentId}.wav?token=${token}`,
    close: () => shell.close(),
  };
}

/** The HTTP server, the WebSocket server on it, and who may use them. */
class WebShellServer {
  readonly token = randomBytes(TOKEN_BYTES).toString('base64url');
  private readonly tokenBytes = Buffer.from(this.token);
  private readonly maxBufferedBytes: number;
  private readonly maxClients: number;
  /** Upgrades accepted and not yet open (see maxClients). */
  private upgrading = 0;
  // Filled in once listening: the port is part of the origin, the Host check and the CSP.
  port = 0;
  origin = '';
  private headers: Record<string, string> = {};
  private readonly server = createServer((req, res) => {
    this.handleHttp(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  private readonly wss: WebSocketServer;
  private forwarders: (readonly [EventName, (payload: unknown) => void])[] = [];
  private closed: Promise<void> | null = null;

  constructor(private readonly opts: WebShellOptions) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.maxClients = opts.maxClients ?? 16;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? 1024 * 1024 });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.wss.on('connection', (ws: WebSocket) => {
      ws.on('error', () => ws.terminate());
      ws.on('message', (data: RawData, isBinary: boolean) => {
        void this.answer(ws, data, isBinary);
      });
    });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, HOST, () => {
        this.server.off('error', fail);
        done();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.origin = `http://${HOST}:${this.port}`;
    this.headers = securityHeaders(this.port);
    this.forwarders = EVENT_NAMES.map((event) => {
      const forward = (payload: unknown) => this.broadcast(JSON.stringify({ event, payload }));
      this.opts.router.events.on(event, forward);
      return [event, forward] as const;
    });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const [event, forward] of this.forwarders) this.opts.router.events.off(event, forward);
      for (const ws of this.wss.clients) ws.close(1001, 'Attune is shutting down');
      await new Promise<void>((done) => this.wss.close(() => done()));
      this.server.closeAllConnections();
      await new Promise<void>((done) => this.server.close(() => done()));
    })();
    return this.closed;
  }

  private tokenOk(given: string | null): boolean {
    const b = Buffer.from(given ?? '');
    return b.length === this.tokenBytes.length && timingSafeEqual(b, this.tokenBytes);
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(this.headers)) res.setHeader(k, v);
    if (req.headers.host !== hostOf(this.origin))
      return send(res, 421, 'this server answers only at ' + this.origin);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, `method ${req.method} is not allowed`);
    }
    const [rawPath, query = ''] = (req.url ?? '/').split('?', 2);
    const segmentId = rawPath.startsWith(AUDIO_PREFIX)
      ? segmentIdOfClipName(rawPath.slice(AUDIO_PREFIX.length))
      : null;
    if (segmentId !== null) {
      if (!this.tokenOk(new URLSearchParams(query).get('token')))
        return send(res, 403, 'a valid token is required');
      return this.serveAudio(req, res, segmentId);
    }
    if (rawPath === WS_PATH) return send(res, 426, 'this address takes WebSocket connections only');
    return this.serveStatic(req, res, rawPath);
  }

  private async serveAudio(req: IncomingMessage, res: ServerResponse, segmentId: number): Promise<void> {
    const reply = await clipReply(this.opts.segmentAudio, segmentId, {
      head: req.method === 'HEAD',
      range: req.headers.range,
    });
    res.statusCode = reply.status;
    for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    res.end(reply.body ?? undefined);
  }

  private async serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const file = await resolveStatic(this.opts.staticDir, rawPath);
    if (file === 'refused') return send(res, 403, 'path refused');
    if (file === 'not-built') {
      if (rawPath !== '/' && rawPath !== '/index.html') return send(res, 404, 'not found');
      return sendPage(res, notBuiltPage(this.opts.staticDir));
    }
    if (file === null) return send(res, 404, 'not found');
    const info = await stat(file.path);
    res.statusCode = 200;
    res.setHeader(
      'Content-Type',
      CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    );
    res.setHeader('Content-Length', info.size);
    // The page itself is always fetched fresh, so a rebuilt renderer shows at the next reload.
    res.setHeader(
      'Cache-Control',
      file.path.endsWith('.html') ? 'no-cache' : 'public, max-age=0, must-revalidate',
    );
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((done, fail) => {
      createReadStream(file.path).on('error', fail).on('end', done).pipe(res);
    });
  }

  /** Why a WebSocket upgrade is refused, as status and reason; null lets it in. */
  private upgradeRefusal(req: IncomingMessage): [number, string] | null {
    const [rawPath, query = ''] = (req.url ?? '/').split('?', 2);
    if (req.headers.host !== hostOf(this.origin)) return [421, `this server answers only at ${this.origin}`];
    if (rawPath !== WS_PATH) return [404, `no WebSocket at ${rawPath}`];
    if (req.headers.origin === undefined)
      return [403, 'connections must come from the Attune page (no Origin header)'];
    if (req.headers.origin !== this.origin)
      return [403, `connections from ${req.headers.origin} are not allowed`];
    if (!this.tokenOk(new URLSearchParams(query).get('token'))) return [403, 'a valid token is required'];
    if (this.wss.clients.size + this.upgrading >= this.maxClients)
      return [503, `too many connections: at most ${this.maxClients} Attune pages may be open at once`];
    return null;
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refusal = this.upgradeRefusal(req);
    if (refusal) {
      const [status, reason] = refusal;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n` +
          `Connection: close\r\n\r\n${reason}`,
      );
      return;
    }
    // Counted from here, so upgrades under way at once cannot overshoot the bound.
    this.upgrading++;
    let counted = true;
    const settle = () => {
      if (counted) this.upgrading--;
      counted = false;
    };
    socket.once('close', settle);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      this.wss.emit('connection', ws, req);
    });
  }

  private async answer(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const req = isBinary ? null : parseWireRequest(data.toString());
    if (req === null || 'error' in req) {
      const message = req === null ? 'messages must be JSON text, not binary' : req.error;
      return this.reply(ws, {
        id: req !== null && 'id' in req ? req.id : null,
        error: { code: 'BAD_REQUEST', message },
      });
    }
    try {
      const result = await this.opts.router.call(req.method, req.args ?? {});
      this.reply(ws, { id: req.id, result });
    } catch (err) {
      this.reply(ws, { id: req.id, error: toRemoteError(err) });
    }
  }

  private reply(ws: WebSocket, message: unknown): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.maxBufferedBytes) {
      ws.close(1008, 'client too slow');
      return;
    }
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (err) {
      const id = (message as { id?: unknown }).id ?? null;
      text = JSON.stringify({
        id,
        error: { code: 'ERROR', message: `cannot send the result: ${(err as Error).message}` },
      });
    }
    ws.send(text);
  }

  /** An event to every open page; a page too slow to take it is disconnected. */
  private broadcast(text: string): void {
    for (const ws of this.wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > this.maxBufferedBytes) ws.close(1008, 'client too slow');
      else ws.send(text);
    }
  }
}

/** Headers on every HTTP response. */
function securityHeaders(port: number): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self'",
    `connect-src 'self' ws://${HOST}:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function hostOf(origin: string): string {
  return origin.replace(/^http:\/\//, '');
}

function send(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function sendPage(res: ServerResponse, html: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.setHeader('Cache-Control', 'no-cache');
  res.end(html);
}

/** Checks one WebSocket message: a JSON object with an id (string or number) and a method name. */
export function parseWireRequest(text: string): WireRequest | { id?: string | number | null; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `message is not valid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'a message must be a JSON object {id, method, args}' };
  }
  const { id, method, args } = value as Record<string, unknown>;
  const idOk =
    (typeof id === 'string' && id.length <= 100) || (typeof id === 'number' && Number.isFinite(id));
  if (!idOk) return { error: 'a message needs an id: a number, or a string of at most 100 characters' };
  if (typeof method !== 'string')
    return { id: id as string | number, error: 'a message needs a method name' };
  return { id: id as string | number, method, args };
}

/**
 * Maps a request path to a file inside dir, or says why not. The raw path is decoded once and checked
 * segment by segment: "..", "." and hidden names, back-slashes and NUL are refused outright, whatever
 * their encoding; then the real path (symbolic links followed) must still lie inside dir.
 */
async function resolveStatic(
  dir: string,
  rawPath: string,
): Promise<{ path: string } | 'refused' | 'not-built' | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 'refused';
  }
  if (!decoded.startsWith('/') || /[\\\0]/.test(decoded)) return 'refused';
  const parts = decoded.split('/').slice(1);
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return 'refused';
  if (parts.some((p, i) => p === '' && i < parts.length - 1)) return 'refused'; // "//" in the middle
  const root = await realpath(dir).catch(() => null);
  if (root === null || !(await isFile(join(root, 'index.html')))) return 'not-built';
  const relative = parts.at(-1) === '' ? [...parts.slice(0, -1), 'index.html'] : parts;
  const real = await realpath(join(root, ...relative)).catch(() => null);
  if (real === null) return null;
  if (!real.startsWith(root + sep)) return 'refused';
  return (await isFile(real)) ? { path: real } : null;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

function notBuiltPage(staticDir: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Attune: renderer not built</title></head>
<body>
<h1>The Attune renderer is not built</h1>
<p>The server is running, but there is no built user interface to show: <code>${esc(join(staticDir, 'index.html'))}</code> does not exist.</p>
<p>Build the Svelte renderer (<code>src-renderer/</code>) into that folder, then reload this page.</p>
</body>
</html>
`;
}
