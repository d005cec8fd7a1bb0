import { ArpaError, type ArpaSource } from './arpa.js';
import { NgramTrie } from './ngram-trie.js';

const LN10 = Math.LN10;

/** A word LM's contents: what `WordLm` scores with, and what a snapshot of it stores. */
export interface WordLmParts {
  order: number;
  /** Word strings by id (ids are the unigram entries' ids). */
  words: readonly string[];
  /** Word ids by string, when the builder has them already. */
  ids?: Map<string, number>;
  trie: NgramTrie;
  /**
   * Natural-log probability by entry id. Single precision: its rounding (~1e-7 relative) is far finer than
   * any model's own (ARPA files write 4–7 digits, sphinx quantises to 16 bits), and it halves the memory
   * of the values, the larger part of a model of millions of n-grams.
   */
  logProb: Float32Array;
  /** Natural-log back-off weight by entry id, for the entries that have children (the longest order has none). */
  backoff: Float32Array;
  /** N-grams left out because a shorter n-gram they extend is missing (pruned files can have these). */
  orphans: number;
}

/**
 * Builds a model's trie and values from its n-grams, visited once (unigrams first, each order complete
 * before the next). Values are converted from log10 to natural log.
 */
export function buildWordLm(src: ArpaSource, source: string): WordLmParts {
  if (src.counts.length === 0 || src.counts[0] === 0) throw new ArpaError(`${source}: has no unigrams`);
  const order = src.counts.length;
  const total = src.counts.reduce((s, n) => s + n, 0);
  const logProb = new Float32Array(total);
  let backoff = new Float32Array(total);
  const words: string[] = [];
  const ids = new Map<string, number>();
  const addWord = (w: string, lp: number, bo: number) => {
    if (ids.has(w)) throw new ArpaError(`${source}: the word "${w}" is listed twice among the unigrams`);
    if (words.length >= total)
      throw new ArpaError(`${source}: lists more unigrams than its header's ${src.counts[0]}`);
    logProb[words.length] = lp * LN10;
    backoff[words.length] = bo * LN10;
    ids.set(w, words.length);
    words.push(w);
  };
  const build = new TrieBuild(src.counts, logProb, backoff, source, (ws) => Array.from(ws, (w) => words[w]));
  const atOrder = (n: number) => {
    if (n === 1 && build.order > 1)
      throw new ArpaError(`${source}: a unigram is listed after the ${build.order}-grams began`);
    if (n > 1) build.reach(n, words.length);
  };
  /** Entry id of the n-gram ids[0…to), or -1 if it is not listed. */
  const entryOf = (ngram: ArrayLike<number>, to: number) => {
    let e = ngram[0];
    for (let j = 1; j < to && e >= 0; j++) e = build.trie!.child(e, ngram[j]);
    return e;
  };
  if (isWordIdSource(src)) {
    // Word ids are the unigrams' places, as here (a word listed twice throws): no string lookups.
    src.forEachIds((n, ngram, lp, bo) => {
      atOrder(n);
      if (n === 1) addWord(src.words[ngram[0]], lp, bo);
      else build.add(entryOf(ngram, n - 1), ngram[n - 1], lp, bo);
    });
  } else {
    const idOf = (w: string) => ids.get(w) ?? -1;
    src.forEach((n, ngram, lp, bo) => {
      atOrder(n);
      if (n === 1) addWord(ngram[0], lp, bo);
      else build.add(entryOf(ngram.map(idOf), n - 1), idOf(ngram[n - 1]), lp, bo);
    });
  }
  build.reach(order + 1, words.length);
  const trie = build.trie ?? NgramTrie.unigrams(0);
  // Only entries with children back off: the longest order's weights are never read.
  if (backoff.length > trie.withChildren) backoff = backoff.slice(0, trie.withChildren);
  return {
    order,
    words,
    ids,
    trie,
    logProb: logProb.subarray(0, trie.size),
    backoff,
    orphans: build.orphans,
  };
}

