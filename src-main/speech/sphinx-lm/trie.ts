// The n-gram trie of a sphinx model (the layout KenLM calls a reversed trie): it is entered at the
// predicted word and walks back through its history, most recent word first.
//
//   unigram w            →  range [next(w), next(w + 1)) in the 2-gram array
//   2-gram entry (v)     =  the bigram "v w":   P(w | v), bow(v w), range in the 3-gram array
//   3-gram entry (u)     =  the trigram "u v w": P(w | u v) (and bow(u v w) if 3 is a middle order)
//
// A middle entry packs, from its first bit: word id, back-off index (16 bits), probability index (16 bits),
// start of its range in the next array; a longest-order entry: word id, probability index. Bits are numbered
// from the least significant bit of each little-endian byte, so a field at bit b is read as a 32-bit
// little-endian load at byte b / 8 shifted right by b mod 8. Within a range, word ids ascend (nearly
// always: see TrieCheck.outOfOrder).

import { type SphinxLmLayout, SphinxLmError, QUANT_BITS } from './layout.js';
import type { QuantTables } from './quantisation.js';

const QUANT_MASK = (1 << QUANT_BITS) - 1;

/** One order's bit-packed array, read in place. */
export class BitPackedArray {
  private readonly wordMask: number;
  private readonly nextMask: number;
  /** Bit offsets of the fields within an entry. */
  private readonly valuesAt: number;
  private readonly nextAt: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly offset: number,
    private readonly entryBits: number,
    wordBits: number,
    nextBits: number,
  ) {
    this.wordMask = 2 ** wordBits - 1;
    this.nextMask = 2 ** nextBits - 1;
    this.valuesAt = wordBits;
    this.nextAt = entryBits - nextBits;
  }

  /** The `mask`-wide field at `bit` of the array (fields are at most 25 bits, so one 32-bit load holds it). */
  private field(bit: number, mask: number): number {
    const b = this.bytes;
    const i = this.offset + Math.floor(bit / 8);
    const word = (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> (bit % 8);
    return (word & mask) >>> 0;
  }

  word(entry: number): number {
    return this.field(entry * this.entryBits, this.wordMask);
  }

  /** Quantised back-off index (middle orders). */
  backoffIndex(entry: number): number {
    return this.field(entry * this.entryBits + this.valuesAt, QUANT_MASK);
  }

  /** Quantised probability index: after the back-off index in a middle order, right after the word otherwise. */
  probIndex(entry: number, middle: boolean): number {
    return this.field(entry * this.entryBits + this.valuesAt + (middle ? QUANT_BITS : 0), QUANT_MASK);
  }

  /** Start of this entry's range in the next order's array (its end is the next entry's start). */
  next(entry: number): number {
    return this.field(entry * this.entryBits + this.nextAt, this.nextMask);
  }
}

/** Unigram values and pointers, copied out of the file (12-byte records). */
export interface Unigrams {
  prob: Float32Array;
  backoff: Float32Array;
  /** counts[0] + 1 values: the sentinel's ends the last word's range. */
  next: Uint32Array;
}

export function readUnigrams(bytes: Uint8Array, layout: SphinxLmLayout): Unigrams {
  const n = layout.declared[0];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u: Unigrams = {
    prob: new Float32Array(n),
    backoff: new Float32Array(n),
    next: new Uint32Array(n + 1),
  };
  for (let w = 0, at = layout.unigramOffset; w <= n; w++, at += 12) {
    if (w < n) {
      u.prob[w] = view.getFloat32(at, true);
      u.backoff[w] = view.getFloat32(at + 4, true);
    }
    u.next[w] = view.getUint32(at + 8, true);
  }
  return u;
}

export function bitPackedArrays(bytes: Uint8Array, layout: SphinxLmLayout): BitPackedArray[] {
  return layout.arrays.map(
    (a) => new BitPackedArray(bytes, a.offset, a.entryBits, layout.wordBits, a.nextBits),
  );
}

export interface TrieCheck {
  /** Per order, the entries the unigrams reach: [first, end). */
  ranges: [number, number][];
  /**
   * Entries whose word id is below the one before it in the same context. Sphinx's own search (which
   * assumes ascending ids) may miss them; en-us.lm.bin has 2 among 1.67 M trigrams. They are still n-grams
   * of the model and are read like the rest.
   */
  outOfOrder: number;
}

