// Length-bucketed batching and the seeded per-epoch order.
import { describe, expect, it } from 'vitest';
import {
  type BatchConfig,
  DEFAULT_BATCHES,
  epochOrder,
  makeBatches,
  seededRandom,
} from '../../src-main/training/batches.js';
import { seeded } from './helpers-tf.js';

/** Utterance lengths like a corpus's: mostly 1–15 s, some empty, some too long. */
function corpus(n: number, seed: number): number[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.03) return 0;
    if (r < 0.06) return 2000 + Math.floor(rand() * 1000);
    return 100 + Math.floor(rand() * 1500);
  });
}

describe('makeBatches', () => {
  const cfgs: BatchConfig[] = [
    DEFAULT_BATCHES,
    { maxFrames: 3000, maxUtterances: 4, maxUtteranceFrames: 1800 },
    { maxFrames: 500, maxUtterances: 100, maxUtteranceFrames: 2500 }, // some items alone exceed maxFrames
  ];

  it.each(cfgs)('puts every usable item in exactly one batch within the bounds (%j)', (cfg) => {
    const frames = corpus(700, 3);
    const { batches, dropped } = makeBatches(frames, cfg);
    const usable = frames.map((f, i) => [f, i]).filter(([f]) => f > 0 && f <= cfg.maxUtteranceFrames);
    expect(dropped).toBe(frames.length - usable.length);
    expect(dropped).toBeGreaterThan(0);
    const seen = batches.flat().sort((a, b) => a - b);
    expect(seen).toEqual(usable.map(([, i]) => i));
    for (const b of batches) {
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThanOrEqual(cfg.maxUtterances);
      const longest = Math.max(...b.map((i) => frames[i]));
      // Padded frames stay within the budget, unless one utterance alone is over it.
      if (b.length > 1) expect(longest * b.length).toBeLessThanOrEqual(cfg.maxFrames);
    }
  });

  it('buckets by length: batches cover disjoint, increasing length ranges', () => {
    const frames = corpus(500, 4);
    const { batches } = makeBatches(frames, DEFAULT_BATCHES);
    for (let k = 1; k < batches.length; k++) {
      const prevMax = Math.max(...batches[k - 1].map((i) => frames[i]));
      const curMin = Math.min(...batches[k].map((i) => frames[i]));
      expect(curMin).toBeGreaterThanOrEqual(prevMax);
    }
    // Similar lengths share a batch, so little of each batch is padding.
    let padded = 0;
    let real = 0;
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => frames[i]));
      padded += longest * b.length;
      real += b.reduce((s, i) => s + frames[i], 0);
    }
    expect(real / padded).toBeGreaterThan(0.9);
  });

  it('is deterministic, and handles an empty or all-unusable corpus', () => {
    const frames = corpus(200, 5);
    expect(makeBatches(frames, DEFAULT_BATCHES)).toEqual(makeBatches(frames, DEFAULT_BATCHES));
    expect(makeBatches([], DEFAULT_BATCHES)).toEqual({ batches: [], dropped: 0 });
    expect(makeBatches([0, 0, 99999], DEFAULT_BATCHES)).toEqual({ batches: [], dropped: 3 });
  });
});

describe('epochOrder', () => {
  const { batches } = makeBatches(corpus(400, 6), DEFAULT_BATCHES);

  it('is a permutation of the batches, deterministic per (seed, epoch)', () => {
    const a = epochOrder(batches, 7, 3);
    expect(a).toEqual(epochOrder(batches, 7, 3));
    const key = (bs: number[][]) => bs.map((b) => [...b].sort((x, y) => x - y).join(',')).sort();
    expect(key(a)).toEqual(key(batches));
    // The input is not modified.
    expect(batches).toEqual(makeBatches(corpus(400, 6), DEFAULT_BATCHES).batches);
  });

  it('differs between epochs and between seeds', () => {
    const first = (bs: number[][]) => JSON.stringify(bs);
    const orders = new Set<string>();
    for (let epoch = 0; epoch < 10; epoch++) orders.add(first(epochOrder(batches, 7, epoch)));
    expect(orders.size).toBe(10);
    expect(first(epochOrder(batches, 8, 0))).not.toBe(first(epochOrder(batches, 7, 0)));
    // The shuffle is not the identity.
    expect(first(epochOrder(batches, 7, 0))).not.toBe(first(batches));
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for a seed, in [0, 1), spread evenly', () => {
    const a = seededRandom(12);
    const b = seededRandom(12);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 100)).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.02);
    expect(seededRandom(13)()).not.toBe(seededRandom(12)());
  });
});
