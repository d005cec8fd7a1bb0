// The whole app killed mid-dictation: `attune serve` with the real engine and the FIFO microphone, SIGKILLed
// while speech is still arriving. Every segment the user had already seen must be in the store, with its
// clip; the session reads as interrupted; the engine and the recorder do not outlive the app.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAttune } from '../../src-main/app/web-client.js';
import type { EventPayloads } from '../../src-main/ipc/contract.js';
import { Store } from '../../src-main/store/store.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { saveTinyModel } from './app-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let mic: FifoMic;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-kill-'));
  await saveTinyModel(join(dir, 'model'), 1);
  mic = startFifoMic();
});

afterAll(() => {
  mic?.close();
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Child processes of `pid` whose command line matches `pattern` (none: []). */
function children(pid: number, pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', pattern], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

describe('the app killed mid-dictation', () => {
  it('keeps every segment already shown, with its clip, and leaves no engine or recorder behind', async () => {
    const dataDir = join(dir, 'data');
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--model', join(dir, 'model')].concat([
        '--data',
        dataDir,
        '--backend',
        'wasm',
        '--no-open',
      ]),
      // No desktop session: the phrases are never typed into the desktop of whoever runs the test.
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ...mic.env },
      },
    );
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    server.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => server.on('exit', (_c, s) => resolve(s)));
    let engine = 0;
    let recorder = 0;
    try {
      const link = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/;
      await expect.poll(() => link.exec(stdout), { timeout: 45_000, interval: 200 }).not.toBeNull();
      const url = new URL(link.exec(stdout)![0]);
      const api = await connectAttune(url.href, url.hash.slice('#token='.length), {
        createSocket: (u) => new WebSocket(u, { origin: url.origin }),
      });
      const shown: EventPayloads['dictation.segment'][] = [];
      api.on('dictation.segment', (s) => shown.push(s));
      const { sessionId } = await api.call('dictation.start', {});
      engine = children(server.pid!, 'engine-process')[0] ?? 0;
      expect(engine, 'the engine process').toBeGreaterThan(0);
      await expect.poll(() => children(server.pid!, 'arecord'), { timeout: 10_000 }).toHaveLength(1);
      recorder = children(server.pid!, 'arecord')[0];

      // Two phrases, each closed by a pause, then a third still being spoken when the app dies.
      for (const [i, text] of ['good morning everyone', 'the meeting starts at ten'].entries()) {
        const wav = join(dir, `phrase-${i}.wav`);
        execFileSync('espeak-ng', ['-w', wav, text]);
        await mic.play(wav);
        await mic.silence(1200);
      }
      await expect.poll(() => shown.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      const third = join(dir, 'phrase-2.wav');
      execFileSync('espeak-ng', ['-w', third, 'and this sentence never gets to finish because the app']);
      // Not awaited: once the recorder is gone nobody reads the rest; the mic gives up on it at close.
      mic.play(third).catch(() => {});
      await new Promise((r) => setTimeout(r, 700));
      const seen = shown.map((s) => s.segment);
      server.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      // The engine notices its parent is gone and exits; the recorder dies on its broken pipe.
      await expect.poll(() => alive(engine), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => alive(recorder), { timeout: 10_000 }).toBe(false);

      // The database as the kill left it is sound.
      const raw = new Database(join(dataDir, 'attune.db'));
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();

      const store = Store.open({ dataDir });
      try {
        expect(store.info.recovered).toEqual([sessionId]);
        const { session, segments } = store.sessions.withSegments(sessionId!);
        expect(session.status).toBe('interrupted');
        const stored = new Map(segments.map((s) => [s.id, s]));
        for (const s of seen) {
          expect(stored.get(s.id)?.displayText, `segment ${s.id}`).toBe(s.displayText);
          const audio = await store.segmentAudio(s.id);
          expect(audio.status, `clip of segment ${s.id}`).toBe('ok');
        }
      } finally {
        store.close();
      }
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      for (const pid of [engine, recorder]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      if (stderr.includes('Error')) console.error(stderr);
    }
  }, 120_000);
});
