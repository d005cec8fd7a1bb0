import { describe, expect, it } from 'vitest';
import { NgramIndex, WORDS } from '../../src-main/speech/ngram-index.js';

describe('NgramIndex', () => {
  it('stores and finds (context, word) keys, refusing a key twice', () => {
    const index = new NgramIndex(4);
    expect(index.add(0, 5, 10)).toBe(true);
    expect(index.add(5, 0, 11)).toBe(true);
    expect(index.add(0, 5, 12)).toBe(false);
    expect(index.get(0, 5)).toBe(10);
    expect(index.get(5, 0)).toBe(11);
    expect(index.get(5, 5)).toBe(-1);
    expect(index.size).toBe(2);
  });

  it('grows past its expected size and keeps large context ids exact', () => {
    const index = new NgramIndex(2);
    const big = 40_000_000; // context × 2^21 + word is far above 2^32
    for (let i = 0; i < 5000; i++) expect(index.add(big + i, (i * 7919) % (WORDS - 1), i)).toBe(true);
    expect(index.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(index.get(big + i, (i * 7919) % (WORDS - 1))).toBe(i);
    expect(index.get(big, 1)).toBe(-1);
  });
});
