import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LETTER_TO_SOUND,
  LetterToSound,
  LetterToSoundFormatError,
} from '../../../src-main/speech/g2p/letter-to-sound.js';
import type { LetterToSoundJson } from '../../../src-main/speech/g2p/letter-to-sound-json.js';
import { holdOutWords, scorePronunciations } from '../../../src-main/speech/g2p/pronunciation-accuracy.js';
import { packVarints } from '../../../src-main/speech/g2p/packed-varints.js';
import { LetterAlignmentError } from '../../../src-main/speech/g2p/letter-alignment.js';
import { loadDictionary, parseDictionary } from '../../../src-main/speech/pronouncing-dictionary.js';
import { tinyDictionary } from './tiny-dictionary.js';

const CMUDICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

describe('LetterToSound on a small dictionary', () => {
  const dict = tinyDictionary();
  const rules = LetterToSound.learn(dict);

  it('pronounces every word it learned from as the dictionary does', () => {
    for (const word of dict.words())
      expect(rules.pronounce(word), word).toEqual(dict.pronunciations(word)![0]);
  });

  it('reads made-up words by the same rules', () => {
    const expected: Record<string, string> = {
      fot: 'F AA T',
      nib: 'N IH B',
      rup: 'R AH P',
      jub: 'JH AH B',
      wen: 'W EH N',
      pate: 'P EY T', // silent e, long a
      bote: 'B OW T',
      dune: 'D UW N',
      shin: 'SH IH N', // digraphs
      chop: 'CH AA P',
      thud: 'TH AH D',
      vox: 'V AA K S', // x as two phones
      knob: 'N AA B', // silent k
      fight: 'F AY T', // silent gh
    };
    for (const [word, phones] of Object.entries(expected))
      expect(rules.pronounce(word).join(' '), word).toBe(phones);
  });

  it('ignores what is not a letter, and letters the dictionary never used', () => {
    expect(rules.pronounce('Bat!')).toEqual(['B', 'AE', 'T']);
    expect(rules.pronounce('b-a-t')).toEqual(['B', 'AE', 'T']);
    expect(rules.pronounce('qbatz')).toEqual(['B', 'AE', 'T']);
    expect(rules.pronounce('')).toEqual([]);
    expect(rules.pronounce("-'.")).toEqual([]);
    expect(rules.pronounce('qz')).toEqual([]);
  });

  it('never leaves a word with letters silent', () => {
    // A lone e or gh is silent wherever the dictionary shows them after other letters.
    expect(rules.pronounce('e').length).toBeGreaterThan(0);
    expect(rules.pronounce('gh').length).toBeGreaterThan(0);
    expect(rules.pronounce("e'").length).toBeGreaterThan(0);
  });

  it('refuses a beam it cannot search with, and a dictionary with no plain words', () => {
    expect(() => LetterToSound.learn(dict, { ...DEFAULT_LETTER_TO_SOUND, beamWidth: 0 })).toThrow(RangeError);
    expect(() => LetterToSound.learn(parseDictionary('a.m. EY EH M\n'))).toThrow(LetterAlignmentError);
  });
});

describe('LetterToSound JSON', () => {
  const dict = tinyDictionary();
  const rules = LetterToSound.learn(dict);
  const json = rules.toJSON();

  it('loads back to the same rules', () => {
    const loaded = LetterToSound.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(loaded.toJSON()).toEqual(json);
    for (const word of [...dict.words(), 'fot', 'pate', 'knob', 'e'])
      expect(loaded.pronounce(word)).toEqual(rules.pronounce(word));
  });

  /** `json` with one change (`edit` returns the changed copy). */
  const changed = (edit: (o: LetterToSoundJson) => object): unknown => edit(json);

  it.each([
    ['not an object', null, /not an object/],
    ['another format', changed((o) => ({ ...o, format: 'something-else' })), /format is "something-else"/],
    ['another version', changed((o) => ({ ...o, version: 2 })), /version 2 is not 1/],
    ['a bad beam width', changed((o) => ({ ...o, beamWidth: 0 })), /beamWidth is not a whole number/],
    ['no graphones', changed((o) => ({ ...o, graphones: 'a:AE' })), /graphones is not a non-empty list/],
    [
      'a malformed graphone',
      changed((o) => ({ ...o, graphones: ['b:b', ...o.graphones.slice(1)] })),
      /graphone 0 \("b:b"\) is not/,
    ],
    [
      'three phones on a letter',
      changed((o) => ({ ...o, graphones: ['x:K S T', ...o.graphones.slice(1)] })),
      /graphone 0/,
    ],
    [
      'a letter’s graphones apart',
      changed((o) => ({ ...o, graphones: [...o.graphones, o.graphones[0]] })),
      /not listed together/,
    ],
    ['no n-gram table', changed((o) => ({ ...o, ngram: undefined })), /ngram is missing/],
    [
      'a bad node count',
      changed((o) => ({ ...o, ngram: { ...o.ngram, nodes: 0 } })),
      /ngram.nodes is not a count/,
    ],
    [
      'a column too short',
      changed((o) => ({ ...o, ngram: { ...o.ngram, nodes: o.ngram.nodes + 1 } })),
      /ngram.children holds/,
    ],
    [
      'a column not base64',
      changed((o) => ({ ...o, ngram: { ...o.ngram, logProbs: '@@@@' } })),
      /ngram.logProbs is not a base64/,
    ],
    [
      'a node its own ancestor',
      changed((o) => ({ ...o, ngram: { ...o.ngram, nodes: 2, children: packVarints([0, 1]) } })),
      /node 1 would be its own ancestor/,
    ],
    [
      'a token outside the vocabulary',
      changed((o) => ({
        ...o,
        ngram: { ...o.ngram, nodes: 2, children: packVarints([1, 0]), tokens: packVarints([9999]) },
      })),
      /token 9999, outside the/,
    ],
  ])('rejects %s with a LetterToSoundFormatError', (_what, obj, message) => {
    expect(() => LetterToSound.fromJSON(obj)).toThrow(LetterToSoundFormatError);
    expect(() => LetterToSound.fromJSON(obj)).toThrow(message);
  });
});

describe.skipIf(!existsSync(CMUDICT))('LetterToSound on CMUdict', () => {
  it('gets held-out words right from a small model (its speed is in bench/G2P.md) (skipped where pocketsphinx-en-us is not installed)', () => {
    const { train, heldOut } = holdOutWords(loadDictionary(CMUDICT), 0.05, 1);
    const rules = LetterToSound.learn(train);
    const score = scorePronunciations(heldOut, (w) => rules.pronounce(w));
    expect(score.words).toBeGreaterThan(5000);
    // The bench measures 75 % and 5.9 % on this split; the bar leaves room, not slack for a broken model.
    expect(score.wordAccuracy).toBeGreaterThan(0.7);
    expect(score.phoneErrorRate).toBeLessThan(0.08);

    const text = JSON.stringify(rules.toJSON());
    expect(text.length).toBeLessThan(5e6);
    const loaded = LetterToSound.fromJSON(JSON.parse(text));
    for (const word of [...heldOut.words()].slice(0, 2000))
      expect(loaded.pronounce(word), word).toEqual(rules.pronounce(word));
  }, 120_000);
});
