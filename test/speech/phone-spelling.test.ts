import { describe, expect, it } from 'vitest';
import { englishAlphabet, formatTokens, parseTokens } from '../../src-main/speech/alphabet.js';
import {
  phoneAlphabet,
  phoneNames,
  spokenForm,
  trainingTarget,
  withDictionary,
  wordSpellings,
} from '../../src-main/speech/phone-spelling.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { LetterToSound } from '../../src-main/speech/g2p/letter-to-sound.js';
import { TINY_DICTIONARY_TEXT } from './g2p/tiny-dictionary.js';

const dict = parseDictionary(
  ['hello HH AH L OW', 'hello(2) HH EH L OW', 'world W ER L D', 'two T UW', 'to T UW', 'the DH AH'].join(
    '\n',
  ),
);
const phones = phoneAlphabet(dict, 'test');

describe('phone alphabets', () => {
  it('are blank, word break and the dictionary’s phones, each carried as one character', () => {
    expect(phones.phones?.names.slice(2)).toEqual([
      'AH',
      'D',
      'DH',
      'EH',
      'ER',
      'HH',
      'L',
      'OW',
      'T',
      'UW',
      'W',
    ]);
    expect(phones.tokens[phones.blank]).toBe('<blank>');
    expect(phones.tokens[phones.space]).toBe(' ');
    for (const t of phones.tokens) expect([...t].length === 1 || t === '<blank>').toBe(true);
    expect(new Set(phones.tokens).size).toBe(phones.size);
  });

  it('round-trip through a tokens file, the dictionary attached again', () => {
    const text = formatTokens(phones);
    expect(text.split('\n').slice(0, 4)).toEqual(['<blank>', '<space>', 'AH', 'D']);
    const parsed = parseTokens(text, 'tokens.txt');
    expect(parsed.tokens).toEqual(phones.tokens);
    expect(parsed.phones?.dictionary).toBeNull();
    expect(withDictionary(parsed, dict, 'p.dict').phones?.dictionary).toBe(dict);
  });

  it('refuse a dictionary with phones they do not write, and lower-case names', () => {
    const other = parseDictionary('cat K AE T\n');
    expect(() => withDictionary(phones, other, 'cat.dict')).toThrow(
      'cat.dict uses phones the model does not write: AE, K',
    );
    expect(() => withDictionary(englishAlphabet(), dict, 'p.dict')).toThrow(/needs a phone alphabet/);
    expect(() => parseTokens('<blank>\nAA\nbb\n', 't.txt')).toThrow(
      /t\.txt:3: "bb" is neither one character nor a phone name/,
    );
  });
});

describe('spelling words', () => {
  it('spells a phone model’s words by their pronunciations, main one first', () => {
    const [main, other] = wordSpellings('hello', phones);
    expect(phoneNames(main.map((c) => phones.tokens[c]).join(''), phones)).toBe('HH AH L OW');
    expect(phoneNames(other.map((c) => phones.tokens[c]).join(''), phones)).toBe('HH EH L OW');
    expect(wordSpellings('absent', phones)).toEqual([]);
  });

  it('spells a letter model’s words by their letters', () => {
    const a = englishAlphabet();
    expect(wordSpellings('hi', a)).toEqual([[a.index.get('h'), a.index.get('i')]]);
    expect(wordSpellings('h1', a)).toEqual([]);
  });

  it('writes transcripts as the model should: normalised letters, or the words’ main pronunciations', () => {
    expect(spokenForm('Hello, World!', englishAlphabet())).toEqual({
      text: 'hello world',
      unknown: [],
      unspelt: [],
    });
    const s = spokenForm('Hello, World! 2', phones);
    expect(phoneNames(s.text, phones)).toBe('HH AH L OW | W ER L D | T UW');
    expect(s.unknown).toEqual([]);
    expect(spokenForm('hello Zorba world', phones).unknown).toEqual(['zorba']);
  });

  it('gives no training target to a transcript with a word the dictionary lacks', () => {
    expect(trainingTarget('hello zorba', phones)).toHaveLength(0);
    const t = trainingTarget('to the world', phones);
    expect(Array.from(t).map((c) => phones.phones!.names[c] || '|')).toEqual([
      'T',
      'UW',
      '|',
      'DH',
      'AH',
      '|',
      'W',
      'ER',
      'L',
      'D',
    ]);
  });
});

describe('words the dictionary lacks', () => {
  const tiny = parseDictionary(TINY_DICTIONARY_TEXT);
  const rules = LetterToSound.learn(tiny);
  const withRules = phoneAlphabet(tiny, 'tiny.dict', rules);
  const names = (classes: number[]) => classes.map((c) => withRules.phones!.names[c]).join(' ');

  it('are spelt by the letter-to-sound rules, the dictionary’s own words by the dictionary', () => {
    expect(tiny.has('vox')).toBe(false);
    expect(wordSpellings('vox', withRules).map(names)).toEqual(['V AA K S']);
    expect(wordSpellings('bat', withRules).map(names)).toEqual(['B AE T']);
    // Without rules such a word cannot be written.
    expect(wordSpellings('vox', phoneAlphabet(tiny, 'tiny.dict'))).toEqual([]);
  });

  it('give training targets and spoken forms, and are reported as not in the dictionary', () => {
    const t = trainingTarget('bat vox', withRules);
    expect(Array.from(t).map((c) => withRules.phones!.names[c] || '|')).toEqual(
      'B AE T | V AA K S'.split(' '),
    );
    expect(spokenForm('bat vox', withRules).unknown).toEqual(['vox']);
    expect(trainingTarget('bat vox', phoneAlphabet(tiny, 'tiny.dict'))).toHaveLength(0);
  });
});
