import { describe, expect, it } from 'vitest';
import { nonRhotic, nonRhoticDictionary } from '../../bench/non-rhotic.js';
import { parseDictionary } from '../../src-main/speech/pronouncing-dictionary.js';

const say = (s: string) => nonRhotic(s.split(' ')).join(' ');

describe('nonRhotic', () => {
  it('drops an R after a vowel unless a vowel follows, leaving a schwa after front and back vowels', () => {
    expect(say('K AA R')).toBe('K AA');
    expect(say('F AO R')).toBe('F AO');
    expect(say('K EH R')).toBe('K EH AH');
    expect(say('HH IY R')).toBe('HH IY AH');
    expect(say('P AA R K')).toBe('P AA K');
  });

  it('keeps an R before a vowel and at the start of a word or after a consonant', () => {
    expect(say('V EH R IY')).toBe('V EH R IY');
    expect(say('R EH D')).toBe('R EH D');
    expect(say('T R IY')).toBe('T R IY');
  });

  it("makes a longer word's final ER a schwa and keeps ER elsewhere (the NURSE vowel)", () => {
    expect(say('B AH T ER')).toBe('B AH T AH');
    expect(say('B ER D')).toBe('B ER D');
    expect(say('HH ER')).toBe('HH ER');
  });
});

describe('nonRhoticDictionary', () => {
  it("puts each word's non-rhotic pronunciations first and keeps its own, without repeating one", () => {
    const dict = nonRhoticDictionary(
      parseDictionary('car K AA R\nred R EH D\nfire F AY ER\nfire(2) F AY R\n'),
    );
    expect(dict.pronunciations('car')).toEqual([
      ['K', 'AA'],
      ['K', 'AA', 'R'],
    ]);
    expect(dict.pronunciations('red')).toEqual([['R', 'EH', 'D']]);
    expect(dict.pronunciations('fire')).toEqual([
      ['F', 'AY', 'AH'],
      ['F', 'AY', 'ER'],
      ['F', 'AY', 'R'],
    ]);
  });
});
