import {
  type Alphabet,
  AlphabetError,
  BLANK_TOKEN,
  encode,
  normalizeText,
  parseTokens,
  SPACE_TOKEN,
} from './alphabet.js';
import type { PronouncingDictionary } from './pronouncing-dictionary.js';

/**
 * Words as a model's classes: letters for a letter model, the pronouncing dictionary's phones for a phone
 * model (alphabet.phones). A phone model hears sounds, and English spelling is a poor guide to them; the
 * dictionary carries how real speakers say 134,000 words, which a model trained on hours of speech cannot
 * learn for itself.
 */

/** The alphabet with the dictionary that spells its words attached (phone alphabets only). */
export function withDictionary(
  alphabet: Alphabet,
  dictionary: PronouncingDictionary,
  source: string,
): Alphabet {
  if (!alphabet.phones) throw new AlphabetError(`${source}: a pronouncing dictionary needs a phone alphabet`);
  const known = new Set(alphabet.phones.names);
  const missing = [...dictionary.phones].filter((p) => !known.has(p));
  if (missing.length > 0)
    throw new AlphabetError(`${source} uses phones the model does not write: ${missing.sort().join(', ')}`);
  return { ...alphabet, phones: { names: alphabet.phones.names, dictionary } };
}

function dictionaryOf(alphabet: Alphabet): PronouncingDictionary {
  const d = alphabet.phones?.dictionary;
  if (!d) throw new AlphabetError('this phone alphabet has no pronouncing dictionary attached');
  return d;
}

/** A word's spellings as class ids, its main pronunciation first (none: the word cannot be written). */
export function wordSpellings(word: string, alphabet: Alphabet): number[][] {
  if (!alphabet.phones) {
    const ids = [...word].map((ch) => alphabet.index.get(ch) ?? -1);
    return ids.some((c) => c < 0 || c === alphabet.blank || c === alphabet.space) ? [] : [ids];
  }
  const names = alphabet.phones.names;
  const prons = dictionaryOf(alphabet).pronunciations(word) ?? [];
  return prons.map((p) => p.map((ph) => names.indexOf(ph)));
}

export interface SpokenForm {
  /** The text as the model writes it (letters, or phone symbols), words split by single spaces. */
  text: string;
  /** Words the dictionary lacks, in order (a phone model only): they are written as nothing. */
  unknown: string[];
}

/**
 * What a model should write for display text: normalizeText for a letter model; for a phone model, each
 * normalised word's main pronunciation.
 */
export function spokenForm(text: string, alphabet: Alphabet): SpokenForm {
  if (!alphabet.phones) return { text: normalizeText(text, alphabet), unknown: [] };
  const words = normalizeText(text, alphabet)
    .split(' ')
    .filter((w) => w !== '');
  const unknown: string[] = [];
  const spelt = words.map((w) => {
    const s = wordSpellings(w, alphabet)[0];
    if (!s) unknown.push(w);
    return s ? s.map((c) => alphabet.tokens[c]).join('') : '';
  });
  return { text: spelt.filter((s) => s !== '').join(' '), unknown };
}

/** Phone symbols back to names ("hʌloW" → "HH AH L OW"); other characters pass as they are. */
export function phoneNames(text: string, alphabet: Alphabet): string {
  if (!alphabet.phones) return text;
  const names = alphabet.phones.names;
  return text
    .split(' ')
    .map((w) => [...w].map((ch) => names[alphabet.index.get(ch) ?? -1] || ch).join(' '))
    .join(' | ');
}

/**
 * A transcript's training target as class ids. For a phone model a transcript with a word the dictionary
 * lacks gives no target (empty): a guessed pronunciation would teach wrong sounds, and training leaves
 * empty targets out.
 */
export function trainingTarget(text: string, alphabet: Alphabet): Int32Array {
  const { text: spoken, unknown } = spokenForm(text, alphabet);
  return unknown.length > 0 ? new Int32Array(0) : encode(spoken, alphabet);
}

/** The phone alphabet a dictionary needs: blank, word break, then its phones in order, dictionary attached. */
export function phoneAlphabet(dictionary: PronouncingDictionary, source: string): Alphabet {
  const names = [...dictionary.phones].sort();
  return withDictionary(
    parseTokens([BLANK_TOKEN, SPACE_TOKEN, ...names].join('\n'), source),
    dictionary,
    source,
  );
}
