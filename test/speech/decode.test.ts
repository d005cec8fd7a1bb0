import { describe, expect, it } from 'vitest';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { DecoderInputError, greedyDecode, StreamingGreedyDecoder } from '../../src-main/speech/decode.js';

const A = englishAlphabet();
const C = A.size;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Log-softmax rows of logits [T, C]. */
function logSoftmax(logits: Float32Array, T: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let t = 0; t < T; t++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[t * C + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[t * C + c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) out[t * C + c] = logits[t * C + c] - lse;
  }
  return out;
}

/** Frames whose argmax follows `path` (a string with '_' for blank), with peak probability ~`conf`. */
function framesFor(path: string, conf = 0.9): { lp: Float32Array; T: number } {
  const T = path.length;
  const logits = new Float32Array(T * C);
  const peak = Math.log((conf * (C - 1)) / (1 - conf));
  [...path].forEach((ch, t) => {
    const id = ch === '_' ? A.blank : A.index.get(ch)!;
    logits[t * C + id] = peak;
  });
  return { lp: logSoftmax(logits, T), T };
}

/** Straightforward reference: argmax, collapse, drop blanks. */
function naive(lp: Float32Array, T: number): string {
  let out = '';
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (lp[t * C + c] > lp[t * C + best]) best = c;
    if (best !== prev && best !== A.blank) out += A.tokens[best];
    prev = best;
  }
  return out.trim().replace(/\s+/g, ' ');
}

describe('greedyDecode', () => {
  it('collapses repeats, drops blanks and keeps doubled letters split by a blank', () => {
    const { lp, T } = framesFor('__hh_e_ll_l_oo__  _ww_oorr_lld__');
    expect(greedyDecode(lp, T, A).text).toBe('hello world');
  });

  it('gives word times from frame indices and the frame duration', () => {
    const { lp, T } = framesFor('__hi___ _yo__');
    const r = greedyDecode(lp, T, A, { frameMs: 40 });
    expect(r.words.map((w) => [w.word, w.startMs, w.endMs])).toEqual([
      ['hi', 2 * 40, 4 * 40],
      ['yo', 9 * 40, 11 * 40],
    ]);
    expect(r.words[0].confidence).toBeCloseTo(0.9, 2);
  });

  it('lowers the confidence of a word with a doubtful letter', () => {
    const sure = framesFor('_cat_', 0.95);
    const unsure = framesFor('_cat_', 0.95);
    // Make the "a" frame nearly a tie.
    const row = 2 * C;
    const logits = new Float32Array(C);
    logits[A.index.get('a')!] = 1;
    logits[A.index.get('e')!] = 0.9;
    unsure.lp.set(logSoftmax(logits, 1), row);
    const c1 = greedyDecode(sure.lp, sure.T, A).words[0];
    const c2 = greedyDecode(unsure.lp, unsure.T, A).words[0];
    expect(c2.word).toBe('cat');
    expect(c2.confidence).toBeLessThan(c1.confidence - 0.2);
  });

  it('matches a naive decoder on random frames', () => {
    const r = rng(3);
    for (let k = 0; k < 50; k++) {
      const T = 1 + Math.floor(r() * 80);
      const logits = new Float32Array(T * C).map(() => (r() < 0.5 ? 4 * r() : 0) + (r() < 0.3 ? 3 : 0));
      for (let t = 0; t < T; t++) logits[t * C + A.blank] += 2.5;
      const lp = logSoftmax(logits, T);
      expect(greedyDecode(lp, T, A).text).toBe(naive(lp, T));
    }
  });

  it('rejects probabilities and raw logits', () => {
    const { lp, T } = framesFor('_a_');
    const probs = lp.map(Math.exp);
    expect(() => greedyDecode(probs, T, A)).toThrow(DecoderInputError);
    const logits = lp.map((v) => v + 3);
    expect(() => greedyDecode(logits, T, A)).toThrow(/log-probabilities/);
    expect(() => greedyDecode(lp.subarray(1), T, A)).toThrow(/expected/);
  });
});

describe('StreamingGreedyDecoder', () => {
  it('gives the same text as offline decoding for any chunking', () => {
    const r = rng(11);
    const { lp, T } = framesFor('__th_e_ _qq_uii_ck_ _bb_r_oow_n__ _f_o_x___');
    const offline = greedyDecode(lp, T, A);
    for (let k = 0; k < 30; k++) {
      const d = new StreamingGreedyDecoder(A);
      let t = 0;
      while (t < T) {
        const n = Math.min(T - t, Math.floor(r() * 5));
        d.accept(lp.subarray(t * C, (t + n) * C), n);
        t += n;
      }
      const fin = d.finalResult();
      expect(fin.text).toBe(offline.text);
      expect(fin.words).toEqual(offline.words);
    }
  });

  it('commits words at word breaks and keeps the word in progress as the partial tail', () => {
    const d = new StreamingGreedyDecoder(A);
    const seen: [string, string][] = [];
    const path = '_he_l_lo_ _wo_r';
    const { lp } = framesFor(path);
    for (let t = 0; t < path.length; t++) {
      d.accept(lp.subarray(t * C, (t + 1) * C), 1);
      const r = d.result();
      seen.push([r.committed, r.partial]);
    }
    expect(seen[4]).toEqual(['', 'hel']);
    expect(seen[9]).toEqual(['hello', '']);
    expect(seen[seen.length - 1]).toEqual(['hello', 'wor']);
    // Committed text only ever grows.
    for (let i = 1; i < seen.length; i++) expect(seen[i][0].startsWith(seen[i - 1][0])).toBe(true);
  });

  it('counts trailing blank frames for endpointing and keeps its clock across segments', () => {
    const d = new StreamingGreedyDecoder(A, { frameMs: 40 });
    const a = framesFor('_ok_____');
    d.accept(a.lp, a.T);
    expect(d.trailingBlankFrames).toBe(5);
    expect(d.finalResult().text).toBe('ok');
    d.reset();
    expect(d.hasSpeech).toBe(false);
    const b = framesFor('__go');
    d.accept(b.lp, b.T);
    const w = d.finalResult().words[0];
    expect(w.word).toBe('go');
    expect(w.startMs).toBe((8 + 2) * 40);
    expect(d.trailingBlankFrames).toBe(0);
  });
});
