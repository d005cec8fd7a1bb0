import { describe, expect, it } from 'vitest';
import { holdOutWords, scorePronunciations } from '../../../src-main/speech/g2p/pronunciation-accuracy.js';
import { parseDictionary } from '../../../src-main/speech/pronouncing-dictionary.js';

/** A distinct all-letter spelling for each number. */
function spell(i: number): string {
  let s = 'w';
  for (let n = i + 1; n > 0; n = Math.floor(n / 26)) s += String.fromCharCode(97 + (n % 26));
  return s;
}

describe('holdOutWords', () => {
  const text = Array.from({ length: 400 }, (_, i) => `${spell(i)} AH\n${spell(i)}(2) EH\n`).join('');
  const dict = parseDictionary(text + 'a.m. EY EH M\n');

  it('holds out whole words, the same ones for the same seed', () => {
    const a = holdOutWords(dict, 0.1, 3);
    expect([...holdOutWords(dict, 0.1, 3).heldOut.words()]).toEqual([...a.heldOut.words()]);
    expect([...holdOutWords(dict, 0.1, 4).heldOut.words()]).not.toEqual([...a.heldOut.words()]);
    expect(a.heldOut.size).toBeGreaterThan(20);
    expect(a.heldOut.size).toBeLessThan(70);
    expect(a.train.size + a.heldOut.size).toBe(dict.size);
    for (const w of a.heldOut.words()) {
      expect(a.train.has(w)).toBe(false);
      expect(a.heldOut.pronunciations(w)).toEqual([['AH'], ['EH']]);
    }
  });

  it('holds out only plain spellings, the words letter-to-sound rules are for', () => {
    expect([...holdOutWords(dict, 1, 3).train.words()]).toEqual(['a.m.']);
  });
});

describe('scorePronunciations', () => {
  it('counts a word right when it matches any pronunciation, and measures phones against the closest', () => {
    const ref = parseDictionary('either IY DH ER\neither(2) AY DH ER\ncat K AE T\ndog D AO G\n');
    const guesses: Record<string, string[]> = {
      either: ['AY', 'DH', 'ER'], // the second pronunciation: right
      cat: ['K', 'AH', 'T'], // one substitution of three
      dog: ['D', 'AO', 'G', 'Z'], // one insertion of three
    };
    const s = scorePronunciations(ref, (w) => guesses[w]);
    expect(s).toEqual({
      words: 3,
      correctWords: 1,
      wordAccuracy: 1 / 3,
      phoneErrors: 2,
      referencePhones: 9,
      phoneErrorRate: 2 / 9,
    });
  });

  it('scores nothing as nothing', () => {
    expect(scorePronunciations(parseDictionary('a AH\n'), () => []).phoneErrorRate).toBe(1);
  });
});
