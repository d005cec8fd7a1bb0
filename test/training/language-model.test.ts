import { describe, expect, it } from 'vitest';
import { formatArpa, parseArpa } from '../../src-main/speech/arpa.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';

const lmOf = (sentences: string[], extra: string[] = [], config = {}) => {
  const built = buildLanguageModel(sentences, extra, config);
  // Through the file format, as the app loads it.
  return { built, lm: new WordLm(parseArpa(formatArpa(built.arpa))) };
};

/** Σ_w P(w | context) over every word that can follow (all but <s>). */
const mass = (lm: WordLm, context: number[]) =>
  lm.words.reduce((s, w, i) => (w === '<s>' ? s : s + Math.exp(lm.score(context, i))), 0);

const TEXT = [
  'the cat sat on the mat',
  'the dog sat on the log',
  'a cat saw the dog',
  'the cat saw a dog on the mat',
  'a dog sat',
];

describe('buildLanguageModel (interpolated Kneser-Ney)', () => {
  it('matches a hand-computed bigram probability', () => {
    // Bigrams: <s> a ×2, a b, a c, b </s>, c </s> ×2, <s> b, b c. Discounts: bigrams 5/9 (five seen once,
    // two twice); unigrams over continuation counts a 1, b 2, c 2, </s> 2: 1/7. Uniform over 5 words.
    // P(b) = (2 − 1/7)/7 + (1/7)(4/7)(1/5) = 69/245;  P(b | a) = (1 − 5/9)/2 + (5/9)(2/2)·P(b) = 167/441.
    const { lm } = lmOf(['a b', 'a c', 'b c'], [], { order: 2, minCount: [1] });
    expect(Math.exp(lm.score([lm.id('a')], lm.id('b')))).toBeCloseTo(167 / 441, 5);
    expect(Math.exp(lm.score([], lm.id('b')))).toBeCloseTo(69 / 245, 5);
    expect(Math.exp(lm.score([], lm.id('<unk>')))).toBeCloseTo(4 / 245, 5);
  });

  it('gives every context a distribution that sums to one, pruned or not', () => {
    for (const minCount of [
      [1, 1],
      [1, 2],
      [2, 2],
    ]) {
      const { lm } = lmOf(TEXT, ['zebra'], { order: 3, minCount });
      const w = (s: string) => lm.id(s);
      for (const ctx of [
        [],
        [lm.bos],
        [lm.bos, w('the')],
        [w('the'), w('cat')],
        [w('on'), w('the')],
        [w('zebra')],
        [-1],
      ]) {
        expect(mass(lm, ctx)).toBeCloseTo(1, 4); // the file keeps 6 significant digits
      }
    }
  });

  it('prefers what the text says, and knows the extra words', () => {
    const { built, lm } = lmOf(TEXT, ['zebra'], { order: 3, minCount: [1, 1] });
    const w = (s: string) => lm.id(s);
    expect(built.sentences).toBe(5);
    expect(built.tokens).toBe(28);
    expect(lm.score([w('the'), w('cat')], w('sat'))).toBeGreaterThan(
      lm.score([w('the'), w('cat')], w('mat')),
    );
    expect(lm.score([w('sat')], w('on'))).toBeGreaterThan(lm.score([w('sat')], w('dog')));
    expect(w('zebra')).toBeGreaterThanOrEqual(0);
    expect(lm.score([], w('zebra'))).toBeLessThan(lm.score([], w('cat')));
  });

  it('drops rare n-grams but keeps every prefix of a kept one', () => {
    const full = buildLanguageModel(TEXT, [], { order: 3, minCount: [1, 1] }).arpa;
    const pruned = buildLanguageModel(TEXT, [], { order: 3, minCount: [1, 2] }).arpa;
    expect(pruned.entries[2].length).toBeLessThan(full.entries[2].length);
    expect(pruned.entries[2].map((e) => e.words.join(' '))).toContain('sat on the');
    const bigrams = new Set(pruned.entries[1].map((e) => e.words.join(' ')));
    for (const e of pruned.entries[2]) expect(bigrams.has(e.words.slice(0, 2).join(' '))).toBe(true);
    expect(new WordLm(pruned).orphans).toBe(0);
    expect(() => buildLanguageModel(TEXT, [], { order: 0 })).toThrow(/order must be a whole number/);
  });
});
