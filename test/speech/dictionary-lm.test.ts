import { describe, expect, it } from 'vitest';
import { beamSearch } from '../../src-main/speech/beam-search.js';
import { cachedDictionaryLm, dictionaryLm, wordDecoding } from '../../src-main/speech/dictionary-lm.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { phoneAlphabet } from '../../src-main/speech/phone-spelling.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { saidPhones } from './phone-frames.js';

const dict = parseDictionary(
  ['see S IY', 'sea S IY', 'the DH AH', 'the(2) DH IY', 'blue B L UW', 'i AY', 'ice AY S'].join('\n'),
);
const phones = phoneAlphabet(dict, 'test');

describe('dictionaryLm', () => {
  it('knows every dictionary word, each with probability 1, so no word costs anything', () => {
    const lm = dictionaryLm(dict);
    for (const w of ['see', 'sea', 'the', 'blue', 'i', 'ice']) {
      expect(lm.id(w)).toBeGreaterThanOrEqual(0);
      expect(lm.score([lm.bos], lm.id(w))).toBe(0);
      expect(lm.score([lm.bos, lm.id('the')], lm.id(w))).toBe(0);
    }
    expect(lm.id('mat')).toBe(-1);
    expect(lm.score([lm.bos], lm.eos)).toBe(0);
    expect(lm.order).toBe(1);
  });

  it('is built once per dictionary', () => {
    expect(cachedDictionaryLm(dict)).toBe(cachedDictionaryLm(dict));
    expect(cachedDictionaryLm(parseDictionary('see S IY'))).not.toBe(cachedDictionaryLm(dict));
  });
});

describe('wordDecoding', () => {
  it("turns a phone model's phones into dictionary words when there is no language model", () => {
    const names = 'AY | S IY | DH AH | B L UW'.split(' ');
    const decoding = wordDecoding(null, phones)!;
    expect(decoding.lm).toBeInstanceOf(WordLm);
    const r = beamSearch(
      saidPhones(phones, names),
      names.length * 2,
      phones,
      null,
      { beamWidth: 16 },
      decoding,
    );
    // Homophones tie without a language model: the dictionary's first of them is written.
    expect(r.text).toBe('i see the blue');
    // Where the model wrote no break, none is made up: AY S is the one word "ice".
    const joined = 'AY S'.split(' ');
    expect(beamSearch(saidPhones(phones, joined), 4, phones, null, {}, decoding).text).toBe('ice');
  });

  it('keeps a language model given, and leaves a letter model without one greedy', () => {
    const lm = { lm: dictionaryLm(dict), vocabulary: wordDecoding(null, phones)!.vocabulary };
    expect(wordDecoding(lm, phones)).toBe(lm);
    expect(wordDecoding(null, englishAlphabet())).toBeNull();
  });
});
