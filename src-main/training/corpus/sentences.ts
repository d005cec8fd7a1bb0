import { createHash } from 'node:crypto';
import { englishAlphabet, normalizeText, type Alphabet } from '../../speech/alphabet.js';
import { hashUnit } from './random.js';

/** Held-out sentence sets: a sentence's set follows from its own text alone. */
export type SentenceSet = 'train' | 'dev' | 'test';

export interface SentenceConfig {
  /** Fewest spoken words (after numbers are spelled out) a sentence may have. */
  minWords: number;
  /** Most spoken words a sentence may have. */
  maxWords: number;
  /** Most separate numbers in one sentence: number-heavy examples are lists and formulas, not speech. */
  maxNumbers: number;
  /** Share of sentences held out for the dev split (by hash of the spoken text). */
  devFraction: number;
  /** Share of sentences held out for the test splits (by hash of the spoken text). */
  testFraction: number;
}

export const DEFAULT_SENTENCE_CONFIG: Readonly<SentenceConfig> = Object.freeze({
  minWords: 3,
  maxWords: 25,
  maxNumbers: 2,
  devFraction: 0.05,
  testFraction: 0.05,
});

export interface Sentence {
  /** The source text as written. */
  source: string;
  /** The spoken form the model learns: `normalizeText(source)`. Unique across the list. */
  spoken: string;
  /** What the synthesiser reads: the spoken words with the source's phrase punctuation kept for prosody. */
  synthText: string;
  set: SentenceSet;
}

export type RejectReason =
  | 'symbols' // characters a reader could not say unambiguously (brackets, slashes, ...)
  | 'abbreviation' // "Mr.", "a.m.", "J. Smith": the synthesiser expands them, the transcript would not
  | 'acronym' // "NATO", "FBI": spelled or read as a word, depending on the voice
  | 'numbers' // too many numbers, or digits glued to letters ("3D", "B12")
  | 'fragment' // ellipses: a quotation with pieces missing
  | 'length' // outside [minWords, maxWords]
  | 'offensive' // slurs, profanity, sexual violence
  | 'duplicate'; // same spoken form as an earlier sentence

export interface PreparedSentences {
  sentences: Sentence[];
  rejected: Record<RejectReason, number>;
  /** SHA-256 of the kept spoken forms in order: identifies the text a corpus was made from. */
  sha256: string;
}

// Characters a sentence may contain: letters, digits, spaces and ordinary punctuation.
const ALLOWED = /^[A-Za-z0-9 ,.;:!?'"\-$%]+$/;
const TITLE_ABBREVIATION =
  /\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Mt|Ft|Co|Inc|Ltd|vs|etc|No|Gen|Col|Lt|Capt|Prof|Rev|Sgt|Ave|approx|cf|ca)\./i;
// A single letter followed by a period with more text after it: initials, "a.m.", "e.g.".
const LETTER_ABBREVIATION = /(?:^|[^A-Za-z])[A-Za-z]\.(?=\s*[A-Za-z0-9])/;
const ACRONYM = /\b[A-Z]{2,}s?\b/;
const ORDINAL = /\b\d+(?:st|nd|rd|th)\b/gi;
const DIGITS_WITH_LETTERS = /\d[A-Za-z]|[A-Za-z]\d/;
const NUMBER = /\d[\d,.]*/g;

// Whole words and word starts kept out of the corpus. Deliberately short: WordNet examples are
// tame, and this only has to catch the few that are not.
const BLOCKED_WORDS = new Set(
  (
    'ass asses arse cock cunt dick dyke fag fags hell jap japs kike negro negroes nigga pussy rape raped raping ' +
    'rapist sexy spic spics tits twat whore whored damn damned goddamn goddamned bitch shit piss pissed crap'
  ).split(' '),
);
const BLOCKED_PREFIXES = (
  'fuck shit bitch bastard whor slut nigger faggot wetback ' +
  'chink gook porn wank retard motherfuck bullshit gang-rap'
).split(' ');

