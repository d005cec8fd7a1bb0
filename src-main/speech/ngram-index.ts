/**
 * A hash map from (context entry id, word id) to an entry id, in typed arrays with open addressing and
 * linear probing. A JavaScript Map holding a few million n-grams costs ~100 bytes each (its keys above
 * 2^31 are boxed numbers) and seconds to fill; this costs 12 bytes a slot, at most 3/4 of them used.
 */
export class NgramIndex {
  /** context × 2^21 + word, exact in a double; -1 marks an empty slot. */
  private keys: Float64Array;
  private values: Int32Array;
  private used = 0;

  /** Room for `expected` keys without growing. */
  constructor(expected: number) {
    const slots = Math.max(16, Math.ceil(expected / MAX_LOAD) + 1);
    this.keys = new Float64Array(slots).fill(-1);
    this.values = new Int32Array(slots);
  }

  get size(): number {
    return this.used;
  }

  /** The value stored for (context, word), or -1. */
  get(context: number, word: number): number {
    const keys = this.keys;
    const key = context * WORDS + word;
    for (let s = slotOf(context, word, keys.length); ; s = s + 1 === keys.length ? 0 : s + 1) {
      const k = keys[s];
      if (k === key) return this.values[s];
      if (k === -1) return -1;
    }
  }

  /** Stores a value for a new key; false (and nothing stored) if the key is there already. */
  add(context: number, word: number, value: number): boolean {
    if (this.used + 1 > this.keys.length * MAX_LOAD) this.grow();
    const keys = this.keys;
    const key = context * WORDS + word;
    let s = slotOf(context, word, keys.length);
    for (; keys[s] !== -1; s = s + 1 === keys.length ? 0 : s + 1) if (keys[s] === key) return false;
    keys[s] = key;
    this.values[s] = value;
    this.used++;
    return true;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    this.used = 0;
    for (let s = 0; s < keys.length; s++) {
      if (keys[s] === -1) continue;
      const word = keys[s] % WORDS;
      this.add((keys[s] - word) / WORDS, word, values[s]);
    }
  }
}

/** Word ids are below this (2^21: two million words), so a key packs (context, word) exactly. */
export const WORDS = 2 ** 21;
const MAX_LOAD = 0.75;

/** A well-mixed slot for (context, word): consecutive ids must not land in consecutive slots. */
function slotOf(context: number, word: number, slots: number): number {
  let h = Math.imul(context | 0, 0x9e3779b1) ^ Math.imul(word ^ 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return (h >>> 0) % slots;
}
