import { describe, expect, it } from 'vitest';
import {
  align,
  cer,
  chars,
  CorpusScorer,
  ErrorAccumulator,
  wer,
  words,
} from '../../src-main/speech/metrics.js';

/** Independent textbook recursion for the edit distance, to check the table-based one. */
function distance(a: readonly string[], b: readonly string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const k = `${i},${j}`;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    const v = Math.min(
      go(i - 1, j) + 1,
      go(i, j - 1) + 1,
      go(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
    );
    memo.set(k, v);
    return v;
  };
  return go(a.length, b.length);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('wer / cer', () => {
  it.each([
    // ref, hyp, S, I, D
    ['the cat sat', 'the cat sat', 0, 0, 0],
    ['the cat sat', 'the bat sat', 1, 0, 0],
    ['the cat sat', 'the cat', 0, 0, 1],
    ['the cat sat', 'the cat sat down', 0, 1, 0],
    ['the cat sat on the mat', 'a cat on the mat today', 1, 1, 1],
    ['', 'hello', 0, 1, 0],
    ['hello', '', 0, 0, 1],
  ])('WER counts %j vs %j', (ref, hyp, s, i, d) => {
    const r = wer(ref, hyp);
    expect([r.substitutions, r.insertions, r.deletions]).toEqual([s, i, d]);
    expect(r.refLength).toBe(words(ref).length);
    expect(r.errors).toBe(s + i + d);
  });

  it('rates are edits over reference length, and define the empty cases', () => {
    expect(wer('a b c d', 'a x c').rate).toBeCloseTo(2 / 4);
    expect(wer('', '').rate).toBe(0);
    expect(wer('', 'one two').rate).toBe(2);
    expect(cer('abc', 'abd').rate).toBeCloseTo(1 / 3);
  });

  it('CER counts spaces and collapses runs of whitespace', () => {
    expect(chars('  a  b ')).toEqual(['a', ' ', 'b']);
    expect(cer('ab cd', 'abcd').deletions).toBe(1);
  });

  it('agrees with an independent edit distance on random strings', () => {
    const r = rng(7);
    const alpha = 'abc ';
    for (let k = 0; k < 300; k++) {
      const mk = () =>
        Array.from({ length: Math.floor(r() * 9) }, () => alpha[Math.floor(r() * alpha.length)]).join('');
      const a = [...mk()];
      const b = [...mk()];
      const { counts, steps } = align(a, b);
      expect(counts.substitutions + counts.insertions + counts.deletions).toBe(distance(a, b));
      // The alignment replays to the hypothesis.
      const rebuilt = steps.filter((s) => s.op !== 'delete').map((s) => b[s.hyp]);
      expect(rebuilt).toEqual(b);
      expect(steps.filter((s) => s.op !== 'insert').map((s) => a[s.ref])).toEqual(a);
    }
  });
});

describe('corpus aggregation', () => {
  it('sums edits and reference lengths rather than averaging rates', () => {
    const acc = new ErrorAccumulator();
    acc.add(wer('a', 'b')); // 1 error / 1 word
    acc.add(wer('a b c d e f g h i', 'a b c d e f g h i')); // 0 / 9
    expect(acc.result().rate).toBeCloseTo(1 / 10);
    expect(acc.utterances).toBe(2);
  });

  it('scores WER and CER together', () => {
    const s = new CorpusScorer();
    const one = s.add('hello world', 'hello word');
    expect(one.wer.rate).toBeCloseTo(0.5);
    expect(one.cer.rate).toBeCloseTo(1 / 11);
    s.add('good morning', 'good morning');
    expect(s.wer.rate).toBeCloseTo(1 / 4);
    expect(s.cer.errors).toBe(1);
    expect(s.cer.refLength).toBe(11 + 12);
  });
});
