// Shared set-up for the app tests: a tiny model folder, a temporary data folder, the real app (store,
// engine process, dictation) and, when asked, the web shell in front of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type App, startApp, type StartAppOptions } from '../../src-main/app/app.js';
import { startWebShell, type WebShell } from '../../src-main/app/web-shell.js';
import { initBackend } from '../../src-main/model/backend.js';
import { writeArpa } from '../../src-main/speech/arpa.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { saveBiasedModel } from '../model/tiny-model.js';

/** A small untrained model folder (see test/model/tiny-model.ts). */
export async function saveTinyModel(path: string, seed: number): Promise<void> {
  await initBackend({ prefer: 'cpu' });
  saveBiasedModel(path, seed, `tiny-${seed}`);
}

export interface TestApp {
  app: App;
  /** Temporary folder: data/, base/ (the tiny model used as the shipped one), and anything a test adds. */
  dir: string;
  dataDir: string;
  shell: WebShell | null;
  close(): Promise<void>;
}

/** Starts the real app on a fresh data folder with a tiny model as its shipped model; the shell if asked. */
export async function startTestApp(
  opts: { shell?: boolean; staticDir?: string } & Partial<StartAppOptions> = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'attune-app-'));
  const baseModelDir = join(dir, 'base');
  await saveTinyModel(baseModelDir, 1);
  // A small language model of its own: loads in no time, and finals go through the LM search as in the app.
  const languageModel = join(dir, 'lm.arpa');
  writeArpa(
    languageModel,
    buildLanguageModel(['hello there', 'the cat sat on the mat'], [], { order: 2, minCount: [1] }).arpa,
  );
  const dataDir = join(dir, 'data');
  let shell: WebShell | null = null;
  const app = await startApp({
    dataDir,
    baseModelDir,
    backend: 'wasm',
    languageModel,
    audioUrl: (id) => shell?.audioUrl(id) ?? null,
    // No desktop session for typed phrases unless a test gives one (its own Xvfb): a test never types into
    // the desktop of whoever runs it.
    output: { env: { PATH: process.env.PATH ?? '' } },
    ...opts,
  });
  if (opts.shell) {
    shell = await startWebShell({
      router: app.router,
      staticDir: opts.staticDir ?? join(dir, 'renderer'),
      segmentAudio: (id) => app.store.segmentAudio(id),
    });
  }
  return {
    app,
    dir,
    dataDir,
    get shell() {
      return shell;
    },
    async close() {
      await shell?.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw WebSocket client of the shell, speaking the wire protocol directly. */
export interface RawClient {
  ws: WebSocket;
  /** Sends text as is and waits for the next reply (a message with an id field). */
  sendRaw(text: string): Promise<Record<string, unknown>>;
  request(method: string, args?: unknown): Promise<Record<string, unknown>>;
  events: { event: string; payload: unknown }[];
  close(): void;
}

export function openRawClient(
  shell: WebShell,
  origin = shell.origin,
  token = shell.token,
): Promise<RawClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/ws?token=${encodeURIComponent(token)}`, { origin });
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  const events: { event: string; payload: unknown }[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Record<string, unknown>;
    if ('event' in msg) events.push(msg as { event: string; payload: unknown });
    else waiting.shift()?.(msg);
  });
  let nextId = 1;
  const sendRaw = (text: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      waiting.push(resolve);
      ws.send(text);
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        sendRaw,
        request: (method, args = {}) => sendRaw(JSON.stringify({ id: nextId++, method, args })),
        events,
        close: () => ws.close(),
      }),
    );
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
