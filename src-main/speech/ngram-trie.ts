/**
 * A forward n-gram trie in flat typed arrays, built one order at a time. Entries are numbered order by
 * order: the unigrams are the word ids 0…V−1, then the bigrams, then the trigrams…; within an order, entries
 * are grouped by their prefix's entry and sorted by their last word, so an entry's children (the n-grams
 * that extend it by one word) are one range of the next order, found by a binary search:
 *
 *   first[e] … first[e + 1]    the entries whose prefix is e (e below the longest order's first entry)
 *   word[e]                    the last word of entry e (for unigrams: e itself)
 *
 * Loading a model is then a counting sort per order: 3.8 M n-grams take a fraction of a second, where a hash
 * map needs a random write per n-gram. It also holds 8 bytes per entry instead of a hash map's 16 per slot.
 */
export class NgramTrie {
  /** Last word of each entry, by entry id. */
  private word: Int32Array;
  /** Start of each entry's children (entry ids); one more value than entries with children. */
  private first: Int32Array;
  /** First entry id of each order (orderStart[0] = 0), and the total after the last built order. */
  private readonly orderStart: number[];

  readonly vocabulary: number;

  /**
   * A trie of unigrams alone, `vocabulary` words, with room for `capacity` entries in all (more is made when
   * they come); or one from stored arrays (see `fromArrays`).
   */
  private constructor(init: number | NgramTrieArrays, capacity = 0) {
    if (typeof init !== 'number') {
      ({ vocabulary: this.vocabulary, word: this.word, first: this.first } = init);
      this.orderStart = [...init.orderStart];
      return;
    }
    this.vocabulary = init;
    this.word = new Int32Array(Math.max(init, capacity));
    for (let w = 0; w < init; w++) this.word[w] = w;
    this.first = new Int32Array(init + 1).fill(init);
    this.orderStart = [0, init];
  }

  /** The unigrams of `vocabulary` words, with room for `capacity` entries in all. */
  static unigrams(vocabulary: number, capacity = vocabulary): NgramTrie {
    return new NgramTrie(vocabulary, capacity);
  }

  /** The arrays a snapshot stores (views, not copies). */
  arrays(): NgramTrieArrays {
    return {
      vocabulary: this.vocabulary,
      word: this.word.subarray(0, this.size),
      first: this.first,
      orderStart: [...this.orderStart],
    };
  }

  /** A trie from stored arrays, checked so that no lookup can leave them (a damaged snapshot is refused). */
  static fromArrays(a: NgramTrieArrays): NgramTrie {
    const { vocabulary, word, first, orderStart } = a;
    const orders = orderStart.length - 1;
    const fail = (what: string): never => {
      throw new Error(`n-gram trie: ${what}`);
    };
    if (orders < 1 || orderStart[0] !== 0 || orderStart[1] !== vocabulary) fail('bad order starts');
    for (let n = 1; n < orders; n++) if (orderStart[n + 1] < orderStart[n]) fail('order starts out of order');
    if (word.length !== orderStart[orders])
      fail(`${word.length} entries, the orders hold ${orderStart[orders]}`);
    // Ranges cover every order but the last; a model of unigrams alone has empty ones.
    if (first.length !== orderStart[Math.max(orders - 1, 1)] + 1)
      fail('child ranges do not match the orders');
    for (let n = 1; n < orders; n++) {
      // Entries of order n have their children in order n + 1, ranges ascending.
      if (first[orderStart[n - 1]] !== orderStart[n] || first[orderStart[n]] !== orderStart[n + 1])
        fail(`the children of order ${n} are not order ${n + 1}`);
      for (let e = orderStart[n - 1]; e < orderStart[n]; e++)
        if (first[e + 1] < first[e]) fail(`child ranges of order ${n} out of order at entry ${e}`);
    }
    for (let e = 0; e < word.length; e++)
      if (word[e] < 0 || word[e] >= vocabulary) fail(`entry ${e} has word id ${word[e]}`);
    if (orders === 1 && first.some((f) => f !== vocabulary)) fail('unigrams alone have children');
    return new NgramTrie(a);
  }

