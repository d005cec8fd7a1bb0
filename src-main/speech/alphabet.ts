import { readFileSync } from 'node:fs';
import { spellNumbers } from './numbers.js';
import { phoneSymbol } from './phone-symbols.js';
import type { PronouncingDictionary } from './pronouncing-dictionary.js';
import type { LetterToSound } from './g2p/letter-to-sound.js';
import type { ClassDecoding } from './class-priors.js';

/**
 * The model's output alphabet, read from a model folder's `tokens.txt`: one token per line, the
 * line number is the class index. Special tokens are found by name, never by position, so a model
 * may put its blank first or last and every caller still gets it right.
 */
export interface Alphabet {
  /** Token strings by class index; `<space>` is stored as ' '. */
  readonly tokens: readonly string[];
  /** Number of output classes (including the blank). */
  readonly size: number;
  /** Class index of the CTC blank (`<blank>` in the tokens file). */
  readonly blank: number;
  /** Class index of the word separator (`<space>`), or -1 if the model has none. */
  readonly space: number;
  /** Class index for each character the model can emit. */
  readonly index: ReadonlyMap<string, number>;
  /**
   * For a model that writes phones (its tokens file lists phone names such as AA, HH): the names by class
   * ('' for the blank and space), the pronouncing dictionary that spells words in them (null until the
   * model folder's is attached) and letter-to-sound rules for the words it lacks. Each phone is carried as one character (phone-symbols.ts), so greedy
   * output, error rates and the search work on phones as they do on letters.
   */
  readonly phones?: {
    readonly names: readonly string[];
    readonly dictionary: PronouncingDictionary | null;
    /** Rules that guess a pronunciation for a word the dictionary lacks (null: such words cannot be written). */
    readonly letterToSound: LetterToSound | null;
  };
  /**
   * The classes' priors and the word-search weights measured for the model these classes belong to
   * (class-priors.ts; config.json's `decoding`): a word search uses them unless told otherwise.
   */
  readonly decoding?: ClassDecoding;
}

export const BLANK_TOKEN = '<blank>';
export const SPACE_TOKEN = '<space>';

export class AlphabetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlphabetError';
  }
}

/** Parses the text of a tokens file. `source` names it in errors. */
export function parseTokens(text: string, source = 'tokens.txt'): Alphabet {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new AlphabetError(`${source}: needs at least a blank and one symbol`);
  const tokens: string[] = [];
  const index = new Map<string, number>();
  let blank = -1;
  let space = -1;
  // A token of several characters can only be a phone name: the file is a phone set.
  const phoneSet = lines.some((l) => {
    const t = l.trim().split(/\s+/)[0] ?? '';
    return t !== BLANK_TOKEN && t !== SPACE_TOKEN && [...t].length > 1;
  });
  const names: string[] = [];
  lines.forEach((raw, i) => {
    // A line may carry "symbol index" like Kaldi/sherpa tokens files; the index must then agree.
    const parts = raw.trim().split(/\s+/);
    const symbol = parts[0] ?? '';
    if (symbol === '') throw new AlphabetError(`${source}:${i + 1}: empty token`);
    if (parts.length > 2)
      throw new AlphabetError(`${source}:${i + 1}: expected "symbol [index]", got "${raw}"`);
    if (parts.length === 2 && Number(parts[1]) !== i) {
      throw new AlphabetError(`${source}:${i + 1}: index ${parts[1]} does not match line position ${i}`);
    }
    let token = symbol;
    if (symbol === BLANK_TOKEN) {
      if (blank !== -1) throw new AlphabetError(`${source}:${i + 1}: second ${BLANK_TOKEN}`);
      blank = i;
    } else if (symbol === SPACE_TOKEN) {
      if (space !== -1) throw new AlphabetError(`${source}:${i + 1}: second ${SPACE_TOKEN}`);
      space = i;
      token = ' ';
    } else if (phoneSet) {
      if (!/^[A-Z]+$/.test(symbol))
        throw new AlphabetError(
          `${source}:${i + 1}: "${symbol}" is neither one character nor a phone name (upper-case letters)`,
        );
      token = phoneSymbol(symbol);
    } else if ([...symbol].length !== 1) {
      throw new AlphabetError(`${source}:${i + 1}: token "${symbol}" is not a single character`);
    }
    if (index.has(token)) throw new AlphabetError(`${source}:${i + 1}: duplicate token "${symbol}"`);
    index.set(token, i);
    tokens.push(token);
    names.push(phoneSet && i !== blank && i !== space ? symbol : '');
  });
  if (blank === -1) throw new AlphabetError(`${source}: no ${BLANK_TOKEN} token`);
  const alphabet = { tokens, size: tokens.length, blank, space, index };
  return phoneSet ? { ...alphabet, phones: { names, dictionary: null, letterToSound: null } } : alphabet;
}

