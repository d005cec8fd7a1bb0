import { describe, expect, it } from 'vitest';
import { splitHeldOut } from '../../src-main/training/holdout.js';

const items = Array.from({ length: 10 }, (_, i) => i);

describe('splitHeldOut', () => {
  it('holds back one in five, never training on what it holds back', () => {
    const { train, heldOut } = splitHeldOut(items, 0, { heldOutFraction: 0.2, minHeldOut: 1 });
    expect(heldOut).toEqual([0, 5]);
    expect(train).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
  });

  it('rotates the held-back positions with the round and covers every position over k rounds', () => {
    const seen = new Set<number>();
    const splits = [0, 1, 2, 3, 4].map((round) => splitHeldOut(items, round).heldOut);
    for (const held of splits) {
      expect(held).toHaveLength(2);
      held.forEach((i) => seen.add(i));
    }
    expect(new Set(splits.map((h) => h.join(','))).size).toBe(5);
    expect([...seen].sort((a, b) => a - b)).toEqual(items);
    expect(splitHeldOut(items, 5).heldOut).toEqual(splits[0]);
  });

  it('holds back at least minHeldOut but always leaves one item to train on', () => {
    expect(splitHeldOut([1, 2, 3], 1, { heldOutFraction: 0.2, minHeldOut: 1 })).toEqual({
      train: [1, 2],
      heldOut: [3],
    });
    expect(splitHeldOut([1, 2], 0, { heldOutFraction: 0.2, minHeldOut: 5 })).toEqual({
      train: [2],
      heldOut: [1],
    });
    expect(splitHeldOut([7], 0)).toEqual({ train: [7], heldOut: [] });
    expect(splitHeldOut([], 3)).toEqual({ train: [], heldOut: [] });
    expect(() => splitHeldOut(items, 0, { heldOutFraction: 1, minHeldOut: 1 })).toThrow(/heldOutFraction/);
  });
});
