import { describe, expect, it } from 'vitest';
import { encode, englishAlphabet, normalizeText } from '../../../src-main/speech/alphabet.js';
import {
  DEFAULT_SENTENCE_CONFIG,
  prepareSentences,
  rejectReason,
  sentenceSet,
  synthesisText,
} from '../../../src-main/training/corpus/sentences.js';
import { readWordNetExamples, TextSourceError } from '../../../src-main/training/corpus/wordnet.js';

describe('WordNet sentences', () => {
  const examples = readWordNetExamples();
  const prepared = prepareSentences(examples);

  it('yields thousands of distinct, normalisable 3–25 word sentences', () => {
    const { sentences } = prepared;
    expect(sentences.length).toBeGreaterThan(5000);
    const alphabet = englishAlphabet();
    const spoken = new Set<string>();
    // Collect offenders rather than asserting 40,000 times: quicker, and a failure lists them all.
    const bad = sentences.filter((s) => {
      const words = s.spoken.split(' ').length;
      spoken.add(s.spoken);
      return (
        s.spoken !== normalizeText(s.source, alphabet) ||
        words < 3 ||
        words > 25 ||
        normalizeText(s.synthText, alphabet) !== s.spoken ||
        encode(s.spoken, alphabet).length !== [...s.spoken].length
      );
    });
    expect(bad.slice(0, 5)).toEqual([]);
    expect(spoken.size).toBe(sentences.length);
  });

  it('holds out about 5 % for dev and 5 % for test, by the text alone', () => {
    const count = (set: string) =>
      prepared.sentences.filter((s) => s.set === set).length / prepared.sentences.length;
    expect(count('dev')).toBeGreaterThan(0.04);
    expect(count('dev')).toBeLessThan(0.06);
    expect(count('test')).toBeGreaterThan(0.04);
    expect(count('test')).toBeLessThan(0.06);
    // A sentence keeps its set whatever else is in the source, or in what order.
    const reversed = prepareSentences([...examples].reverse().slice(0, 20000));
    const setOf = new Map(prepared.sentences.map((s) => [s.spoken, s.set]));
    for (const s of reversed.sentences) expect(s.set).toBe(setOf.get(s.spoken));
    expect(sentenceSet('the cat sat on the mat', DEFAULT_SENTENCE_CONFIG)).toBe(
      sentenceSet('the cat sat on the mat', DEFAULT_SENTENCE_CONFIG),
    );
  });

  it('drops what a synthesiser would read differently from the transcript, and the offensive', () => {
    const why = (s: string) => rejectReason(s, normalizeText(s), DEFAULT_SENTENCE_CONFIG);
    expect(why('Mr. Smith arrived late')).toBe('abbreviation');
    expect(why('we left at 5 a.m. sharp')).toBe('abbreviation');
    expect(why('the FBI raided the office')).toBe('acronym');
    expect(why('a (very) odd example')).toBe('symbols');
    expect(why('he bought a 3D printer')).toBe('numbers');
    expect(why('1, 4, 16 and 64 are powers of 4')).toBe('numbers');
    expect(why('a somewhat worn duke...a bit run down')).toBe('fragment');
    expect(why('a red car')).toBe(null);
    expect(why('big car')).toBe('length');
    expect(why('he took a shit in the woods')).toBe('offensive');
    expect(why('she finished 2nd in the race')).toBe(null);
    expect(prepared.rejected.duplicate + prepared.rejected.length).toBeGreaterThan(0);
  });

  it('gives the synthesiser the spoken words with the phrase punctuation kept', () => {
    const source = 'At 5 o\'clock, we left; "nobody" saw us!';
    expect(synthesisText(source, normalizeText(source))).toBe("at five o'clock, we left; nobody saw us!");
    expect(synthesisText('a quiet evening', 'a quiet evening')).toBe('a quiet evening.');
  });

  it('names the package to install when WordNet is missing', () => {
    expect(() => readWordNetExamples('/nonexistent/wordnet')).toThrow(TextSourceError);
    expect(() => readWordNetExamples('/nonexistent/wordnet')).toThrow(/wordnet-base/);
  });
});