/** Loads `tokens.txt` from a file path. */
export function loadTokens(path: string): Alphabet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AlphabetError(`cannot read tokens file ${path}: ${(err as Error).message}`);
  }
  return parseTokens(text, path);
}

/** Each class's name as a tokens file writes it: `<blank>`, `<space>`, a letter or a phone name. */
export function tokenNames(alphabet: Alphabet): string[] {
  return alphabet.tokens.map((t, i) =>
    i === alphabet.blank
      ? BLANK_TOKEN
      : i === alphabet.space
        ? SPACE_TOKEN
        : (alphabet.phones?.names[i] ?? t),
  );
}

/** Serialises an alphabet back to tokens-file text (one token per line). */
export function formatTokens(alphabet: Alphabet): string {
  return tokenNames(alphabet).join('\n') + '\n';
}

/** The English alphabet Attune ships: blank, space, a–z, apostrophe (29 classes). */
export function englishAlphabet(): Alphabet {
  return parseTokens([BLANK_TOKEN, SPACE_TOKEN, ...'abcdefghijklmnopqrstuvwxyz', "'"].join('\n'));
}

/**
 * Turns display text into the model's spoken form: lower case, numbers spelled out, symbols read
 * aloud, punctuation dropped, apostrophes kept inside words, runs of spaces collapsed. Characters the
 * alphabet cannot express are dropped (after accents are stripped), so the result always encodes (for a
 * phone alphabet: the English letters its words are written in).
 */
export function normalizeText(text: string, alphabet: Alphabet = englishAlphabet()): string {
  // A phone model's words are still written in letters (its dictionary spells them in phones).
  if (alphabet.phones) alphabet = englishAlphabet();
  let s = text.normalize('NFKC');
  // Typographic apostrophes and quotes first, so "don’t" keeps its apostrophe.
  s = s.replace(/[\u2018\u2019\u02bc\u2032`]/g, "'").replace(/[\u201c\u201d\u00ab\u00bb]/g, '"');
  s = s.replace(/&/g, ' and ').replace(/@/g, ' at ').replace(/\+/g, ' plus ');
  s = spellNumbers(s);
  // Strip accents: "café" → "cafe".
  s = s.normalize('NFKD').replace(/\p{M}+/gu, '');
  s = s.toLowerCase();
  // Apostrophes survive only between letters ("don't", "o'clock"); quotes and possessive-plural
  // trailing apostrophes ("the boys'") are dropped, as the spoken form does not hear them.
  s = s.replace(/(^|[^\p{L}])'+|'+(?=[^\p{L}]|$)/gu, '$1');
  let out = '';
  for (const ch of s) {
    if (ch === ' ' || /\s/.test(ch) || ch === '-' || ch === '/' || ch === '_') out += ' ';
    else if (alphabet.index.has(ch)) out += ch;
    else if (/[\p{L}\p{N}]/u.test(ch))
      continue; // letters from other scripts: unsayable here
    else out += ' '; // punctuation separates words ("end.Start" → "end start")
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Encodes normalised text as class indices; throws on a character the alphabet lacks. */
export function encode(text: string, alphabet: Alphabet): Int32Array {
  const chars = [...text];
  const ids = new Int32Array(chars.length);
  chars.forEach((ch, i) => {
    const id = alphabet.index.get(ch);
    if (id === undefined || id === alphabet.blank) {
      throw new AlphabetError(`character "${ch}" is not in the alphabet (normalise the text first)`);
    }
    ids[i] = id;
  });
  return ids;
}

/** Decodes class indices (no blanks, no collapsing) back to text. */
export function decodeIds(ids: ArrayLike<number>, alphabet: Alphabet): string {
  let out = '';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === alphabet.blank) continue;
    const t = alphabet.tokens[id];
    if (t === undefined)
      throw new AlphabetError(`class ${id} is outside the alphabet (size ${alphabet.size})`);
    out += t;
  }
  return out;
}
