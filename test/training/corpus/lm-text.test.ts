import { describe, expect, it } from 'vitest';
import { wordNetLanguageModelText } from '../../../src-main/training/corpus/lm-text.js';
import { prepareSentences } from '../../../src-main/training/corpus/sentences.js';
import { readWordNetExamples } from '../../../src-main/training/corpus/wordnet.js';

describe('wordNetLanguageModelText (needs the wordnet-base package)', () => {
  const prepared = prepareSentences(readWordNetExamples());
  const text = wordNetLanguageModelText();
  const sentences = new Set(text.sentences);

  it("keeps the corpus's held-out sentences out of the language model's text", () => {
    const heldOut = prepared.sentences.filter((s) => s.set !== 'train');
    expect(heldOut.length).toBeGreaterThan(1000);
    for (const s of heldOut) expect(sentences.has(s.spoken)).toBe(false);
    // Training sentences are in it, with the definitions (far more text than the examples alone).
    const train = prepared.sentences.filter((s) => s.set === 'train');
    expect(train.filter((s) => sentences.has(s.spoken)).length).toBe(train.length);
    expect(text.sentences.length).toBeGreaterThan(3 * train.length);
    // "dog": its gloss split at the semicolon, the aside in brackets dropped.
    expect(
      sentences.has('a member of the genus canis that has been domesticated by man since prehistoric times'),
    ).toBe(true);
    expect(sentences.has('occurs in many breeds')).toBe(true);
  });

  it('adds single-word lemmas as vocabulary and honours an exclusion list', () => {
    expect(text.words).toContain('dog');
    expect(text.words.every((w) => /^[a-z]+('[a-z]+)?$/.test(w))).toBe(true);
    const one = prepared.sentences.find((s) => s.set === 'train')!.spoken;
    const without = wordNetLanguageModelText({ exclude: new Set([one]) });
    expect(without.sentences).not.toContain(one);
    expect(without.heldOut).toBeGreaterThan(text.heldOut);
  });
});
