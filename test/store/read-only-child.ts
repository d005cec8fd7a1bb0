// Run inside a private mount namespace whose data folder is a tmpfs (disk-full.test.ts): stores three
// phrases, closes, remounts the folder read-only and opens the store again; then makes it writable and
// opens it once more. Prints (one JSON line) the read-only open's error and what the store holds after.
import { execFileSync } from 'node:child_process';
import { Store } from '../../src-main/store/store.js';

const dataDir = process.argv[2];
const store = Store.open({ dataDir });
const session = store.sessions.create({ title: 'Read-only' });
const samples = Float32Array.from({ length: 16_000 }, (_, i) => 0.3 * Math.sin(i / 7));
for (let i = 0; i < 3; i++)
  await store.appendSegment(
    session.id,
    { startMs: i * 1000, endMs: i * 1000 + 900, rawText: `phrase ${i}` },
    { samples, sampleRate: 16000 },
  );
store.close();

execFileSync('mount', ['-o', 'remount,ro', dataDir]);
let error: { code: string; message: string } | null = null;
try {
  Store.open({ dataDir }).close();
} catch (err) {
  error = { code: (err as { code?: string }).code ?? '', message: (err as Error).message };
}
execFileSync('mount', ['-o', 'remount,rw', dataDir]);
const again = Store.open({ dataDir });
const { segments } = again.sessions.withSegments(session.id);
const clips: string[] = [];
for (const s of segments) clips.push((await again.segmentAudio(s.id)).status);
again.close();
process.stdout.write(JSON.stringify({ error, texts: segments.map((s) => s.rawText), clips }) + '\n');