/**
 * Checks every reachable entry (word ids in range and not repeated within a context, ranges in order and
 * inside the next array) and finds, per order, the range of entries the unigrams reach. Sphinx's builder
 * may count a few more n-grams than it stores (when it adds contexts the model lacked): the header's counts
 * size the arrays, and the unreached rest is left empty and is not part of the model.
 */
export function checkTrie(
  layout: SphinxLmLayout,
  unigrams: Unigrams,
  arrays: BitPackedArray[],
  source: string,
): TrieCheck {
  const { declared, order } = layout;
  const vocabulary = declared[0];
  const fail = (what: string): never => {
    throw new SphinxLmError(`${source}: ${what}`);
  };
  const ranges: [number, number][] = [[0, vocabulary]];
  let outOfOrder = 0;
  // The parents of order n's entries: unigrams for n = 2, the order n − 1 array above.
  let start = (p: number) => unigrams.next[p];
  for (let n = 2; n <= order; n++) {
    const [from, to] = ranges[n - 2];
    const array = arrays[n - 2];
    const size = declared[n - 1];
    for (let p = from; p < to; p++) {
      const begin = start(p);
      const end = start(p + 1);
      if (begin > end || end > size) {
        fail(
          `the ${n}-gram range of ${n === 2 ? `word ${p}` : `${n - 1}-gram entry ${p}`} is [${begin}, ${end}), ` +
            `outside the ${size} ${n}-grams the header counts (damaged file or counts)`,
        );
      }
      let previous = -1;
      for (let e = begin; e < end; e++) {
        const w = array.word(e);
        if (w >= vocabulary)
          fail(`${n}-gram entry ${e} has word id ${w}, out of range (the model has ${vocabulary} words)`);
        if (w === previous) fail(`${n}-gram entry ${e} repeats word id ${w} in the same context`);
        if (w < previous) outOfOrder++;
        previous = w;
      }
    }
    ranges.push([start(from), start(to)]);
    start = (p: number) => array.next(p);
  }
  return { ranges, outOfOrder };
}

/** Visits the n-grams of one order: word ids oldest first, stored probability and back-off (0 for the longest). */
export type StoredNgramVisitor = (ids: Int32Array, prob: number, backoff: number) => void;

/**
 * Walks every reachable n-gram of order n (≥ 2), context by context. `ids` is reused between calls.
 */
export function forEachStoredNgram(
  n: number,
  layout: SphinxLmLayout,
  unigrams: Unigrams,
  arrays: BitPackedArray[],
  quant: QuantTables,
  visit: StoredNgramVisitor,
): void {
  const ids = new Int32Array(n);
  const middle = n < layout.order;
  const probs = quant.prob[n - 2];
  const backoffs = middle ? quant.backoff[n - 2] : null;
  // depth d: the array of (d + 2)-grams; ids[n − 1 − d − 1] is the word its entries add to the history.
  const walk = (d: number, begin: number, end: number) => {
    const array = arrays[d];
    const slot = n - 2 - d;
    if (d === n - 2) {
      for (let e = begin; e < end; e++) {
        ids[slot] = array.word(e);
        const bo = backoffs ? backoffs[array.backoffIndex(e)] : 0;
        visit(ids, probs[array.probIndex(e, middle)], bo);
      }
      return;
    }
    for (let e = begin; e < end; e++) {
      const next = array.next(e);
      const after = array.next(e + 1);
      if (next === after) continue;
      ids[slot] = array.word(e);
      walk(d + 1, next, after);
    }
  };
  for (let w = 0; w < layout.declared[0]; w++) {
    const begin = unigrams.next[w];
    const end = unigrams.next[w + 1];
    if (begin === end) continue;
    ids[n - 1] = w;
    walk(0, begin, end);
  }
}

/**
 * Finds `word` among entries [begin, end) of an array, -1 if absent: a binary search (ids ascend), then,
 * if the trie has entries out of order, a scan.
 */
export function findEntry(
  array: BitPackedArray,
  begin: number,
  end: number,
  word: number,
  outOfOrder: boolean,
): number {
  let lo = begin;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const w = array.word(mid);
    if (w === word) return mid;
    if (w < word) lo = mid + 1;
    else hi = mid;
  }
  if (outOfOrder) for (let e = begin; e < end; e++) if (array.word(e) === word) return e;
  return -1;
}