/** Why `source` cannot be used, or null if it can. `spoken` is its normalised form. */
export function rejectReason(source: string, spoken: string, config: SentenceConfig): RejectReason | null {
  if (!ALLOWED.test(source)) return 'symbols';
  if (TITLE_ABBREVIATION.test(source) || LETTER_ABBREVIATION.test(source)) return 'abbreviation';
  if (ACRONYM.test(source)) return 'acronym';
  const withoutOrdinals = source.replace(ORDINAL, '0');
  if (DIGITS_WITH_LETTERS.test(withoutOrdinals)) return 'numbers';
  if ((withoutOrdinals.match(NUMBER) ?? []).length > config.maxNumbers) return 'numbers';
  if (source.includes('..')) return 'fragment';
  const words = spoken === '' ? [] : spoken.split(' ');
  if (words.length < config.minWords || words.length > config.maxWords) return 'length';
  const lower = source.toLowerCase();
  const rawWords = lower.split(/[^a-z'-]+/).filter(Boolean);
  if (rawWords.some((w) => BLOCKED_WORDS.has(w) || BLOCKED_PREFIXES.some((p) => w.startsWith(p)))) {
    return 'offensive';
  }
  return null;
}

/**
 * The text handed to a synthesiser: each phrase between punctuation marks is normalised on its own
 * and the marks are kept, so voices still pause at commas and fall at full stops while saying
 * exactly the words of the transcript ("At 5 o'clock, we left." → "at five o'clock, we left.").
 */
export function synthesisText(
  source: string,
  spoken: string,
  alphabet: Alphabet = englishAlphabet(),
): string {
  const parts = source.split(/([,;:.!?]+)/);
  let out = '';
  for (let i = 0; i < parts.length; i += 2) {
    const phrase = normalizeText(parts[i], alphabet);
    const mark = (parts[i + 1] ?? '').charAt(0);
    if (phrase !== '') out += (out === '' ? '' : ' ') + phrase + mark;
    else if (mark !== '' && out !== '' && !/[,;:.!?]$/.test(out)) out += mark;
  }
  if (!/[.!?]$/.test(out)) out = out.replace(/[,;:]$/, '') + '.';
  // Guard: the synthesiser must say the transcript's words, no more, no fewer.
  return normalizeText(out, alphabet) === spoken ? out : spoken + '.';
}

/** Which held-out set a spoken sentence belongs to: fixed by its hash, so adding text never moves one. */
export function sentenceSet(
  spoken: string,
  config: Pick<SentenceConfig, 'devFraction' | 'testFraction'>,
): SentenceSet {
  const u = hashUnit('sentence-set', spoken);
  if (u < config.testFraction) return 'test';
  if (u < config.testFraction + config.devFraction) return 'dev';
  return 'train';
}

/** Filters, normalises, dedupes (on the spoken form) and assigns each sentence to a set. */
export function prepareSentences(
  sources: readonly string[],
  config: SentenceConfig = DEFAULT_SENTENCE_CONFIG,
): PreparedSentences {
  const rejected: Record<RejectReason, number> = {
    symbols: 0,
    abbreviation: 0,
    acronym: 0,
    numbers: 0,
    fragment: 0,
    length: 0,
    offensive: 0,
    duplicate: 0,
  };
  const alphabet = englishAlphabet(); // built once: normalising ~50,000 sentences thrice adds up
  const seen = new Set<string>();
  const sentences: Sentence[] = [];
  const digest = createHash('sha256');
  for (const raw of sources) {
    const source = raw.replace(/\s+/g, ' ').trim();
    const spoken = normalizeText(source, alphabet);
    const reason = rejectReason(source, spoken, config);
    if (reason !== null) {
      rejected[reason]++;
      continue;
    }
    if (seen.has(spoken)) {
      rejected.duplicate++;
      continue;
    }
    seen.add(spoken);
    digest.update(spoken + '\n');
    sentences.push({
      source,
      spoken,
      synthText: synthesisText(source, spoken, alphabet),
      set: sentenceSet(spoken, config),
    });
  }
  return { sentences, rejected, sha256: digest.digest('hex') };
}
