/**
 * Counts of every n-gram (up to a maximum order) in a set of token sequences, as a trie: node = an n-gram,
 * its parent = the n-gram without its last token, the root = the empty n-gram. One walk from each start
 * position counts all the n-grams that start there, so counting costs (max order) steps per token.
 *
 * Children are found through one open-addressing hash table keyed by (parent, token) over flat typed
 * arrays: a dictionary's graphone sequences make millions of nodes, and a JavaScript Map per node or
 * composite numeric keys would cost several times the memory and time.
 */
export class NgramCountTrie {
  /** Number of nodes, the root included. */
  size = 1;
  parent = new Int32Array(1024).fill(-1);
  token = new Uint16Array(1024);
  count = new Int32Array(1024);
  order = new Uint8Array(1024);
  private table = new Int32Array(2048).fill(-1);

  constructor(
    readonly vocabSize: number,
    readonly maxOrder: number,
  ) {
    if (!(Number.isInteger(maxOrder) && maxOrder >= 1 && maxOrder <= 255))
      throw new RangeError(`n-gram order must be a whole number from 1 to 255, not ${maxOrder}`);
    if (!(Number.isInteger(vocabSize) && vocabSize >= 1 && vocabSize <= 65536))
      throw new RangeError(`vocabulary size must be from 1 to 65536, not ${vocabSize}`);
  }

  /** Counts each n-gram of the sequence, of orders 1 … maxOrder. */
  addSequence(tokens: ArrayLike<number>): void {
    for (let start = 0; start < tokens.length; start++) {
      let node = 0;
      const end = Math.min(tokens.length, start + this.maxOrder);
      for (let k = start; k < end; k++) {
        node = this.childOrAdd(node, tokens[k]);
        this.count[node]++;
      }
    }
  }

  /** The node of `parent` extended by `token`, or −1. */
  child(parent: number, token: number): number {
    const mask = this.table.length - 1;
    for (let h = hash(parent, token) & mask; ; h = (h + 1) & mask) {
      const n = this.table[h];
      if (n < 0) return -1;
      if (this.parent[n] === parent && this.token[n] === token) return n;
    }
  }

  private childOrAdd(parent: number, token: number): number {
    const mask = this.table.length - 1;
    let h = hash(parent, token) & mask;
    for (; ; h = (h + 1) & mask) {
      const n = this.table[h];
      if (n < 0) break;
      if (this.parent[n] === parent && this.token[n] === token) return n;
    }
    if (token < 0 || token >= this.vocabSize)
      throw new RangeError(`token ${token} is outside the vocabulary`);
    const n = this.size++;
    if (n === this.parent.length) this.grow();
    this.parent[n] = parent;
    this.token[n] = token;
    this.order[n] = this.order[parent] + 1;
    this.table[h] = n;
    if (this.size * 2 > this.table.length) this.rehash();
    return n;
  }

  private grow(): void {
    const n = this.parent.length * 2;
    const parent = new Int32Array(n).fill(-1);
    parent.set(this.parent);
    this.parent = parent;
    this.token = resized(this.token, n);
    this.count = resized(this.count, n);
    this.order = resized(this.order, n);
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let n = 1; n < this.size; n++) {
      let h = hash(this.parent[n], this.token[n]) & mask;
      while (table[h] >= 0) h = (h + 1) & mask;
      table[h] = n;
    }
    this.table = table;
  }

  /**
   * Each node's suffix: the node of the n-gram without its first token (the root for unigrams). Every
   * suffix of a counted n-gram was itself counted (from the next start position), so it always exists.
   * Nodes are visited by increasing order, so a parent's suffix is known before its children need it.
   */
  suffixLinks(): Int32Array {
    const suffix = new Int32Array(this.size);
    for (const n of this.byOrder()) {
      if (n === 0) continue;
      const p = this.parent[n];
      suffix[n] = p === 0 ? 0 : this.child(suffix[p], this.token[n]);
    }
    return suffix;
  }

  /** Node numbers sorted by order (root first), stable within an order. */
  byOrder(): Int32Array {
    const starts = new Int32Array(this.maxOrder + 2);
    for (let n = 0; n < this.size; n++) starts[this.order[n] + 1]++;
    for (let o = 1; o < starts.length; o++) starts[o] += starts[o - 1];
    const out = new Int32Array(this.size);
    for (let n = 0; n < this.size; n++) out[starts[this.order[n]]++] = n;
    return out;
  }
}

function hash(parent: number, token: number): number {
  return Math.imul(parent ^ Math.imul(token, 0x9e3779b1), 0x85ebca6b) ^ (parent >>> 13);
}

function resized<T extends Uint8Array | Uint16Array | Int32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
