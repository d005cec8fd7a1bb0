import type { ModelFolder } from './checkpoint.js';

/**
 * A point on the straight line between two models of the same shape, in weight space:
 * from + share · (to − from). Fine-tuning uses it to keep part of what it changed (share 0.8 keeps 80%):
 * interpolating a fine-tuned model back towards its parent keeps most of what it learnt and forgets less
 * (weight-space ensembling, as WiSE-FT). Everything but the weights (features, statistics, alphabet,
 * info) comes from `to`.
 */
export function interpolateWeights(from: ModelFolder, to: ModelFolder, share: number): ModelFolder {
  if (!(share >= 0 && share <= 1)) throw new Error(`interpolateWeights: share ${share} must be in 0..1`);
  if (JSON.stringify(from.acoustic) !== JSON.stringify(to.acoustic))
    throw new Error('interpolateWeights: the two models have different architectures');
  const weights = new Map<string, Float32Array>();
  for (const [name, b] of to.weights) {
    const a = from.weights.get(name);
    if (!a) throw new Error(`interpolateWeights: weight ${name} is missing from the starting model`);
    if (a.length !== b.length)
      throw new Error(
        `interpolateWeights: weight ${name} has ${a.length} values in one model, ${b.length} in the other`,
      );
    const w = new Float32Array(b.length);
    // Unchanged weights (frozen layers) stay bit-identical: a + share · 0 = a.
    for (let i = 0; i < w.length; i++) w[i] = a[i] + share * (b[i] - a[i]);
    weights.set(name, w);
  }
  return { ...to, weights };
}
