// Decoding a long stream of log-probs in pieces: where it cuts, and that it changes nothing but word breaks.
import { describe, expect, it } from 'vitest';
import { PieceDecoder } from '../../src-main/engine/piece-decoder.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { alphabet, frames } from '../speech/log-prob-frames.js';
import { mulberry32 } from '../../src-main/speech/prng.js';

const V = alphabet.size;
const FRAME_MS = 20;
const greedy = { lm: null, beamWidth: 1 };

/** Random speech-like rows: runs of letters and spaces between runs of blanks of random length. */
function babble(seed: number, n: number): Float32Array {
  const rand = mulberry32(seed);
  const spec: Record<string, number>[] = [];
  const letters = 'abcdefghij ';
  while (spec.length < n) {
    const ch = letters[Math.floor(rand() * letters.length)];
    for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) spec.push({ [ch]: 0.8 });
    // Mostly short gaps, now and then a pause long enough to cut at.
    const gap = rand() < 0.1 ? 10 + Math.floor(rand() * 40) : Math.floor(rand() * 3);
    for (let k = 0; k < gap; k++) spec.push({ _: 0.9 });
  }
  return frames(spec.slice(0, n));
}

/** Feeds rows in chunks of random sizes, as the streaming model emits them. */
function decodeInPieces(rows: Float32Array, config: ConstructorParameters<typeof PieceDecoder>[3], seed = 1) {
  const d = new PieceDecoder(alphabet, FRAME_MS, greedy, config);
  const rand = mulberry32(seed);
  const T = rows.length / V;
  const cuts = new Set<number>(); // where pieces ended before the end of the stream
  for (let t = 0; t < T;) {
    const n = Math.min(T - t, Math.floor(rand() * 60));
    d.accept(rows.subarray(t * V, (t + n) * V), n);
    if (d.framesDecoded > 0) cuts.add(d.framesDecoded);
    t += n;
  }
  return { ...d.finish(), cuts: cuts.size };
}

describe('PieceDecoder', () => {
  it('decodes a stream shorter than a piece exactly as greedyDecode does', () => {
    const rows = babble(3, 400); // 8 s at 20 ms
    const whole = greedyDecode(rows, 400, alphabet, { frameMs: FRAME_MS });
    const r = decodeInPieces(rows, { minPieceSec: 30, maxPieceSec: 60, pauseMs: 300 });
    expect(r.text).toBe(whole.text);
    expect(r.words).toEqual(whole.words);
    expect(r.cuts).toBe(0);
  });

  it('cuts a long stream on blank frames only: the same characters, word times on the file timeline', () => {
    for (const seed of [1, 2, 3]) {
      const T = 6000; // 2 minutes
      const rows = babble(seed, T);
      const whole = greedyDecode(rows, T, alphabet, { frameMs: FRAME_MS });
      const r = decodeInPieces(rows, { minPieceSec: 4, maxPieceSec: 8, pauseMs: 100 }, seed);
      expect(r.cuts).toBeGreaterThanOrEqual(T / (8000 / FRAME_MS) - 1); // at least one cut per 8 s
      // Only word breaks may be added at cuts: the characters are the same.
      expect(r.text.replaceAll(' ', '')).toBe(whole.text.replaceAll(' ', ''));
      expect(r.words.length).toBeGreaterThanOrEqual(whole.words.length);
      // Every word lies where a word of the whole decoding lies (a whole word may be split at a cut).
      for (const w of r.words) {
        const home = whole.words.find((x) => x.startMs <= w.startMs && w.endMs <= x.endMs);
        expect(home, `${w.word} at ${w.startMs} ms`).toBeDefined();
        expect(home!.word).toContain(w.word);
      }
    }
  });

  it('never holds more than maxPieceSec of frames: a stream without pauses is cut at its last blank', () => {
    // No pause ever reaches pauseMs: letters with one blank between them, 3 minutes of it.
    const spec: Record<string, number>[] = [];
    for (let t = 0; spec.length < 9000; t++) spec.push({ [['a', 'b', ' '][t % 3]]: 0.8 }, { _: 0.9 });
    const rows = frames(spec);
    const d = new PieceDecoder(alphabet, FRAME_MS, greedy, { minPieceSec: 2, maxPieceSec: 5, pauseMs: 500 });
    let decodedBefore = 0;
    for (let t = 0; t < 9000; t += 7) {
      const n = Math.min(7, 9000 - t);
      d.accept(rows.subarray(t * V, (t + n) * V), n);
      // Frames held = fed − decoded: never more than a piece.
      expect(t + n - d.framesDecoded).toBeLessThanOrEqual(5000 / FRAME_MS);
      expect(d.framesDecoded).toBeGreaterThanOrEqual(decodedBefore);
      decodedBefore = d.framesDecoded;
    }
    const r = d.finish();
    const whole = greedyDecode(rows, 9000, alphabet, { frameMs: FRAME_MS });
    expect(r.text.replaceAll(' ', '')).toBe(whole.text.replaceAll(' ', ''));
  });

  it('refuses a configuration that cannot cut', () => {
    expect(() => new PieceDecoder(alphabet, FRAME_MS, greedy, { minPieceSec: 10, maxPieceSec: 5 })).toThrow(
      /minPieceSec ≤ maxPieceSec/,
    );
  });
});
