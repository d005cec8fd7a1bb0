import type { FeatureStats } from '../model/acoustic.js';
import type { FeatureSource } from './train-config.js';

/** Mean and std per bin over (up to) the first `maxItems` training utterances. */
export function featureStats(cache: FeatureSource, maxItems = 5000): FeatureStats {
  const F = cache.bins;
  const sum = new Float64Array(F);
  const sq = new Float64Array(F);
  let n = 0;
  const count = Math.min(cache.items.length, maxItems);
  for (let i = 0; i < count; i++) {
    const x = cache.features(i);
    for (let k = 0; k < x.length; k++) {
      sum[k % F] += x[k];
      sq[k % F] += x[k] * x[k];
    }
    n += x.length / F;
  }
  const mean = new Float32Array(F);
  const std = new Float32Array(F);
  for (let f = 0; f < F; f++) {
    mean[f] = sum[f] / Math.max(1, n);
    std[f] = Math.sqrt(Math.max(1e-6, sq[f] / Math.max(1, n) - mean[f] * mean[f]));
  }
  return { mean, std };
}
