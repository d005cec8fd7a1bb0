import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DictionaryError,
  formatDictionary,
  loadDictionary,
  parseDictionary,
} from '../../src-main/speech/pronouncing-dictionary.js';

const CMUDICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

describe('parseDictionary', () => {
  it('reads words, their later pronunciations and CMUdict stress marks', () => {
    const d = parseDictionary(';;; a comment\nread R IY D\nread(2) R EH D\nHello HH AH0 L OW1\n\n');
    expect(d.pronunciations('read')).toEqual([
      ['R', 'IY', 'D'],
      ['R', 'EH', 'D'],
    ]);
    expect(d.pronunciations('hello')).toEqual([['HH', 'AH', 'L', 'OW']]);
    expect(d.pronunciations('HELLO')).toEqual(d.pronunciations('hello'));
    expect(d.pronunciations('absent')).toBeUndefined();
    expect(d.size).toBe(2);
    expect([...d.phones].sort()).toEqual(['AH', 'D', 'EH', 'HH', 'IY', 'L', 'OW', 'R']);
  });

  it('keeps a pronunciation once however often it is listed', () => {
    const d = parseDictionary('a AH\na(2) AH\na(3) EY\n');
    expect(d.pronunciations('a')).toEqual([['AH'], ['EY']]);
  });

  it('names the file and line of a bad entry', () => {
    expect(() => parseDictionary('ok OW K EY\nbroken\n', 'x.dict')).toThrow(
      new DictionaryError('x.dict:2: "broken" has no phones'),
    );
    expect(() => parseDictionary('word W ER-D\n', 'x.dict')).toThrow(/x\.dict:1: "ER-D" is not a phone/);
    expect(() => parseDictionary(';;; nothing\n', 'x.dict')).toThrow(/x\.dict: no pronunciations/);
    expect(() => loadDictionary('/nonexistent/x.dict')).toThrow(/cannot read pronouncing dictionary/);
  });

  it('writes what it reads', () => {
    const text = 'read R IY D\nread(2) R EH D\nthe DH AH\nthe(2) DH IY\n';
    expect(formatDictionary(parseDictionary(text))).toBe(text);
  });

  it.skipIf(!existsSync(CMUDICT))(
    'reads Debian’s CMUdict (pocketsphinx-en-us; skipped where it is not installed)',
    () => {
      const d = loadDictionary(CMUDICT);
      expect(d.size).toBeGreaterThan(120_000);
      expect(d.phones.size).toBe(39);
      expect(d.pronunciations('speech')).toEqual([['S', 'P', 'IY', 'CH']]);
    },
  );
});
