import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { AttuneError, attuneFromLocation, connectAttune } from '../../src-main/app/web-client.js';
import { startWebShell } from '../../src-main/app/web-shell.js';
import type { AttuneApi, EventPayloads } from '../../src-main/ipc/contract.js';
import { parseWav } from '../../src-main/speech/wav.js';
import { openRawClient, startTestApp, type TestApp } from './app-helpers.js';

let t: TestApp;
const SECRET = 'top-secret-3f9a';
const INDEX = '<!doctype html><title>Attune</title><script src="/assets/app.js"></script>';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with the path sent exactly as given (no normalisation by a URL parser). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  host = '127.0.0.1',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status of a WebSocket upgrade (101 when accepted), and the refusal's text. */
function upgrade(url: string, origin: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => undefined);
  });
}

function shell() {
  return t.shell!;
}

/** The web client of the renderer, connected from Node through the ws package as if from the page. */
function connect(token = shell().token): Promise<AttuneApi> {
  return connectAttune(`${shell().origin}/`, token, {
    createSocket: (u) => new WebSocket(u, { origin: shell().origin }),
  });
}

function tone(samples: number): Float32Array {
  const s = new Float32Array(samples);
  for (let i = 0; i < s.length; i++) s[i] = 0.25 * Math.sin((2 * Math.PI * 330 * i) / 16000);
  return s;
}

beforeAll(async () => {
  t = await startTestApp({ shell: true });
  // The renderer folder, with files outside it that must never be served.
  const renderer = join(t.dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), INDEX);
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log("attune");\n');
  writeFileSync(join(renderer, 'assets', 'app.css'), 'body { margin: 0 }\n');
  writeFileSync(join(renderer, '.env'), SECRET);
  writeFileSync(join(t.dir, 'secret.txt'), SECRET);
  writeFileSync(join(t.dir, 'package.json'), JSON.stringify({ name: SECRET }));
  symlinkSync(join(t.dir, 'secret.txt'), join(renderer, 'assets', 'link.txt'));
});

afterAll(async () => {
  await t?.close();
});

