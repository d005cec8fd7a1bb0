import { describe, expect, it } from 'vitest';
import { estimateKneserNey } from '../../../src-main/speech/g2p/kneser-ney.js';
import { NgramCountTrie } from '../../../src-main/speech/g2p/ngram-count-trie.js';
import type { BackoffNgram } from '../../../src-main/speech/g2p/backoff-ngram.js';
import { mulberry32 } from '../../../src-main/speech/prng.js';

const BOS = 0;
const EOS = 1;

/** Seeded sequences BOS … EOS over tokens 2 … V − 1, with some repeated structure so counts vary. */
function sequences(V: number, count: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const s = [BOS];
    const n = 1 + Math.floor(random() * 8);
    for (let i = 0; i < n; i++)
      s.push(i > 0 && random() < 0.5 ? 2 + ((s[i] + 1) % (V - 2)) : 2 + Math.floor(random() * (V - 2)));
    s.push(EOS);
    return s;
  });
}

function trieOf(seqs: number[][], V: number, order: number): NgramCountTrie {
  const trie = new NgramCountTrie(V, order);
  for (const s of seqs) trie.addSequence(s);
  return trie;
}

/** Σ over every token of p(token | state), for every state the model can be in. */
function totals(model: BackoffNgram): number[] {
  const V = model.vocabSize;
  const score = new Float64Array(V);
  const next = new Int32Array(V);
  const out: number[] = [];
  for (let n = 0; n < model.nodes; n++) {
    if (model.depth[n] >= model.order) continue;
    model.scoreRange(n, 0, V, score, next);
    out.push(score.reduce((s, x) => s + Math.exp(x), 0));
  }
  return out;
}

describe('NgramCountTrie', () => {
  it('counts every n-gram up to its order and links each to its suffix', () => {
    const trie = trieOf([[0, 2, 3, 2, 3, 1]], 4, 3);
    const node = (...ts: number[]) => ts.reduce((n, t) => (n < 0 ? n : trie.child(n, t)), 0);
    expect(trie.count[node(2)]).toBe(2);
    expect(trie.count[node(2, 3)]).toBe(2);
    expect(trie.count[node(3, 2)]).toBe(1);
    expect(trie.count[node(2, 3, 2)]).toBe(1);
    expect(node(2, 3, 2, 3)).toBe(-1); // beyond the order
    expect(node(3, 3)).toBe(-1); // never seen
    const suffix = trie.suffixLinks();
    expect(suffix[node(2, 3, 1)]).toBe(node(3, 1));
    expect(suffix[node(3)]).toBe(0);
  });

  it('refuses orders and vocabularies it cannot hold', () => {
    expect(() => new NgramCountTrie(10, 0)).toThrow(RangeError);
    expect(() => new NgramCountTrie(70_000, 3)).toThrow(RangeError);
    expect(() => new NgramCountTrie(4, 2).addSequence([0, 5])).toThrow(/outside the vocabulary/);
  });
});

describe('estimateKneserNey', () => {
  it('gives distributions that sum to one after every context', () => {
    const V = 12;
    const model = estimateKneserNey(trieOf(sequences(V, 300, 7), V, 4), BOS, { minCounts: [1] });
    const sums = totals(model);
    expect(sums.length).toBeGreaterThan(100);
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
  });

  it('still sums to one once rare n-grams are cut, and is smaller', () => {
    const V = 12;
    const trie = trieOf(sequences(V, 300, 7), V, 4);
    const full = estimateKneserNey(trie, BOS, { minCounts: [1] });
    const cut = estimateKneserNey(trie, BOS, { minCounts: [1, 1, 2, 3] });
    expect(cut.nodes).toBeLessThan(full.nodes * 0.8);
    for (const s of totals(cut)) expect(s).toBeCloseTo(1, 5);
  });

  it('matches interpolated Kneser–Ney worked by hand', () => {
    // Bigrams over "BOS a b EOS" twice and "BOS a EOS" once (a = 2, b = 3). Unigram continuation counts:
    // a is preceded by BOS only (1), b by a (1), EOS by b and a (2); total 4. Count-of-counts n1 = 2, n2 = 1,
    // n3 = 0, so D1 = 1 − 2·(2/4)·(1/2) = 0.5, and D2 = 2 − 0 = 2 is out of range and falls back to 1.
    const model = estimateKneserNey(
      trieOf(
        [
          [BOS, 2, 3, EOS],
          [BOS, 2, 3, EOS],
          [BOS, 2, EOS],
        ],
        4,
        2,
      ),
      BOS,
      { minCounts: [1] },
    );
    // Unigrams: γ(root) = (0.5·1·2 + 1·1) / 4 = 0.5, so p(a) = (1 − 0.5)/4 + 0.5/4 = 0.25 and
    // p(EOS) = (2 − 1)/4 + 0.5/4 = 0.375.
    expect(Math.exp(model.score(0, 2).logProb)).toBeCloseTo(0.25, 6);
    expect(Math.exp(model.score(0, EOS).logProb)).toBeCloseTo(0.375, 6);
    // Bigrams (the highest order: raw counts) BOS a 3, a b 2, b EOS 2, a EOS 1: n1 = 1, n2 = 2, n3 = 1, so
    // Y = 1/5, D1 = 1 − 2·0.2·2 = 0.2, D2 = 2 − 3·0.2·0.5 = 1.7. After a: b 2, EOS 1 of 3; p(b) = 0.25.
    // (Log-probabilities are held as 32-bit floats, hence 6 digits.)
    const a = model.score(model.score(0, BOS).next, 2).next;
    const gamma = (0.2 + 1.7) / 3;
    expect(Math.exp(model.score(a, 3).logProb)).toBeCloseTo((2 - 1.7) / 3 + gamma * 0.25, 6);
    expect(Math.exp(model.score(a, EOS).logProb)).toBeCloseTo((1 - 0.2) / 3 + gamma * 0.375, 6);
  });

  it('refuses minimum counts that fall with order', () => {
    const trie = trieOf(sequences(6, 20, 1), 6, 3);
    expect(() => estimateKneserNey(trie, BOS, { minCounts: [1, 3, 2] })).toThrow(/must not decrease/);
  });
});
