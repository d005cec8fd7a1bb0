import { readFileSync } from 'node:fs';

/**
 * A pronouncing dictionary: each word's pronunciations as phone sequences. The file format is the one CMUdict
 * and the sphinx recognisers use (cmudict-en-us.dict of Debian's pocketsphinx-en-us): one pronunciation per
 * line, `word PH PH …`, the word's second and later pronunciations written `word(2)`, `word(3)`; fields split
 * on whitespace; lines starting `;;;` are comments. CMUdict's own releases mark vowel stress with a digit
 * (AH0, AH1); stress is not a phone here, so it is dropped.
 */
export class PronouncingDictionary {
  /**
   * Each word's pronunciations as one string, phones split by spaces and pronunciations by '|': CMUdict's
   * 126,000 words held as arrays of arrays of strings took 56 MB of the engine's heap, as strings a fraction.
   */
  private readonly entries = new Map<string, string>();

  /** Every phone any pronunciation uses. */
  readonly phones = new Set<string>();

  /** Adds a pronunciation of a (lower-cased) word, after those it has. */
  add(word: string, phones: readonly string[]): void {
    const w = word.toLowerCase();
    const spelt = phones.join(' ');
    const had = this.entries.get(w);
    if (had === undefined) this.entries.set(w, spelt);
    else if (!had.split('|').includes(spelt)) this.entries.set(w, `${had}|${spelt}`);
    for (const ph of phones) this.phones.add(ph);
  }

  /** The word's pronunciations, first the main one; undefined for a word the dictionary lacks. */
  pronunciations(word: string): readonly (readonly string[])[] | undefined {
    return this.entries
      .get(word.toLowerCase())
      ?.split('|')
      .map((p) => p.split(' '));
  }

  has(word: string): boolean {
    return this.entries.has(word.toLowerCase());
  }

  get size(): number {
    return this.entries.size;
  }

  words(): IterableIterator<string> {
    return this.entries.keys();
  }
}

export class DictionaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DictionaryError';
  }
}

const VARIANT = /^(.+)\((\d+)\)$/;
const PHONE = /^[A-Za-z]+$/;

/** Parses dictionary text; `source` names it in errors (with the line). */
export function parseDictionary(text: string, source = 'dictionary'): PronouncingDictionary {
  const dict = new PronouncingDictionary();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';;;')) return;
    const [head, ...rest] = line.split(/\s+/);
    const where = `${source}:${i + 1}`;
    if (rest.length === 0) throw new DictionaryError(`${where}: "${head}" has no phones`);
    const word = VARIANT.exec(head)?.[1] ?? head;
    const phones = rest.map((p) => {
      const bare = p.replace(/[0-2]$/, '');
      if (!PHONE.test(bare)) throw new DictionaryError(`${where}: "${p}" is not a phone (word "${word}")`);
      return bare.toUpperCase();
    });
    dict.add(word, phones);
  });
  if (dict.size === 0) throw new DictionaryError(`${source}: no pronunciations`);
  return dict;
}

/** Loads a dictionary file. */
export function loadDictionary(path: string): PronouncingDictionary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DictionaryError(`cannot read pronouncing dictionary ${path}: ${(err as Error).message}`);
  }
  return parseDictionary(text, path);
}

/** Dictionary text in the same format, words in the order they were added. */
export function formatDictionary(dict: PronouncingDictionary): string {
  const lines: string[] = [];
  for (const word of dict.words()) {
    dict
      .pronunciations(word)!
      .forEach((p, k) => lines.push(`${k === 0 ? word : `${word}(${k + 1})`} ${p.join(' ')}`));
  }
  return lines.join('\n') + '\n';
}
