// Weight-space interpolation between a model and its fine-tuned copy: exact end points, the straight line
// between them, frozen weights untouched, and a clear error when the two models do not match.
import { describe, expect, it } from 'vitest';
import { initParams } from '../../src-main/model/acoustic.js';
import type { ModelFolder } from '../../src-main/model/checkpoint.js';
import { interpolateWeights } from '../../src-main/model/interpolate.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { TINY_CONFIG } from './tiny-model.js';

function folder(seed: number, version: string): ModelFolder {
  const F = TINY_CONFIG.featureBins;
  return {
    acoustic: TINY_CONFIG,
    features: DEFAULT_FEATURES,
    stats: { mean: new Float32Array(F), std: new Float32Array(F).fill(1) },
    alphabet: englishAlphabet(),
    weights: initParams(TINY_CONFIG, seed),
    info: { version },
  };
}

describe('interpolateWeights', () => {
  const parent = folder(1, 'base');
  const tuned = folder(2, 'personal 1');
  // A frozen layer: the fine-tuned model kept the parent's values.
  tuned.weights.set('head.bias', Float32Array.from(parent.weights.get('head.bias')!));

  it('gives the starting model at 0, the fine-tuned one at 1, and the straight line between', () => {
    const at0 = interpolateWeights(parent, tuned, 0);
    const at1 = interpolateWeights(parent, tuned, 1);
    const mid = interpolateWeights(parent, tuned, 0.8);
    for (const [name, b] of tuned.weights) {
      const a = parent.weights.get(name)!;
      expect(at0.weights.get(name), name).toEqual(a);
      expect(at1.weights.get(name), name).toEqual(b);
      const m = mid.weights.get(name)!;
      for (let i = 0; i < m.length; i += 97) expect(m[i]).toBeCloseTo(0.2 * a[i] + 0.8 * b[i], 6);
    }
    // Everything but the weights is the fine-tuned model's; the inputs are not modified.
    expect(mid.info.version).toBe('personal 1');
    expect(tuned.weights.get('head.bias')).toEqual(parent.weights.get('head.bias'));
  });

  it('leaves weights the fine-tuning did not change bit-identical', () => {
    const mid = interpolateWeights(parent, tuned, 0.37);
    expect(mid.weights.get('head.bias')).toEqual(parent.weights.get('head.bias'));
  });

  it('refuses a share outside 0..1 and models that do not match, naming the problem', () => {
    expect(() => interpolateWeights(parent, tuned, 1.5)).toThrow(/share 1.5 must be in 0..1/);
    expect(() => interpolateWeights(parent, tuned, NaN)).toThrow(/share NaN/);
    const wider = { ...tuned, acoustic: { ...TINY_CONFIG, channels: 32 } };
    expect(() => interpolateWeights(parent, wider, 0.5)).toThrow(/different architectures/);
    const missing = { ...parent, weights: new Map(parent.weights) };
    missing.weights.delete('head.weight');
    expect(() => interpolateWeights(missing, tuned, 0.5)).toThrow(/weight head.weight is missing/);
    const short = { ...parent, weights: new Map(parent.weights) };
    short.weights.set('head.bias', new Float32Array(3));
    expect(() => interpolateWeights(short, tuned, 0.5)).toThrow(/head.bias has 3 values in one model/);
  });
});
