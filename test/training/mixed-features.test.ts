import { describe, expect, it } from 'vitest';
import { MixedFeatures } from '../../src-main/training/mixed-features.js';
import { MemoryFeatures } from '../../src-main/training/memory-features.js';

const corpus = (name: string, n: number, bins = 2) =>
  new MemoryFeatures(
    bins,
    Array.from({ length: n }, (_, i) => ({
      id: `${name}-1-${i}`,
      speaker: name,
      text: 'a',
      frames: 1,
      data: Float32Array.from({ length: bins }, () => i),
    })),
  );

describe('MixedFeatures', () => {
  it('lists every part, repeated parts as many times as asked, each item read from its own part', () => {
    const mix = new MixedFeatures([
      { source: corpus('synth', 3), repeat: 1 },
      { source: corpus('real', 2), repeat: 3 },
    ]);
    expect(mix.items.map((it) => it.id)).toEqual([
      'synth-1-0',
      'synth-1-1',
      'synth-1-2',
      ...Array(3).fill(['real-1-0', 'real-1-1']).flat(),
    ]);
    expect(Array.from(mix.features(1))).toEqual([1, 1]);
    expect(Array.from(mix.features(8))).toEqual([1, 1]);
    expect(mix.bins).toBe(2);
  });

  it('refuses parts with other features, bad repeat counts and an empty mix', () => {
    expect(() => new MixedFeatures([])).toThrow(/at least one/);
    expect(() => new MixedFeatures([{ source: corpus('a', 1), repeat: 1.5 }])).toThrow(/whole number/);
    expect(
      () =>
        new MixedFeatures([
          { source: corpus('a', 1), repeat: 1 },
          { source: corpus('b', 1, 3), repeat: 1 },
        ]),
    ).toThrow(/3 bins beside 2/);
  });
});
