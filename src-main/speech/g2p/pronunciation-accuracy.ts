import { align } from '../metrics.js';
import { PronouncingDictionary } from '../pronouncing-dictionary.js';
import { mulberry32 } from '../prng.js';

/**
 * Measuring letter-to-sound rules on words they did not learn from. A word counts as right when the
 * prediction equals any of its dictionary pronunciations (both "either"s are right); its phone errors are
 * the edit distance to the closest pronunciation, and the phone error rate is their sum over the summed
 * lengths of those closest pronunciations.
 */
export interface PronunciationScore {
  words: number;
  correctWords: number;
  wordAccuracy: number;
  phoneErrors: number;
  referencePhones: number;
  phoneErrorRate: number;
}

/** A dictionary split by whole words: every pronunciation of a held-out word is held out. */
export interface HeldOutSplit {
  train: PronouncingDictionary;
  heldOut: PronouncingDictionary;
}

/**
 * Holds out about `fraction` of the words spelt with letters and apostrophes only (the words rules are
 * for), chosen by a seeded generator so the split is the same on every run; everything else trains.
 */
export function holdOutWords(dict: PronouncingDictionary, fraction: number, seed: number): HeldOutSplit {
  const random = mulberry32(seed);
  const train = new PronouncingDictionary();
  const heldOut = new PronouncingDictionary();
  for (const word of dict.words()) {
    const into = /^[a-z']+$/.test(word) && random() < fraction ? heldOut : train;
    for (const p of dict.pronunciations(word)!) into.add(word, p);
  }
  return { train, heldOut };
}

/** Scores `pronounce` on every word of `reference`. */
export function scorePronunciations(
  reference: PronouncingDictionary,
  pronounce: (word: string) => readonly string[],
): PronunciationScore {
  let words = 0;
  let correctWords = 0;
  let phoneErrors = 0;
  let referencePhones = 0;
  for (const word of reference.words()) {
    const guess = pronounce(word);
    let best = { errors: Infinity, length: 0 };
    for (const p of reference.pronunciations(word)!) {
      const { counts } = align(p, guess);
      const errors = counts.substitutions + counts.insertions + counts.deletions;
      if (errors < best.errors) best = { errors, length: p.length };
    }
    words++;
    if (best.errors === 0) correctWords++;
    phoneErrors += best.errors;
    referencePhones += best.length;
  }
  return {
    words,
    correctWords,
    wordAccuracy: words === 0 ? 0 : correctWords / words,
    phoneErrors,
    referencePhones,
    phoneErrorRate: referencePhones === 0 ? 0 : phoneErrors / referencePhones,
  };
}
