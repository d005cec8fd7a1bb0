import { type Alphabet, normalizeText } from './alphabet.js';
import { wordSpellings } from './phone-spelling.js';

/**
 * The user's personal lexicon: words they put into transcripts by correcting them (names, jargon, words
 * the acoustic model spells phonetically). Decoding gives paths that spell these words a bonus (see
 * beam-search.ts), so a word the model nearly hears comes out right.
 */

/** A node of the character trie: children by class index; `word` set where a lexicon word ends. */
export interface LexiconNode {
  readonly children: Map<number, LexiconNode>;
  word: string | null;
  /** Characters from the root (the word prefix this node stands for). */
  readonly depth: number;
}

export class Lexicon {
  readonly root: LexiconNode = { children: new Map(), word: null, depth: 0 };
  private readonly list: string[] = [];

  /** Words are normalised with the alphabet; words it cannot spell, and empty ones, are left out. */
  constructor(
    readonly alphabet: Alphabet,
    words: Iterable<string> = [],
  ) {
    for (const w of words) this.add(w);
  }

  get words(): readonly string[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /**
   * Adds a word (normalised; a phrase adds each of its words) by each of its spellings in the model's classes:
   * its letters, or a phone model's pronunciations. A word the model cannot spell is left out.
   */
  add(word: string): void {
    for (const w of normalizeText(word, this.alphabet).split(' ')) {
      if (w === '') continue;
      let added = false;
      for (const classes of wordSpellings(w, this.alphabet)) {
        let node = this.root;
        for (const id of classes) {
          let next = node.children.get(id);
          if (!next) {
            next = { children: new Map(), word: null, depth: node.depth + 1 };
            node.children.set(id, next);
          }
          node = next;
        }
        if (node === this.root || node.word !== null) continue;
        node.word = w;
        added = true;
      }
      if (added && !this.list.includes(w)) this.list.push(w);
    }
  }

  has(word: string): boolean {
    return this.list.includes(normalizeText(word, this.alphabet));
  }
}

/**
 * Words a correction introduced: in the corrected text but not in what the model wrote (both normalised),
 * at least `minLength` characters long (short words are common enough to need no help).
 */
export function introducedWords(before: string, after: string, alphabet: Alphabet, minLength = 3): string[] {
  const had = new Set(normalizeText(before, alphabet).split(' '));
  const out: string[] = [];
  for (const w of normalizeText(after, alphabet).split(' ')) {
    if (w.length >= minLength && !had.has(w) && !out.includes(w)) out.push(w);
  }
  return out;
}
