// Run by crash.test.ts (npx tsx test/store/crash-child.ts <dataDir>): opens the store, starts a session and
// appends segments with clips one by one, printing each segment id once its append has returned, until it
// is killed. Stops by itself after maxMs so it can never outlive a test that died.

import { writeSync } from 'node:fs';
import { Store } from '../../src-main/store/store.js';

const [dataDir, maxMsArg] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: crash-child.ts <dataDir> [maxMs]');
const maxMs = Number(maxMsArg ?? 60_000);

const store = Store.open({ dataDir });
const session = store.sessions.create({ title: 'Killed mid-dictation' });
// writeSync: each line is out before the next append starts, whatever stdout is connected to.
writeSync(1, `pid ${process.pid}\nsession ${session.id}\n`);

const clip = new Float32Array(1600); // [1600] 0.1 s at 16 kHz
for (let i = 0; i < clip.length; i++) clip[i] = 0.25 * Math.sin((2 * Math.PI * 300 * i) / 16000);

const started = Date.now();
for (let i = 0; Date.now() - started < maxMs; i++) {
  const segment = await store.appendSegment(
    session.id,
    {
      startMs: i * 100,
      endMs: i * 100 + 100,
      rawText: `segment number ${i} of the dictation that never ends`,
    },
    { samples: clip, sampleRate: 16000 },
  );
  writeSync(1, `segment ${segment.id}\n`);
}
store.close();
