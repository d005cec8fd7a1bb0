import { describe, expect, it } from 'vitest';
import { parseArpa } from '../../src-main/speech/arpa.js';
import { vocabularyTrie, VocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import { alphabet } from './log-prob-frames.js';
import { TINY_ARPA } from './lm-fixtures.js';
import { randomArpa } from './random-arpa.js';
import { mulberry32 } from '../../src-main/speech/prng.js';

const lm = new WordLm(parseArpa(TINY_ARPA));
const id = (w: string) => lm.id(w);

describe('WordLm', () => {
  it('scores listed n-grams directly and others by backing off (natural log)', () => {
    expect(lm.order).toBe(2);
    // Listed: P(the | <s>) = 10^-0.30103.
    expect(lm.score([lm.bos], id('the'))).toBeCloseTo(Math.log(0.5), 5);
    // "the the" is not listed: bow(the) × P(the) = 10^(-0.17609 - 0.52288) = 0.2.
    expect(lm.score([id('the')], id('the'))).toBeCloseTo(Math.log(0.2), 5);
    // "cat" has no back-off weight (1): P(cat | cat) = P(cat).
    expect(lm.score([id('cat')], id('cat'))).toBeCloseTo(Math.log(0.2), 5);
    // Only the last order − 1 words matter.
    expect(lm.score([id('cat'), id('the')], id('cat'))).toBeCloseTo(Math.log(10 ** -0.09691), 5);
  });

  it('gives unknown words the <unk> probability and forgets the history across them', () => {
    expect(lm.id('dog')).toBe(-1);
    expect(lm.score([id('the')], -1)).toBeCloseTo(Math.log(0.1), 5);
    // After an unknown word, "cat" is scored without "the" before it: its unigram.
    expect(lm.score([id('the'), -1], id('cat'))).toBeCloseTo(Math.log(0.2), 5);
    expect(lm.advance([lm.bos], id('the'))).toEqual([id('the')]);
  });

  it('rejects models it cannot use, naming the problem', () => {
    const noEnd = TINY_ARPA.replace('-0.69897\t</s>\n', '')
      .replace('ngram 1=5', 'ngram 1=4')
      .replace('-0.04576\tcat </s>\n', '')
      .replace('ngram 2=3', 'ngram 2=2');
    expect(() => new WordLm(parseArpa(noEnd), 'x.arpa')).toThrow(
      /x\.arpa: needs the sentence markers <s> and <\/s>/,
    );
    const twice = TINY_ARPA.replace('-1\t<unk>', '-1\tcat').replace('ngram 1=5', 'ngram 1=5');
    expect(() => new WordLm(parseArpa(twice), 'x.arpa')).toThrow(/"cat" is listed twice/);
  });

  it('scores a trigram model listed in any order as the ARPA back-off rule does', () => {
    const { model, words, reference } = randomArpa(7);
    const big = new WordLm(model);
    expect(big.order).toBe(3);
    const rand = mulberry32(3);
    const anyWord = () => words[Math.floor(rand() * words.length)];
    const ids = (ws: string[]) => ws.map((w) => big.id(w));
    // Every listed n-gram, and as many random (mostly backed-off) queries.
    const queries = model.entries.slice(1).flatMap((l) => l.map((e) => e.words));
    for (let i = 0; i < 3000; i++) queries.push([anyWord(), anyWord(), anyWord()].slice(i % 3));
    // To 6 decimals: the model keeps its values in single precision.
    for (const q of queries) {
      const w = q[q.length - 1];
      if (w === '<s>') continue;
      expect(big.score(ids(q.slice(0, -1)), big.id(w))).toBeCloseTo(
        reference(q.slice(0, -1), w) * Math.LN10,
        6,
      );
    }
  });

  it('refuses an n-gram listed twice, naming it, wherever the two are in the file', () => {
    const { model } = randomArpa(11, 40, 100, 100);
    const again = model.entries[2][57];
    const twice = { entries: [model.entries[0], model.entries[1], [...model.entries[2], { ...again }]] };
    expect(() => new WordLm(twice, 'r.arpa')).toThrow(
      `r.arpa: the 3-gram "${again.words.join(' ')}" is listed twice`,
    );
  });

  it('counts n-grams whose shorter n-gram is missing instead of failing', () => {
    const orphan = TINY_ARPA.replace('-0.04576\tcat </s>', '-0.04576\tdog </s>');
    expect(new WordLm(parseArpa(orphan)).orphans).toBe(1);
  });

  it('builds a vocabulary trie with look-ahead scores and extra words', () => {
    const trie = vocabularyTrie(lm, alphabet, ['catalogue']);
    const node = (word: string) =>
      [...word].reduce(
        (n, ch) => (n < 0 ? n : trie.child(n, alphabet.index.get(ch) ?? -1)),
        VocabularyTrie.ROOT,
      );
    expect(trie.word(node('the'))).toEqual({ text: 'the', id: id('the') });
    expect(trie.word(node('cat'))).toEqual({ text: 'cat', id: id('cat') });
    expect(trie.word(node('ca'))).toBeNull();
    // The lexicon's word the LM does not know: spellable, scored as unknown.
    expect(trie.word(node('catalogue'))).toEqual({ text: 'catalogue', id: -1 });
    expect(trie.wordCount).toBe(3);
    // Look-ahead: the best unigram below ("cat" 0.2 beats "catalogue" as <unk> 0.1).
    expect(trie.lookAhead(node('c'))).toBeCloseTo(Math.log(0.2), 5);
    expect(trie.lookAhead(node('catal'))).toBeCloseTo(Math.log(0.1), 5);
    expect(trie.lookAhead(node('t'))).toBeCloseTo(Math.log(10 ** -0.52288), 5);
    // The word each prefix most likely becomes: the one with that best unigram.
    expect(trie.likeliestBelow(node('c'))).toEqual({ text: 'cat', id: id('cat') });
    expect(trie.likeliestBelow(node('catal'))).toEqual({ text: 'catalogue', id: -1 });
    expect(trie.likeliestBelow(node('th'))).toEqual({ text: 'the', id: id('the') });
    expect(trie.likeliestBelow(VocabularyTrie.ROOT)).toBeNull();
    expect(node('dog')).toBe(-1);
    // Sentence markers and <unk> are not words to spell.
    expect(node('<s>')).toBe(-1);
  });
});
