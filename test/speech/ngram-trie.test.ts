import { describe, expect, it } from 'vitest';
import { NgramTrie } from '../../src-main/speech/ngram-trie.js';

/** Bigrams of 5 words given out of order: (prefix word, last word). */
const BIGRAMS: [number, number][] = [
  [3, 1],
  [0, 4],
  [3, 0],
  [0, 2],
  [1, 1],
];

function twoOrders(): { trie: NgramTrie; ids: Int32Array } {
  const trie = NgramTrie.unigrams(5);
  const added = trie.addOrder(
    Int32Array.from(BIGRAMS, (b) => b[0]),
    Int32Array.from(BIGRAMS, (b) => b[1]),
    BIGRAMS.length,
  );
  return { trie, ids: added.ids! };
}

describe('NgramTrie', () => {
  it('numbers an order by prefix then word, and finds each n-gram from its prefix', () => {
    const { trie, ids } = twoOrders();
    // Sorted: (0,2) (0,4) (1,1) (3,0) (3,1) → entries 5…9.
    expect(Array.from(ids)).toEqual([9, 6, 8, 5, 7]);
    BIGRAMS.forEach(([p, w], i) => expect(trie.child(p, w)).toBe(ids[i]));
    expect(trie.child(0, 3)).toBe(-1);
    expect(trie.child(2, 0)).toBe(-1); // a word with no bigrams
    expect(trie.child(9, 0)).toBe(-1); // the last order has no children
    expect(trie.words(7)).toEqual([1, 1]);
    expect(trie.words(8)).toEqual([3, 0]);
    expect(trie.size).toBe(10);
    expect(trie.withChildren).toBe(5);
  });

  it('adds a third order under the bigrams and spells its entries back', () => {
    const { trie } = twoOrders();
    const prefixes = Int32Array.of(trie.child(3, 1), trie.child(0, 4), trie.child(3, 1));
    const added = trie.addOrder(prefixes, Int32Array.of(4, 0, 2), 3);
    const [a, b, c] = Array.from(added.ids!);
    expect(trie.child(trie.child(3, 1), 4)).toBe(a);
    expect(trie.child(trie.child(0, 4), 0)).toBe(b);
    expect(trie.words(c)).toEqual([3, 1, 2]);
    expect(trie.words(a)).toEqual([3, 1, 4]);
    expect(trie.withChildren).toBe(10);
  });

  it('reports an n-gram given twice and adds nothing', () => {
    const trie = NgramTrie.unigrams(3);
    const r = trie.addOrder(Int32Array.of(1, 0, 1), Int32Array.of(2, 1, 2), 3);
    expect(r.repeated).toBe(2);
    expect(trie.order).toBe(1);
  });

  it('round-trips through its arrays and refuses damaged ones', () => {
    const { trie } = twoOrders();
    const copy = NgramTrie.fromArrays(trie.arrays());
    for (let p = 0; p < 5; p++) for (let w = 0; w < 5; w++) expect(copy.child(p, w)).toBe(trie.child(p, w));
    const damaged = (change: (a: ReturnType<NgramTrie['arrays']>) => void) => {
      const a = trie.arrays();
      const b = { ...a, word: a.word.slice(), first: a.first.slice(), orderStart: [...a.orderStart] };
      change(b);
      return () => NgramTrie.fromArrays(b);
    };
    expect(damaged((a) => (a.word[7] = 5))).toThrow(/entry 7 has word id 5/);
    expect(damaged((a) => (a.first[2] = 9))).toThrow(/out of order/);
    expect(damaged((a) => (a.word = a.word.subarray(0, 9)))).toThrow(/9 entries/);
    expect(damaged((a) => (a.orderStart[1] = 4))).toThrow(/order starts/);
  });
});
