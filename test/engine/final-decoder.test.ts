import { describe, expect, it } from 'vitest';
import { FinalDecoder } from '../../src-main/engine/final-decoder.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { alphabet, frames, say } from '../speech/log-prob-frames.js';
import { saidPhones } from '../speech/phone-frames.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { phoneAlphabet } from '../../src-main/speech/phone-spelling.js';

// "call zorba now", the z sounding a little more like s.
const spec = [...'call ']
  .flatMap(say)
  .concat([{ s: 0.5, z: 0.4 }, { _: 0.9 }, ...[...'orba now'].flatMap(say)]);
const lp = frames(spec);
const T = spec.length;
const greedy = greedyDecode(lp, T, alphabet, { frameMs: 20 });

describe('FinalDecoder', () => {
  it('boosts lexicon words in finals, with times from the aligned transcript', () => {
    expect(greedy.text).toBe('call sorba now');
    const d = new FinalDecoder();
    d.setWords(['Zorba']);
    const r = d.decode(lp, T, alphabet, 20, greedy);
    expect(r.text).toBe('call zorba now');
    // Words the lexicon did not change keep greedy decoding's times and confidences.
    expect(r.words[0]).toEqual(greedy.words[0]);
    expect(r.words[2]).toEqual(greedy.words[2]);
    expect(r.words[1]).toMatchObject({ word: 'zorba', startMs: greedy.words[1].startMs });
    expect(r.words[1].endMs).toBe(greedy.words[1].endMs);
    expect(r.words[1].confidence).toBeLessThan(greedy.words[1].confidence); // z at 0.4, not s at 0.5
  });

  it('gives greedy decoding’s own result when switched off, with no words, or where the beam agrees', () => {
    const d = new FinalDecoder({ lexiconBoost: false });
    d.setWords(['zorba']);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
    d.setBoost(true);
    expect(d.decode(lp, T, alphabet, 20, greedy).text).toBe('call zorba now');
    d.setWords([]);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
    d.setWords(['kettle']);
    expect(d.size(alphabet)).toBe(1);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
  });

  it('decodes finals with the language model: real words, the lexicon’s too, greedy where they agree', () => {
    const lm = new WordLm(
      buildLanguageModel(['call me now', 'call home now', 'now call sam'], [], { order: 3, minCount: [1, 1] })
        .arpa,
    );
    const d = new FinalDecoder({ lexiconBoost: false });
    d.setLanguageModel(lm);
    expect(d.languageModel).toBe(lm);
    // "sorba" is no word the LM knows, nor is "zorba": only whole vocabulary words come out.
    const r = d.decode(lp, T, alphabet, 20, greedy);
    expect(r.text).not.toBe(greedy.text);
    for (const w of r.words) expect(lm.id(w.word)).toBeGreaterThanOrEqual(0);
    expect(r.words[0]).toMatchObject({ word: 'call', startMs: greedy.words[0].startMs });
    // With the lexicon on, its word is spelled and boosted though the LM has never seen it.
    d.setBoost(true);
    d.setWords(['zorba']);
    expect(d.decode(lp, T, alphabet, 20, greedy).text).toBe('call zorba now');
    // Clear speech of LM words: the beam agrees with greedy decoding, whose result is kept as it is.
    const clear = [...'call me now'].flatMap(say);
    const clp = frames(clear);
    const g = greedyDecode(clp, clear.length, alphabet, { frameMs: 20 });
    expect(d.decode(clp, clear.length, alphabet, 20, g)).toBe(g);
    d.setLanguageModel(null);
    d.setBoost(false);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
  });

  it('follows a segment as it is spoken, and begins again when the words or the LM change midway', () => {
    const lm = new WordLm(
      buildLanguageModel(['call me now', 'call home now', 'now call sam'], [], { order: 3, minCount: [1, 1] })
        .arpa,
    );
    const V = alphabet.size;
    const d = new FinalDecoder();
    // Greedy finals (no LM, no words): nothing to follow.
    expect(d.follow(null, lp, 4, alphabet)).toBeNull();
    d.setWords(['zorba']);
    let search = d.follow(null, lp, 4, alphabet);
    expect(search?.search.frames).toBe(4);
    const first = search!.search;
    search = d.follow(search, lp, 10, alphabet);
    expect(search?.search).toBe(first); // the same search, fed the 6 new frames
    expect(search?.search.frames).toBe(10);
    // The final searches only what is left, and reads as a search over the whole segment.
    const whole = d.decode(lp, T, alphabet, 20, greedy);
    expect(d.decode(lp, T, alphabet, 20, greedy, search)).toEqual(whole);
    expect(first.frames).toBe(T);
    // A language model set midway: the search is begun again from the segment's first frame.
    const before = d.follow(null, lp.subarray(0, 10 * V), 10, alphabet);
    d.setLanguageModel(lm);
    const again = d.follow(before, lp, 12, alphabet);
    expect(again?.search).not.toBe(before?.search);
    expect(again?.search.frames).toBe(12);
    expect(d.decode(lp, T, alphabet, 20, greedy, again)).toEqual(d.decode(lp, T, alphabet, 20, greedy));
    // Boosting off with no LM: greedy again, whatever was followed.
    d.setLanguageModel(null);
    d.setBoost(false);
    expect(d.decode(lp, T, alphabet, 20, greedy, again)).toBe(greedy);
  });

  it("writes a phone model's finals in dictionary words without a language model", () => {
    const dict = parseDictionary(['see S IY', 'the DH AH', 'blue B L UW', 'i AY'].join('\n'));
    const phones = phoneAlphabet(dict, 'test');
    const names = 'AY | S IY | DH AH | B L UW'.split(' ');
    const plp = saidPhones(phones, names);
    const PT = names.length * 2;
    const phoneGreedy = greedyDecode(plp, PT, phones, { frameMs: 20 });
    // Greedy decoding writes the phones, one character each.
    expect(phoneGreedy.text).not.toMatch(/see|blue/);
    const d = new FinalDecoder({ lexiconBoost: false });
    expect(d.languageModel).toBeNull();
    const r = d.decode(plp, PT, phones, 20, phoneGreedy);
    expect(r.text).toBe('i see the blue');
    expect(r.words.map((w) => w.word)).toEqual(['i', 'see', 'the', 'blue']);
  });
});
