import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src-main/store/store.js';
import { cleanUp, tempDir } from './store-helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
/** Segments the child must have committed before it is killed. */
const KILL_AFTER = 40;

const dirs: string[] = [];
afterEach(() => cleanUp(...dirs.splice(0)));

interface Killed {
  sessionId: number;
  /** Ids the child printed: each append had returned before the kill. */
  committed: number[];
}

/** Runs the child until it has printed KILL_AFTER segment ids, then SIGKILLs it mid-loop. */
function runAndKill(dataDir: string): Promise<Killed> {
  return new Promise((resolve, reject) => {
    // Its own process group, so npx, tsx and the writer can all be ended afterwards.
    const child = spawn('npx', ['tsx', CHILD, dataDir, '60000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let writerPid = 0;
    let sessionId = 0;
    const committed: number[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [key, value] = line.split(' ');
        if (key === 'pid') writerPid = Number(value);
        else if (key === 'session') sessionId = Number(value);
        // Lines still arriving after the kill were printed before it: those appends had returned too.
        else if (key === 'segment') committed.push(Number(value));
      }
      if (!killed && committed.length >= KILL_AFTER && writerPid > 0) {
        killed = true;
        process.kill(writerPid, 'SIGKILL'); // the process writing the database, mid-loop
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // the group may already be gone
        }
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      if (!killed) reject(new Error(`the child ended before it was killed:\n${stderr}`));
      else resolve({ sessionId, committed });
    });
  });
}

describe('crash safety', () => {
  it('keeps every committed segment of a process killed mid-write; the session reads as interrupted', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    // Twice into the same folder: the second child itself opens a store its predecessor was killed in.
    const first = await runAndKill(dataDir);
    const second = await runAndKill(dataDir);
    expect(second.sessionId).toBeGreaterThan(first.sessionId);

    // Before anything else opens it: the file as the kill left it passes SQLite's full check.
    const raw = new Database(`${dataDir}/attune.db`);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(() =>
      raw.prepare(`INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)`).run(),
    ).not.toThrow();
    raw.close();

    const store = Store.open({ dataDir });
    try {
      expect(store.info.recovered).toEqual([second.sessionId]); // the second child recovered the first
      for (const { sessionId, committed } of [first, second]) {
        expect(committed.length).toBeGreaterThanOrEqual(KILL_AFTER);
        const { session, segments } = store.sessions.withSegments(sessionId);
        expect(session.status).toBe('interrupted');
        expect(session.endedAt).not.toBeNull();
        const stored = new Set(segments.map((s) => s.id));
        for (const id of committed) expect(stored.has(id), `segment ${id}`).toBe(true);
        // Committed but not printed when the kill came: at most the append in flight.
        expect(segments.length - committed.length).toBeLessThanOrEqual(1);
        expect(segments.map((s) => s.seq)).toEqual(segments.map((_, i) => i));

        // Clips: each written one is whole (atomic writes); leftovers of the killed write are swept.
        await store.sweepAudio();
        for (const s of segments) {
          const audio = await store.segmentAudio(s.id);
          if (committed.includes(s.id)) expect(audio.status, `clip of segment ${s.id}`).toBe('ok');
          if (audio.status === 'ok') expect(audio.samples.length).toBe(1600);
        }
      }
      const hits = store.search('dictation').sessions;
      expect(hits.map((h) => h.matchCount).reduce((a, b) => a + b)).toBe(
        store.sessions.list().items.reduce((n, s) => n + s.segmentCount, 0),
      );
    } finally {
      store.close();
    }
  });
});
