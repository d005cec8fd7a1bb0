import { type ArpaModel, ArpaError, type ArpaSource, arpaSource } from './arpa.js';
import type { Alphabet } from './alphabet.js';
import type { NgramTrie } from './ngram-trie.js';
import { openLanguageModel } from './lm-file.js';
import { wordSpellings } from './phone-spelling.js';
import { buildWordLm, type WordLmParts } from './word-lm-build.js';

export type { WordIdSource, WordLmParts } from './word-lm-build.js';

const LN10 = Math.LN10;

export const SENTENCE_START = '<s>';
export const SENTENCE_END = '</s>';
export const UNKNOWN_WORD = '<unk>';
const SPECIAL = new Set([SENTENCE_START, SENTENCE_END, UNKNOWN_WORD]);

/**
 * A word n-gram language model ready for decoding: an ARPA model's n-grams in a trie of typed arrays keyed
 * by numbers (no strings on the hot path), scored with the ARPA back-off rule in natural-log units:
 *
 *   log P(w | h) = log p(h w)                        if the n-gram h w is listed
 *                = log bow(h) + log P(w | h minus its oldest word)   otherwise
 */
export class WordLm {
  readonly order: number;
  /** Word strings by id (ids are the unigram entries' ids). */
  readonly words: readonly string[];
  private readonly ids: Map<string, number>;
  /** The n-grams: unigrams' entry ids are their word ids, each longer n-gram is a child of its prefix. */
  private readonly entries: NgramTrie;
  /** Natural-log probability by entry id; back-off weight by entry id, for entries that have children. */
  private readonly logProb: Float32Array;
  private readonly backoff: Float32Array;
  readonly bos: number;
  readonly eos: number;
  /** Log-probability given to a word the model does not know (its <unk>, else its rarest word's). */
  readonly unknownLogProb: number;
  /** N-grams left out because a shorter n-gram they extend is missing (pruned files can have these). */
  readonly orphans: number;

  constructor(
    model: ArpaModel | ArpaSource | WordLmParts,
    /** Where the model came from (its file), for messages and reports. */
    readonly source = 'language model',
  ) {
    const parts =
      'trie' in model ? model : buildWordLm('entries' in model ? arpaSource(model) : model, source);
    this.order = parts.order;
    this.words = parts.words;
    this.entries = parts.trie;
    this.logProb = parts.logProb;
    this.backoff = parts.backoff;
    this.orphans = parts.orphans;
    this.ids = parts.ids ?? new Map(parts.words.map((w, i) => [w, i]));
    const words = parts.words;
    const bos = this.ids.get(SENTENCE_START);
    const eos = this.ids.get(SENTENCE_END);
    if (bos === undefined || eos === undefined) {
      throw new ArpaError(
        `${source}: needs the sentence markers ${SENTENCE_START} and ${SENTENCE_END} among its unigrams`,
      );
    }
    this.bos = bos;
    this.eos = eos;
    const unk = this.ids.get(UNKNOWN_WORD);
    let rarest = 0;
    for (let w = 0; w < words.length; w++)
      if (w !== bos && this.logProb[w] < rarest) rarest = this.logProb[w];
    this.unknownLogProb = unk !== undefined && this.logProb[unk] > -99 * LN10 ? this.logProb[unk] : rarest;
  }

  /**
   * Loads an ARPA file (plain or gzipped) or a sphinx trie model (`.lm.bin`), told apart by their first
   * bytes, not their names.
   */
  static load(path: string): WordLm {
    return new WordLm(openLanguageModel(path).source, path);
  }

  /** What the model is made of, as a snapshot stores it. */
  parts(): WordLmParts {
    const { order, words, entries: trie, logProb, backoff, orphans } = this;
    return { order, words, trie, logProb, backoff, orphans };
  }

  /** Word id, or -1 for a word the model does not know. */
  id(word: string): number {
    return this.ids.get(word) ?? -1;
  }

  /** Natural-log unigram probability of a word id. */
  unigram(w: number): number {
    return this.logProb[w];
  }

  /**
   * log P(w | context), natural log. `context` holds word ids, oldest first (only the last order − 1
   * matter); -1 (an unknown word) ends the usable history there. w = -1 scores an unknown word.
   */
  score(context: readonly number[], w: number): number {
    if (w < 0) return this.unknownLogProb;
    let k = Math.min(context.length, this.order - 1);
    for (let j = context.length - k; j < context.length; j++) if (context[j] < 0) k = context.length - j - 1;
    let acc = 0;
    for (; k > 0; k--) {
      const ctx = this.entryOfIds(context, context.length - k);
      if (ctx < 0) continue; // an unlisted context backs off with weight 1
      const e = this.entries.child(ctx, w);
      if (e >= 0) return acc + this.logProb[e];
      acc += this.backoff[ctx];
    }
    return acc + this.logProb[w];
  }

  /** The words a beam search's history needs to keep: the last order − 1 (the state of the model). */
  advance(context: readonly number[], w: number): number[] {
    const keep = this.order - 1;
    const next = [...context, w];
    return next.length > keep ? next.slice(next.length - keep) : next;
  }

  private entryOf(words: readonly string[]): number {
    const ids = words.map((w) => this.ids.get(w) ?? -1);
    return ids.includes(-1) ? -1 : this.entryOfIds(ids, 0);
  }

  /** Entry id of the n-gram context[from…to), or -1 if it is not listed. */
  private entryOfIds(context: ArrayLike<number>, from: number, to = context.length): number {
    let id = context[from];
    for (let j = from + 1; j < to && id >= 0; j++) id = this.entries.child(id, context[j]);
    return id;
  }
}

