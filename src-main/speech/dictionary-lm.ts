import type { Alphabet } from './alphabet.js';
import type { ArpaEntry } from './arpa.js';
import type { LmDecoding } from './beam-search.js';
import type { PronouncingDictionary } from './pronouncing-dictionary.js';
import { SENTENCE_END, SENTENCE_START, vocabularyTrie, WordLm } from './word-lm.js';

/**
 * What a phone model decodes with when no language model is at hand (the user turned it off, or it failed to
 * load): the words of its pronouncing dictionary as a unigram model in which every word has probability 1.
 * A phone model's greedy output is phones, which no one can read; searched over the dictionary, the same
 * output comes out as words, and as no word costs anything, how many there are and which they are is the
 * acoustic model's choice alone, as it is for a letter model without a language model. Words spelt alike
 * (their, there) tie, and the search keeps the first.
 */
export function dictionaryLm(dictionary: PronouncingDictionary, source = 'pronouncing dictionary'): WordLm {
  const unigrams: ArpaEntry[] = [
    // log10 P(<s>) of −99: the sentence start is a context, never a word (as every ARPA model writes it).
    { words: [SENTENCE_START], logProb: -99, backoff: 0 },
    { words: [SENTENCE_END], logProb: 0, backoff: 0 },
  ];
  for (const word of dictionary.words()) unigrams.push({ words: [word], logProb: 0, backoff: 0 });
  return new WordLm({ entries: [unigrams] }, source);
}

/** One dictionary model per dictionary: building one over 134,000 words takes a moment. */
const built = new WeakMap<PronouncingDictionary, WordLm>();

export function cachedDictionaryLm(dictionary: PronouncingDictionary): WordLm {
  let lm = built.get(dictionary);
  if (!lm) built.set(dictionary, (lm = dictionaryLm(dictionary)));
  return lm;
}

/**
 * What a transcript is searched with: the language model when there is one; else, for a phone model, its
 * dictionary's words (its greedy output is phones); else nothing (greedy letters).
 */
export function wordDecoding(lm: LmDecoding | null, alphabet: Alphabet): LmDecoding | null {
  if (lm) return lm;
  const words = searchLm(null, alphabet);
  return words ? { lm: words, vocabulary: vocabularyTrie(words, alphabet) } : null;
}

/** The model a search over this alphabet uses: `lm`, else a phone model's dictionary model, else none. */
export function searchLm(lm: WordLm | null, alphabet: Alphabet): WordLm | null {
  const dictionary = alphabet.phones?.dictionary;
  return lm ?? (dictionary ? cachedDictionaryLm(dictionary) : null);
}