/**
 * Gathers one order's n-grams as they are visited, then adds them to the trie when the next order begins
 * (an order's prefixes must all be entries before its n-grams can be sorted under them), placing each
 * n-gram's natural-log values at its entry id.
 */
class TrieBuild {
  trie: NgramTrie | null = null;
  /** The order being gathered (1: still the unigrams). */
  order = 1;
  /** N-grams left out because a shorter n-gram they extend is missing (pruned files can have these). */
  orphans = 0;
  private prefix: Int32Array;
  private last: Int32Array;
  /** N-grams of the current order gathered so far; their values wait at entry ids from `start` on. */
  private size = 0;
  private start = 0;

  constructor(
    counts: readonly number[],
    private readonly logProb: Float32Array,
    private readonly backoff: Float32Array,
    private readonly source: string,
    private readonly spell: (ids: readonly number[]) => string[],
  ) {
    const largest = Math.max(1024, ...counts.slice(1));
    this.prefix = new Int32Array(largest);
    this.last = new Int32Array(largest);
  }

  /** Moves on to order n, adding every order gathered before it (and any order with no n-grams). */
  reach(n: number, vocabulary: number): void {
    if (n < this.order)
      throw new ArpaError(`${this.source}: a ${n}-gram is listed after the ${this.order}-grams began`);
    if (!this.trie && vocabulary > 0) {
      this.trie = NgramTrie.unigrams(vocabulary, this.logProb.length);
      this.start = vocabulary;
    }
    for (; this.order < n; this.order++) if (this.order > 1) this.flush();
  }

  /** An n-gram of the current order by its prefix's entry id (-1: not listed) and last word id (-1: unknown). */
  add(prefix: number, w: number, logProb: number, backoff: number): void {
    if (prefix < 0 || w < 0) {
      this.orphans++;
      return;
    }
    if (this.size === this.prefix.length) {
      // More than the header counted: the reader reports that when the order ends; until then, keep up.
      const widen = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.prefix = widen(this.prefix);
      this.last = widen(this.last);
    }
    this.prefix[this.size] = prefix;
    this.last[this.size] = w;
    // Values wait in input order where this order's entries will be; flush() puts them in trie order.
    this.logProb[this.start + this.size] = logProb * LN10;
    this.backoff[this.start + this.size] = backoff * LN10;
    this.size++;
  }

  private flush(): void {
    const trie = this.trie!;
    if (this.start + this.size > this.logProb.length)
      throw new ArpaError(`${this.source}: lists more n-grams than its header counts`);
    const added = trie.addOrder(this.prefix, this.last, this.size);
    if (added.repeated !== undefined) {
      const r = added.repeated;
      const ngram = this.spell([...trie.words(this.prefix[r]), this.last[r]]);
      throw new ArpaError(`${this.source}: the ${this.order}-gram "${ngram.join(' ')}" is listed twice`);
    }
    permute(this.logProb, this.backoff, this.start, added.ids);
    this.start += this.size;
    this.size = 0;
  }
}

/**
 * Moves the values at start + i to ids[i] (a permutation of start…start + n − 1), in place: each cycle of
 * the permutation is followed once, carrying one value along.
 */
function permute(a: Float32Array, b: Float32Array, start: number, ids: Int32Array): void {
  const done = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    let x = a[start + i];
    let y = b[start + i];
    for (let j = i; !done[j];) {
      done[j] = 1;
      const to = ids[j];
      const nx = a[to];
      const ny = b[to];
      a[to] = x;
      b[to] = y;
      x = nx;
      y = ny;
      j = to - start;
    }
  }
}

/**
 * A source that also gives its n-grams as word ids, a word's id being its place among the unigrams
 * (`words[id]`): a model read from a binary file has them already, and building from ids skips a string
 * lookup per word. `ids` may be reused between calls.
 */
export interface WordIdSource extends ArpaSource {
  readonly words: readonly string[];
  forEachIds(visit: (n: number, ids: ArrayLike<number>, logProb: number, backoff: number) => void): void;
}

function isWordIdSource(src: ArpaSource): src is WordIdSource {
  return 'forEachIds' in src && 'words' in src;
}
