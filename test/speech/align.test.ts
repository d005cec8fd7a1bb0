import { describe, expect, it } from 'vitest';
import { alignSearchResult, alignTranscript } from '../../src-main/speech/align.js';
import { phoneAlphabet } from '../../src-main/speech/phone-spelling.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { beamSearch } from '../../src-main/speech/beam-search.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { Lexicon } from '../../src-main/speech/lexicon.js';
import { alphabet, frames } from './log-prob-frames.js';

describe('alignTranscript', () => {
  it('gives the greedy path back where greedy decoding already spells the transcript', () => {
    // Characters held over several frames, a doubled letter split by a blank, silence around.
    const spec: Record<string, number>[] = [
      { _: 0.9 },
      ...[{ h: 0.8 }, { h: 0.7 }, { _: 0.9 }, { i: 0.6 }, { _: 0.9 }, { ' ': 0.9 }],
      ...[{ s: 0.9 }, { e: 0.7 }, { _: 0.8 }, { e: 0.9 }, { e: 0.5 }, { _: 0.9 }, { _: 0.9 }],
    ];
    const lp = frames(spec);
    const greedy = greedyDecode(lp, spec.length, alphabet, { frameMs: 20 });
    expect(greedy.text).toBe('hi see');
    const aligned = alignTranscript(lp, spec.length, alphabet, 'hi see', 20);
    expect(aligned.chars).toEqual(greedy.chars);
    expect(aligned.words).toEqual(greedy.words);
  });

  it('times the words of a transcript greedy decoding did not find', () => {
    // "zorba" where greedy hears "sorba": the boosted search's transcript, aligned.
    const say = (ch: string) => [{ [ch]: 0.9 }, { _: 0.9 }];
    const spec = [{ _: 0.9 }, { _: 0.9 }, { s: 0.5, z: 0.4 }, { _: 0.9 }, ...[...'orba'].flatMap(say)];
    const lp = frames(spec);
    const { text } = beamSearch(lp, spec.length, alphabet, new Lexicon(alphabet, ['zorba']));
    expect(text).toBe('zorba');
    const r = alignTranscript(lp, spec.length, alphabet, text, 20);
    expect(r.chars.map((c) => [c.char, c.frame, c.endFrame])).toEqual([
      ['z', 2, 2],
      ['o', 4, 4],
      ['r', 6, 6],
      ['b', 8, 8],
      ['a', 10, 10],
    ]);
    expect(r.chars[0].prob).toBeCloseTo(0.4, 6);
    expect(r.words).toHaveLength(1);
    expect(r.words[0]).toMatchObject({ word: 'zorba', startMs: 40, endMs: 220 });
    // One doubtful letter pulls the word's confidence down (geometric mean of 0.4 and four 0.9s).
    expect(r.words[0].confidence).toBeCloseTo(Math.exp((Math.log(0.4) + 4 * Math.log(0.9)) / 5), 6);
  });

  it('refuses transcripts it cannot align, naming the problem', () => {
    const lp = frames([{ a: 0.9 }, { a: 0.9 }]);
    expect(() => alignTranscript(lp, 2, alphabet, 'aa', 20)).toThrow(/too few to spell "aa"/);
    expect(() => alignTranscript(lp, 2, alphabet, 'a!', 20)).toThrow(/"!" is not in the alphabet/);
    expect(() => alignTranscript(lp, 3, alphabet, 'a', 20)).toThrow(/cannot hold 3 frames/);
    expect(alignTranscript(lp, 2, alphabet, '', 20)).toEqual({ text: '', words: [], chars: [] });
  });
});

describe('alignSearchResult', () => {
  const dict = parseDictionary(['see S IY', 'sea S IY', 'the DH AH', 'i AY'].join('\n'));
  const phones = phoneAlphabet(dict, 'test');
  const V = phones.size;
  /** Each phone ('|' a word break) held two frames, then a blank frame. */
  const said = (names: string[]): Float32Array => {
    const rows = names.flatMap((n) => {
      const c = n === '|' ? phones.space : phones.phones!.names.indexOf(n);
      return [c, c, phones.blank];
    });
    const out = new Float32Array(rows.length * V);
    rows.forEach((hot, t) => {
      for (let v = 0; v < V; v++) out[t * V + v] = Math.log(v === hot ? 0.9 : 0.1 / (V - 1));
    });
    return out;
  };

  it('times a phone model’s words by the pronunciations the search found, named as it wrote them', () => {
    const names = 'AY | S IY | DH AH | S IY'.split(' ');
    const lm = new WordLm(buildLanguageModel(['i see the sea'], [], { order: 2, minCount: [1, 1] }).arpa);
    const T = names.length * 3;
    const lp = said(names);
    const result = beamSearch(
      lp,
      T,
      phones,
      null,
      { beamWidth: 8 },
      { lm, vocabulary: vocabularyTrie(lm, phones) },
    );
    expect(result.text).toBe('i see the sea');
    const aligned = alignSearchResult(lp, T, phones, result, 20);
    expect(aligned.text).toBe('i see the sea');
    expect(aligned.words.map((w) => [w.word, w.startMs, w.endMs])).toEqual([
      ['i', 0, 40],
      ['see', 120, 220],
      ['the', 300, 400],
      ['sea', 480, 580],
    ]);
  });

  it('aligns a letter model’s transcript as alignTranscript does', () => {
    const spec = [...'hi'].flatMap((ch) => [{ [ch]: 0.9 }, { _: 0.9 }]);
    const lp = frames(spec);
    expect(alignSearchResult(lp, spec.length, alphabet, { text: 'hi', spelling: 'hi' }, 20)).toEqual(
      alignTranscript(lp, spec.length, alphabet, 'hi', 20),
    );
  });
});