  /** Orders built so far. */
  get order(): number {
    return this.orderStart.length - 1;
  }

  /** Entries that can have children: every order's but the last built one's (those back off). */
  get withChildren(): number {
    return this.first.length - 1;
  }

  /** Entries built so far (all orders). */
  get size(): number {
    return this.orderStart[this.orderStart.length - 1];
  }

  /** The entry that extends `entry` by word `w`, or -1 (also when `entry` is of the last built order). */
  child(entry: number, w: number): number {
    if (entry + 1 >= this.first.length) return -1;
    let lo = this.first[entry];
    let hi = this.first[entry + 1];
    const word = this.word;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = word[mid];
      if (m === w) return mid;
      if (m < w) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /**
   * Adds the next order: `count` n-grams given as (prefix entry, last word), the prefix an entry of the
   * order built last. Returns each n-gram's entry id (input order), or the input index of an n-gram that
   * repeats an earlier one (`{ repeated }`), in which case nothing is added.
   */
  addOrder(
    prefix: Int32Array,
    last: Int32Array,
    count: number,
  ): { ids: Int32Array; repeated?: undefined } | { ids?: undefined; repeated: number } {
    const base = this.orderStart[this.order - 1];
    const parents = this.size - base;
    const start = this.size;
    // Counting sort by prefix (stable): rows[k] is the input index of the n-gram placed k-th.
    const begin = new Int32Array(parents + 1);
    for (let i = 0; i < count; i++) begin[prefix[i] - base + 1]++;
    for (let p = 0; p < parents; p++) begin[p + 1] += begin[p];
    const fill = begin.slice(0, parents);
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[fill[prefix[i] - base]++] = i;
    // Within a prefix, by word: already so when the source was sorted (nearly every file is).
    for (let p = 0; p < parents; p++) {
      const from = begin[p];
      const to = begin[p + 1];
      let sorted = true;
      for (let k = from + 1; k < to && sorted; k++) sorted = last[rows[k - 1]] < last[rows[k]];
      if (sorted) continue;
      rows.subarray(from, to).sort((a, b) => last[a] - last[b] || a - b);
      for (let k = from + 1; k < to; k++)
        if (last[rows[k - 1]] === last[rows[k]]) return { repeated: rows[k] };
    }
    const ids = new Int32Array(count);
    const word = this.word.length >= start + count ? this.word : grow(this.word, 2 * (start + count));
    for (let k = 0; k < count; k++) {
      ids[rows[k]] = start + k;
      word[start + k] = last[rows[k]];
    }
    // The previous order's entries now have children: their ranges, in entry ids.
    const first = grow(this.first, start + 1);
    for (let p = 0; p <= parents; p++) first[base + p] = start + begin[p];
    this.word = word;
    this.first = first;
    this.orderStart.push(start + count);
    return { ids };
  }

  /** The words of an entry, oldest first (for messages: it searches each parent). */
  words(entry: number): number[] {
    const out: number[] = [];
    let e = entry;
    for (let n = this.orderOf(e); n > 1; n--) {
      out.unshift(this.word[e]);
      e = this.parentOf(e, n);
    }
    out.unshift(e);
    return out;
  }

  /** The order (1-based) an entry belongs to. */
  private orderOf(entry: number): number {
    let n = 1;
    while (entry >= this.orderStart[n]) n++;
    return n;
  }

  /** The prefix of an entry of order n ≥ 2: the previous-order entry whose children range holds it. */
  private parentOf(entry: number, n: number): number {
    let lo = this.orderStart[n - 2];
    let hi = this.orderStart[n - 1] - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.first[mid] <= entry) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** A trie's arrays as stored: what `NgramTrie.arrays` gives and `NgramTrie.fromArrays` takes. */
export interface NgramTrieArrays {
  vocabulary: number;
  word: Int32Array;
  first: Int32Array;
  orderStart: number[];
}

/** A copy `size` long (or the array itself when it is that long already). */
function grow(a: Int32Array, size: number): Int32Array {
  if (a.length === size) return a;
  const b = new Int32Array(size);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}