describe('web shell: HTTP', () => {
  it('listens on 127.0.0.1 only and prints an address with the token in its fragment', async () => {
    expect(shell().url).toBe(`http://127.0.0.1:${shell().port}/#token=${shell().token}`);
    expect(shell().token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Other loopback addresses reach this machine too; only 127.0.0.1 answers.
    for (const host of ['127.0.0.2', '::1']) {
      await expect(get(shell().port, '/', {}, host), host).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL/);
    }
    expect((await get(shell().port, '/')).status).toBe(200);
  });

  it('serves the renderer with content types and security headers', async () => {
    const page = await get(shell().port, '/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe(INDEX);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${shell().port}`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');

    const js = await get(shell().port, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-security-policy']).toBe(csp);
    expect((await get(shell().port, '/assets/app.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get(shell().port, '/assets/missing.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/..%2fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '//secret.txt',
    `/${encodeURIComponent(join('/', 'etc', 'passwd'))}`,
    '/.env',
    '/assets/link.txt',
    '/index.html%00.js',
    '/%E0%A4%A',
  ])('refuses %s', async (path) => {
    const r = await get(shell().port, path);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body.toString()).not.toContain(SECRET);
    expect(r.body.toString()).not.toContain('root:');
  });

  it('answers only requests addressed to 127.0.0.1:PORT (no DNS rebinding)', async () => {
    for (const host of ['evil.example', `localhost:${shell().port}`, `evil.example:${shell().port}`]) {
      const r = await get(shell().port, '/', { Host: host });
      expect(r.status, host).toBe(421);
    }
  });

  it('serves a page saying how to build the renderer when it is not built', async () => {
    const bare = await startWebShell({
      router: t.app.router,
      staticDir: join(t.dir, 'not-built'),
      segmentAudio: (id) => t.app.store.segmentAudio(id),
    });
    try {
      const r = await get(bare.port, '/');
      expect(r.status).toBe(200);
      const html = r.body.toString();
      expect(html).toContain('renderer is not built');
      expect(html).toContain(join(t.dir, 'not-built', 'index.html'));
      expect(html).not.toMatch(/<script|<style|style=/i);
      expect(r.headers['content-security-policy']).toContain(`ws://127.0.0.1:${bare.port}`);
      expect((await get(bare.port, '/app.js')).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe('web shell: WebSocket', () => {
  it('refuses upgrades without the token, from other origins, or without an Origin', async () => {
    const base = `ws://127.0.0.1:${shell().port}`;
    const own = shell().origin;
    const ok = `${base}/ws?token=${shell().token}`;
    expect((await upgrade(ok, own)).status).toBe(101);
    expect(await upgrade(`${base}/ws`, own)).toEqual({ status: 403, body: 'a valid token is required' });
    expect((await upgrade(`${base}/ws?token=${shell().token.slice(1)}x`, own)).status).toBe(403);
    expect((await upgrade(`${base}/ws?token=`, own)).status).toBe(403);
    expect(await upgrade(ok, 'http://evil.example')).toEqual({
      status: 403,
      body: 'connections from http://evil.example are not allowed',
    });
    expect((await upgrade(ok, `http://localhost:${shell().port}`)).status).toBe(403);
    expect((await upgrade(ok, 'null')).status).toBe(403);
    expect(await upgrade(ok, undefined)).toEqual({
      status: 403,
      body: 'connections must come from the Attune page (no Origin header)',
    });
    expect((await upgrade(`${base}/other?token=${shell().token}`, own)).status).toBe(404);
  });

  it('holds at most maxClients connections open, refusing more until one closes', async () => {
    const bounded = await startWebShell({
      router: t.app.router,
      staticDir: join(t.dir, 'renderer'),
      segmentAudio: (id) => t.app.store.segmentAudio(id),
      maxClients: 3,
    });
    const url = `ws://127.0.0.1:${bounded.port}/ws?token=${bounded.token}`;
    const open = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { origin: bounded.origin });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
        ws.once('error', reject);
      });
    try {
      // Twenty attempts at once: three get in, the rest are refused, none waits.
      const tries = await Promise.allSettled(Array.from({ length: 20 }, open));
      const held = tries.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(held).toHaveLength(3);
      expect(await upgrade(url, bounded.origin)).toEqual({
        status: 503,
        body: 'too many connections: at most 3 Attune pages may be open at once',
      });
      // Those held still work, and a closed one makes room.
      const reply = new Promise<string>((resolve) => held[0].once('message', (d) => resolve(d.toString())));
      held[0].send(JSON.stringify({ id: 1, method: 'dictation.status', args: {} }));
      expect(JSON.parse(await reply)).toMatchObject({ id: 1, result: { state: 'idle' } });
      held[1].close();
      await expect.poll(async () => (await upgrade(url, bounded.origin)).status, { timeout: 5000 }).toBe(101);
      for (const ws of held) ws.close();
    } finally {
      await bounded.close();
    }
  });

  it('answers requests, and reports unknown methods, bad arguments and malformed messages without dying', async () => {
    const c = await openRawClient(shell());
    try {
      const info = await c.request('system.info');
      expect(info).toMatchObject({ id: 1, result: { backend: { name: 'wasm' }, dataDir: t.dataDir } });
      expect(await c.request('sessions.drop', {})).toEqual({
        id: 2,
        error: { code: 'UNKNOWN_METHOD', message: 'unknown method "sessions.drop"' },
      });
      const bad = await c.request('sessions.get', { id: -3 });
      expect(bad).toMatchObject({ id: 3, error: { code: 'BAD_ARGUMENTS' } });
      expect((bad.error as { message: string }).message).toMatch(/^bad arguments for sessions.get: id:/);
      expect(await c.request('sessions.get', { id: 123456 })).toEqual({
        id: 4,
        error: { code: 'NOT_FOUND', message: 'session 123456 does not exist' },
      });

      const notJson = await c.sendRaw('{"id": 5, "method": ');
      expect(notJson).toMatchObject({ id: null, error: { code: 'BAD_REQUEST' } });
      expect((notJson.error as { message: string }).message).toMatch(/^message is not valid JSON/);
      expect(await c.sendRaw('[1,2]')).toMatchObject({ id: null, error: { code: 'BAD_REQUEST' } });
      expect(await c.sendRaw('{"method":"system.info"}')).toMatchObject({
        id: null,
        error: { message: expect.stringMatching(/needs an id/) },
      });
      expect(await c.sendRaw('{"id":"a","args":{}}')).toMatchObject({
        id: 'a',
        error: { code: 'BAD_REQUEST', message: 'a message needs a method name' },
      });
      const binary = new Promise<Record<string, unknown>>((resolve) =>
        c.ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)),
      );
      c.ws.send(Buffer.from([1, 2, 3]));
      expect(await binary).toMatchObject({ error: { message: 'messages must be JSON text, not binary' } });
      // Still serving after all that.
      expect(await c.request('dictation.status')).toMatchObject({ result: { state: 'idle' } });
    } finally {
      c.close();
    }
  });

  it('closes a connection that sends an oversized message, and goes on serving the others', async () => {
    const big = await openRawClient(shell());
    const other = await openRawClient(shell());
    try {
      const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
      // 1 MiB is the limit: a message past it (a flood, or a page gone wrong) is refused, not parsed.
      big.ws.send(JSON.stringify({ id: 1, method: 'system.info', args: { pad: 'x'.repeat(1024 * 1024) } }));
      expect(await closed).toBe(1009); // "message too big"
      expect(await other.request('dictation.status')).toMatchObject({ result: { state: 'idle' } });
      const again = await openRawClient(shell());
      expect(await again.request('dictation.status')).toMatchObject({ result: { state: 'idle' } });
      again.close();
    } finally {
      other.close();
    }
  });

  it('forwards events to every connected client', async () => {
    const session = t.app.store.sessions.create({ title: 'Events' });
    const a = await connect();
    const b = await openRawClient(shell());
    try {
      const seen: EventPayloads['sessions.changed'][] = [];
      const off = a.on('sessions.changed', (p) => seen.push(p));
      await a.call('sessions.rename', { id: session.id, title: 'Events renamed' });
      await expect.poll(() => b.events.length).toBeGreaterThan(0);
      expect(seen).toEqual([{ id: session.id }]);
      expect(b.events).toContainEqual({ event: 'sessions.changed', payload: { id: session.id } });
      off();
      await a.call('sessions.rename', { id: session.id, title: 'Events again' });
      await expect.poll(() => b.events.length).toBe(2);
      expect(seen).toHaveLength(1);
    } finally {
      b.close();
    }
  });

  it('web client: results, errors with their code, and clear errors once the connection is gone', async () => {
    const api = await connect();
    expect((await api.call('settings.get', {})).exportFormat).toBe('txt');
    const err = await api.call('sessions.get', { id: 424242 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttuneError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'session 424242 does not exist' });
    await expect(api.call('no.such' as 'system.info', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
    expect(() => api.on('no.such' as 'sessions.changed', () => undefined)).toThrow(/unknown event/);

    await expect(connect('wrong-token')).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    await expect(attuneFromLocation({ href: shell().origin + '/', hash: '' })).rejects.toMatchObject({
      code: 'NO_TOKEN',
    });

    // A second shell on the same app, closed while a call is waiting for its answer.
    const second = await startWebShell({
      router: t.app.router,
      staticDir: join(t.dir, 'renderer'),
      segmentAudio: (id) => t.app.store.segmentAudio(id),
    });
    const viaSecond = await attuneFromLocation(
      { href: `${second.origin}/`, hash: `#token=${second.token}` },
      { createSocket: (u) => new WebSocket(u, { origin: second.origin }) },
    );
    expect((await viaSecond.call('dictation.status', {})).state).toBe('idle');
    const waiting = viaSecond.call('devices.list', {});
    await second.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(viaSecond.call('system.info', {})).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
      message: expect.stringMatching(/connection to Attune closed/),
    });
  });
});

describe('web shell: audio', () => {
  it('serves a stored segment as WAV with the token, and nothing without it', async () => {
    const { store } = t.app;
    const session = store.sessions.create({ title: 'Audio' });
    const samples = tone(12_000);
    const seg = await store.appendSegment(
      session.id,
      { startMs: 0, endMs: 750, rawText: 'tone' },
      { samples, sampleRate: 16000 },
    );
    const silentSeg = store.segments.append(session.id, { startMs: 800, endMs: 900, rawText: 'no clip' });
    store.sessions.end(session.id);

    const api = await connect();
    const { url } = await api.call('segments.audioUrl', { segmentId: seg.id });
    expect(url).toBe(`${shell().origin}/audio/${seg.id}.wav?token=${shell().token}`);
    const path = new URL(url!).pathname + new URL(url!).search;
    const r = await get(shell().port, path);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('audio/wav');
    expect(r.headers['cache-control']).toBe('no-store');
    const wav = parseWav(r.body, 'clip.wav');
    expect(wav.sampleRate).toBe(16000);
    expect(wav.mono.length).toBe(samples.length);
    expect(Math.abs(wav.mono[100] - samples[100])).toBeLessThan(1e-3);

    const ranged = await get(shell().port, path, { Range: 'bytes=0-11' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 0-11/${r.body.length}`);
    expect(ranged.body.toString('latin1')).toBe(r.body.subarray(0, 12).toString('latin1'));
    expect((await get(shell().port, path, { Range: `bytes=${r.body.length}-` })).status).toBe(416);

    expect((await get(shell().port, `/audio/${seg.id}.wav`)).status).toBe(403);
    expect((await get(shell().port, `/audio/${seg.id}.wav?token=nope`)).status).toBe(403);
    expect((await get(shell().port, `/audio/${seg.id}.wav?token=${shell().token}x`)).status).toBe(403);

    expect(await api.call('segments.audioUrl', { segmentId: silentSeg.id })).toEqual({ url: null });
    const none = await get(shell().port, `/audio/${silentSeg.id}.wav?token=${shell().token}`);
    expect(none.status).toBe(404);
    expect(none.body.toString()).toBe(`segment ${silentSeg.id} has no audio`);
    expect((await get(shell().port, `/audio/99999.wav?token=${shell().token}`)).status).toBe(404);
    for (const bad of [
      `/audio/../${seg.id}.wav`,
      `/audio/..%2f${seg.id}.wav`,
      `/audio/%2e%2e%2f..%2fpackage.json`,
      `/audio/${seg.id}.wav%00`,
      `/audio/${seg.id}%2ewav`,
      `/audio/0x${seg.id.toString(16)}.wav`,
      `/audio/${seg.id}.0.wav`,
      `/audio/-${seg.id}.wav`,
      `/audio/${'9'.repeat(40)}.wav`,
      `/audio/%E0%A4%A.wav`,
    ]) {
      const r = await get(shell().port, `${bad}?token=${shell().token}`);
      expect([400, 403, 404], bad).toContain(r.status);
    }
  });
});
