// File transcription streams any length through the model with bounded memory, and a short clip comes out as
// the whole-file path gave it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcribeFile } from '../../src-main/engine/transcribe-file.js';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModel, type LoadedModel } from '../../src-main/model/model-io.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { LM_BEAM_WIDTH } from '../../src-main/speech/beam-search.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import { transcribeWhole } from './whole-file.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./transcribe-memory-child.ts', import.meta.url));
const SENTENCES = [
  'the quick brown fox jumps over the lazy dog',
  'please call me back when you get this message',
  'seven hundred and twenty three people came to the meeting',
];

let dir: string;
let m: LoadedModel;
let clip: string; // espeak-ng's 22.05 kHz WAV: read natively, resampled by sox as it streams
let clip16k: string;
let long: string; // a few minutes of the sentences with pauses

/** `seconds` of the sentences, each followed by a pause, repeated. */
async function speechFile(name: string, seconds: number): Promise<string> {
  const parts = await Promise.all(
    SENTENCES.map(async (text, i) => {
      const file = join(dir, `s${i}.wav`);
      await run('espeak-ng', ['-w', file, text]);
      return file;
    }),
  );
  const once = join(dir, 'once.wav');
  await run('sox', [...parts, '-r', '16000', once, 'pad', '0', '0.8']);
  const file = join(dir, name);
  await run('sox', [once, file, 'repeat', '1000', 'trim', '0', String(seconds)]);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-transcribe-'));
  await initBackend({ prefer: 'wasm' });
  m = loadModel(BASE_MODEL_DIR);
  clip = join(dir, 'clip.wav');
  await run('espeak-ng', ['-w', clip, SENTENCES[0]]);
  clip16k = join(dir, 'clip16k.wav');
  await run('sox', [clip, '-r', '16000', clip16k]);
  long = await speechFile('long.wav', 75);
}, 60_000);

afterAll(() => {
  m?.model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('transcribeFile', () => {
  it('transcribes a short clip exactly as the whole-file path, greedy and with the language model', async () => {
    const lm = WordLm.load(BASE_LM_PATH);
    for (const decoding of [
      { lm: null, beamWidth: 1 },
      { lm: { lm, vocabulary: vocabularyTrie(lm, m.alphabet) }, beamWidth: LM_BEAM_WIDTH },
    ]) {
      for (const file of [clip, clip16k]) {
        const whole = await transcribeWhole(file, m, decoding);
        // Small chunks: the streaming model's state carries across many of them.
        const streamed = await transcribeFile(file, m, decoding, { chunkSec: 0.25 });
        expect(whole.text).not.toBe('');
        expect(streamed.text).toBe(whole.text);
        expect(streamed.durationSec).toBe(whole.durationSec);
        expect(streamed.words.map((w) => [w.word, w.startMs, w.endMs])).toEqual(
          whole.words.map((w) => [w.word, w.startMs, w.endMs]),
        );
        // The streaming forward equals the offline one to float rounding (acoustic.test.ts: ≤ 1e-5).
        streamed.words.forEach((w, i) => expect(w.confidence).toBeCloseTo(whole.words[i].confidence, 4));
      }
    }
  }, 60_000);

  it('decodes a long file in pieces: the same characters, word breaks added at the cuts only', async () => {
    const greedy = { lm: null, beamWidth: 1 };
    const whole = await transcribeWhole(long, m, greedy);
    const progress: [number, number | null][] = [];
    const pieces = { minPieceSec: 5, maxPieceSec: 12, pauseMs: 300 };
    const streamed = await transcribeFile(long, m, greedy, { chunkSec: 3, pieces }, (done, total) =>
      progress.push([done, total]),
    );
    expect(streamed.durationSec).toBe(75);
    expect(streamed.text.replaceAll(' ', '')).toBe(whole.text.replaceAll(' ', ''));
    // Times stay on the file's timeline, in order, across pieces.
    const starts = streamed.words.map((w) => w.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(streamed.words.at(-1)!.endMs).toBeLessThanOrEqual(75_000);
    expect(streamed.words.at(-1)!.startMs).toBeGreaterThan(60_000);
    // Progress: chunk by chunk, in seconds of audio, against the length known from the header.
    expect(progress.length).toBe(25);
    expect(progress.at(-1)).toEqual([75, 75]);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
  }, 120_000);

  it('holds memory flat however long the file: 4 minutes peak like 1, where the whole-file path grows', async () => {
    const short = await speechFile('1min.wav', 60);
    const longer = await speechFile('4min.wav', 240);
    const peak = async (file: string, mode: string) => {
      const { stdout } = await run('npx', ['tsx', CHILD, file, mode], { timeout: 120_000 });
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as { durationSec: number; peakRssMb: number };
    };
    const streamed = [await peak(short, 'streamed'), await peak(longer, 'streamed')];
    const whole = [await peak(short, 'whole'), await peak(longer, 'whole')];
    expect(streamed.map((r) => r.durationSec)).toEqual([60, 240]);
    const growth = (r: { peakRssMb: number }[]) => r[1].peakRssMb - r[0].peakRssMb;
    // The measure sees the whole-file path's growth (its model forward is sized by the file: ~75 MB a minute)…
    expect(growth(whole)).toBeGreaterThan(120);
    // …and none worth the name when streaming: 3 more minutes cost less than 30 MB (words and text kept).
    expect(growth(streamed)).toBeLessThan(30);
  }, 240_000);
});
