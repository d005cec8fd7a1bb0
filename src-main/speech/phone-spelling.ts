import {
  type Alphabet,
  AlphabetError,
  BLANK_TOKEN,
  encode,
  normalizeText,
  parseTokens,
  SPACE_TOKEN,
} from './alphabet.js';
import type { LetterToSound } from './g2p/letter-to-sound.js';
import type { PronouncingDictionary } from './pronouncing-dictionary.js';

/**
 * Words as a model's classes: letters for a letter model, the pronouncing dictionary's phones for a phone
 * model (alphabet.phones). A phone model hears sounds, and English spelling is a poor guide to them; the
 * dictionary carries how real speakers say 134,000 words, which a model trained on hours of speech cannot
 * learn for itself. Words it lacks (names, jargon) are spelt by letter-to-sound rules learnt from it.
 */

/**
 * The alphabet with the dictionary that spells its words attached (phone alphabets only), and the
 * letter-to-sound rules that guess the pronunciation of a word it lacks, if there are any.
 */
export function withDictionary(
  alphabet: Alphabet,
  dictionary: PronouncingDictionary,
  source: string,
  letterToSound: LetterToSound | null = null,
): Alphabet {
  if (!alphabet.phones) throw new AlphabetError(`${source}: a pronouncing dictionary needs a phone alphabet`);
  const known = new Set(alphabet.phones.names);
  const missing = [...dictionary.phones].filter((p) => !known.has(p));
  if (missing.length > 0)
    throw new AlphabetError(`${source} uses phones the model does not write: ${missing.sort().join(', ')}`);
  return { ...alphabet, phones: { names: alphabet.phones.names, dictionary, letterToSound } };
}

function dictionaryOf(alphabet: Alphabet): PronouncingDictionary {
  const d = alphabet.phones?.dictionary;
  if (!d) throw new AlphabetError('this phone alphabet has no pronouncing dictionary attached');
  return d;
}

/**
 * A word's spellings as class ids, its main pronunciation first: the dictionary's, else the letter-to-sound
 * rules' guess (none: the word cannot be written).
 */
export function wordSpellings(word: string, alphabet: Alphabet): number[][] {
  if (!alphabet.phones) {
    const ids = [...word].map((ch) => alphabet.index.get(ch) ?? -1);
    return ids.some((c) => c < 0 || c === alphabet.blank || c === alphabet.space) ? [] : [ids];
  }
  const names = alphabet.phones.names;
  const prons = dictionaryOf(alphabet).pronunciations(word) ?? guessedPronunciation(word, alphabet);
  return prons.map((p) => p.map((ph) => names.indexOf(ph)));
}

/** The letter-to-sound rules' pronunciation of a word (none without rules, or for a word of no letters). */
function guessedPronunciation(word: string, alphabet: Alphabet): string[][] {
  const names = alphabet.phones?.names ?? [];
  const phones = alphabet.phones?.letterToSound?.pronounce(word) ?? [];
  return phones.length > 0 && phones.every((p) => names.includes(p)) ? [phones] : [];
}

const symbols = (classes: readonly number[], alphabet: Alphabet) =>
  classes.map((c) => alphabet.tokens[c]).join('');

export interface SpokenForm {
  /** The text as the model writes it (letters, or phone symbols), words split by single spaces. */
  text: string;
  /**
   * Words the dictionary lacks, in order (a phone model only): spelt by the letter-to-sound rules where the
   * model has them, else written as nothing.
   */
  unknown: string[];
  /** Words nothing could spell, in order (a phone model without rules for them): left out of `text`. */
  unspelt: string[];
}

/**
 * What a model should write for display text: normalizeText for a letter model; for a phone model, each
 * normalised word's main pronunciation.
 */
export function spokenForm(text: string, alphabet: Alphabet): SpokenForm {
  if (!alphabet.phones) return { text: normalizeText(text, alphabet), unknown: [], unspelt: [] };
  const dictionary = dictionaryOf(alphabet);
  const words = normalizeText(text, alphabet)
    .split(' ')
    .filter((w) => w !== '');
  const spelt: string[] = [];
  const unspelt: string[] = [];
  for (const w of words) {
    const s = wordSpellings(w, alphabet)[0];
    if (s) spelt.push(symbols(s, alphabet));
    else unspelt.push(w);
  }
  return { text: spelt.join(' '), unknown: words.filter((w) => !dictionary.has(w)), unspelt };
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
 * A transcript's training target as class ids. A phone model's words the dictionary lacks are spelt by its
 * letter-to-sound rules (three in four of them right, bench/G2P.md): a user's corrections are full of names
 * the dictionary never heard of. A word nothing can spell leaves the transcript without a target (empty),
 * which training leaves out, rather than teach the sounds of the words around it wrongly.
 */
export function trainingTarget(text: string, alphabet: Alphabet): Int32Array {
  const spoken = spokenForm(text, alphabet);
  return spoken.unspelt.length > 0 ? new Int32Array(0) : encode(spoken.text, alphabet);
}

/**
 * The phone alphabet a dictionary needs: blank, word break, then its phones in order, with the dictionary
 * (and letter-to-sound rules, if given) attached.
 */
export function phoneAlphabet(
  dictionary: PronouncingDictionary,
  source: string,
  letterToSound: LetterToSound | null = null,
): Alphabet {
  const names = [...dictionary.phones].sort();
  const tokens = parseTokens([BLANK_TOKEN, SPACE_TOKEN, ...names].join('\n'), source);
  return withDictionary(tokens, dictionary, source, letterToSound);
}