/**
 * The words a language-model beam search may spell, as a character trie over the alphabet's classes.
 * Nodes are numbers (the root is 0) and live in typed arrays: a hundred thousand words make some
 * 250,000 nodes, which as objects with child maps would take ~70 MB; here they take a few.
 */
export class VocabularyTrie {
  static readonly ROOT = 0;
  private firstChild = new Int32Array(1024).fill(-1);
  private nextSibling = new Int32Array(1024).fill(-1);
  private label = new Int32Array(1024);
  private wordAt = new Int32Array(1024).fill(-1);
  private best = new Float32Array(1024).fill(-Infinity);
  /** The word with that best unigram below each node (an index into `words`), for words still being spoken. */
  private bestWord = new Int32Array(1024).fill(-1);
  private nodes = 1;
  /** Every word added, homophones too, in the order added; `wordAt` points at the first one spelt so. */
  private readonly words: { text: string; id: number }[] = [];
  private readonly alike = new Map<number, { text: string; id: number }[]>();

  /** The node after class c from `node`, or -1 if no word goes on that way. */
  child(node: number, c: number): number {
    for (let k = this.firstChild[node]; k >= 0; k = this.nextSibling[k]) if (this.label[k] === c) return k;
    return -1;
  }

  /** The word ending at `node` (its LM id, -1 if the LM does not know it), or null. */
  word(node: number): { text: string; id: number } | null {
    const w = this.wordAt[node];
    return w >= 0 ? this.words[w] : null;
  }

  /**
   * The word a spelling that has reached `node` most likely becomes (the likeliest by unigram below it), or
   * null at the root: what a live partial shows while the word is still being spoken.
   */
  likeliestBelow(node: number): { text: string; id: number } | null {
    const k = node === VocabularyTrie.ROOT ? -1 : this.bestWord[node];
    return k >= 0 ? this.words[k] : null;
  }

  /** Best natural-log unigram probability of any word below: the look-ahead score of a partial word. */
  lookAhead(node: number): number {
    return node === VocabularyTrie.ROOT ? 0 : this.best[node];
  }

  get size(): number {
    return this.nodes;
  }

  /** Words the trie spells, each of a phone model's homophones counted. */
  get wordCount(): number {
    return this.words.length;
  }

  /** Adds a word spelled by `classes` with its LM id and unigram log-probability (once per word and spelling). */
  add(text: string, classes: readonly number[], id: number, logProb: number): void {
    let node = VocabularyTrie.ROOT;
    const path: number[] = [];
    for (const c of classes) {
      let next = this.child(node, c);
      if (next < 0) {
        next = this.newNode(c);
        this.nextSibling[next] = this.firstChild[node];
        this.firstChild[node] = next;
      }
      path.push(next);
      node = next;
    }
    if (node === VocabularyTrie.ROOT) return;
    const w = this.wordAt[node];
    const entry = { text, id };
    if (w >= 0) {
      // Another word spelt the same: a phone model's homophones ("see", "sea"). Each is kept once.
      if (this.words[w].text === text || this.alike.get(node)?.some((a) => a.text === text)) return;
      this.alike.set(node, [...(this.alike.get(node) ?? []), entry]);
    } else {
      this.wordAt[node] = this.words.length;
    }
    this.words.push(entry);
    for (const n of path) {
      if (this.bestWord[n] < 0 || logProb > this.best[n]) {
        this.best[n] = logProb;
        this.bestWord[n] = this.words.length - 1;
      }
    }
  }

  /**
   * Every word ending at `node`: the first one added, then any others spelt the same way (a phone model's
   * homophones), which the search tells apart by the language model.
   */
  wordsAt(node: number): readonly { text: string; id: number }[] {
    const first = this.word(node);
    return first ? [first, ...(this.alike.get(node) ?? [])] : [];
  }

  private newNode(c: number): number {
    if (this.nodes === this.label.length) {
      const grow = <T extends Int32Array | Float32Array>(a: T, fill: number): T => {
        const b = new (a.constructor as { new (n: number): T })(a.length * 2);
        b.fill(fill);
        b.set(a);
        return b;
      };
      this.firstChild = grow(this.firstChild, -1);
      this.nextSibling = grow(this.nextSibling, -1);
      this.label = grow(this.label, 0);
      this.wordAt = grow(this.wordAt, -1);
      this.best = grow(this.best, -Infinity);
      this.bestWord = grow(this.bestWord, -1);
    }
    this.label[this.nodes] = c;
    return this.nodes++;
  }
}

/**
 * The decoding vocabulary: the LM's words (those the alphabet can spell: letters, or the pronouncing
 * dictionary for a phone model) plus `extraWords` (the user's
 * lexicon), which the LM scores as unknown words unless it knows them.
 */
export function vocabularyTrie(
  lm: WordLm,
  alphabet: Alphabet,
  extraWords: readonly string[] = [],
): VocabularyTrie {
  const trie = new VocabularyTrie();
  const add = (text: string, id: number) => {
    // Every pronunciation of a phone model's word is a path to it.
    for (const classes of wordSpellings(text, alphabet))
      trie.add(text, classes, id, id >= 0 ? lm.unigram(id) : lm.unknownLogProb);
  };
  lm.words.forEach((w, id) => {
    if (!SPECIAL.has(w)) add(w, id);
  });
  for (const w of extraWords) add(w, lm.id(w));
  return trie;
}
