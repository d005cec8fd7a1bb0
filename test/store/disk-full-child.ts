// Run inside a private mount namespace whose data folder is a 1 MB tmpfs (disk-full.test.ts): appends
// phrases with their clips until the disk is full, then prints (one JSON line) what was acknowledged and
// what failed, and what a reopened store holds: the namespace, and the full disk with it, end with this
// process, so everything is checked here.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Store } from '../../src-main/store/store.js';

const dataDir = process.argv[2];
const store = Store.open({ dataDir });
const session = store.sessions.create({ title: 'Full disk' });
// Two seconds of a tone with a little noise: a clip of ~64 kB, so the disk fills within a few dozen.
const samples = Float32Array.from(
  { length: 32_000 },
  (_, i) => 0.3 * Math.sin(i / 7) + 0.01 * Math.sin(i * 1.3),
);
const acknowledged: { id: number; text: string; clip: boolean }[] = [];
const failures: { code: string; name: string; message: string }[] = [];
for (let i = 0; i < 500 && failures.length < 3; i++) {
  const text = `phrase ${i} of a long dictation `.repeat(10);
  try {
    const r = await store.appendSegment(
      session.id,
      { startMs: i * 2000, endMs: i * 2000 + 1900, rawText: text },
      { samples, sampleRate: 16000 },
    );
    acknowledged.push({ id: r.id, text, clip: r.audioError === null });
    if (r.audioError)
      failures.push({ code: r.audioError.code, name: 'audio', message: r.audioError.message });
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    failures.push({ code: e.code ?? '', name: e.name ?? '', message: e.message ?? String(err) });
  }
}
let ended = true;
try {
  store.sessions.end(session.id);
} catch {
  ended = false;
}
store.close();

const raw = new Database(join(dataDir, 'attune.db'), { readonly: true });
const integrity = raw.pragma('integrity_check', { simple: true });
raw.close();
const again = Store.open({ dataDir });
const { segments } = again.sessions.withSegments(session.id);
const clips: string[] = [];
for (const s of segments) if (s.audioPath) clips.push((await again.segmentAudio(s.id)).status);
again.close();
process.stdout.write(
  JSON.stringify({
    acknowledged,
    failures,
    ended,
    integrity,
    stored: segments.map((s) => ({ id: s.id, text: s.rawText, clip: s.audioPath !== null })),
    clips,
  }) + '\n',
);
