// Finals decoded as dictation decodes them by default: the shipped language model (CMU Sphinx's general
// English trigram model) at the decoder's default settings, with the user's personal lexicon on top.
import { beforeAll, describe, expect, it } from 'vitest';
import { FinalDecoder } from '../../src-main/engine/final-decoder.js';
import { BASE_LM_PATH } from '../../src-main/model/paths.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { alphabet, frames, say } from '../speech/log-prob-frames.js';

let lm: WordLm;
beforeAll(() => {
  lm = WordLm.load(BASE_LM_PATH);
}, 120_000);

/** Log-probs of a phrase said clearly, but for one character that sounds a little more like another. */
function phrase(before: string, heard: Record<string, number>, after: string) {
  const spec = [...before].flatMap(say).concat([heard, { _: 0.9 }], [...after].flatMap(say));
  const lp = frames(spec);
  return { lp, T: spec.length, greedy: greedyDecode(lp, spec.length, alphabet, { frameMs: 20 }) };
}

describe('the shipped language model', () => {
  it('is the general English trigram model: everyday words, no personal names', () => {
    expect(BASE_LM_PATH).toMatch(/models\/lm\/en-us\.lm\.bin$/);
    expect(lm.order).toBe(3);
    expect(lm.words.length).toBe(72_547);
    for (const w of ['please', 'remind', 'dentist', 'tomorrow', "don't"])
      expect(lm.id(w), w).toBeGreaterThanOrEqual(0);
    expect(lm.id('zorba')).toBe(-1);
  });

  it('writes the word its context makes likely where the sounds lean to another', () => {
    // "sea" heard a little more than "see"; "i will see you" is what people say.
    const { lp, T, greedy } = phrase('i will se', { a: 0.5, e: 0.4 }, ' you tomorrow');
    expect(greedy.text).toBe('i will sea you tomorrow');
    const d = new FinalDecoder();
    d.setLanguageModel(lm);
    expect(d.decode(lp, T, alphabet, 20, greedy).text).toBe('i will see you tomorrow');
  });

  it('spells the personal lexicon’s words on top of it, which it cannot write alone', () => {
    // "zorba", the z sounding a little more like s: neither "sorba" nor "zorba" is an English word.
    const { lp, T, greedy } = phrase('please call ', { s: 0.5, z: 0.4 }, 'orba tomorrow');
    expect(greedy.text).toBe('please call sorba tomorrow');
    const d = new FinalDecoder();
    d.setLanguageModel(lm);
    const alone = d.decode(lp, T, alphabet, 20, greedy);
    for (const w of alone.words) expect(lm.id(w.word), w.word).toBeGreaterThanOrEqual(0);
    expect(alone.text).not.toContain('zorba');
    d.setWords(['Zorba']);
    expect(d.decode(lp, T, alphabet, 20, greedy).text).toBe('please call zorba tomorrow');
  });
});
