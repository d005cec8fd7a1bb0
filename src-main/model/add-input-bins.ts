import type { FeatureConfig } from '../speech/features.js';
import type { FeatureStats } from './acoustic.js';
import type { ModelFolder } from './checkpoint.js';
import { configProblems } from './config.js';

/**
 * Giving a trained model more input values per frame, so it keeps what it learnt when a richer front end
 * is added (a log-mel model given phone posteriors beside its log-mel: front-end.ts puts the new values
 * after the old ones). Only the first layer reads the input: its weights for the new values start at zero,
 * so the wider model computes exactly what the narrow one did until training finds a use for them.
 *
 * The first layer's weight is [kernel · bins, channels], row k · bins + f for tap k and input value f
 * (layers.ts stackedConv1d): each tap's rows are spread to the new width with zero rows after them.
 */
export function addInputBins(
  folder: ModelFolder,
  features: FeatureConfig,
  /** Normalisation of the added values only (the old ones keep the model's). */
  added: FeatureStats,
): ModelFolder {
  const from = folder.acoustic;
  const extra = added.mean.length;
  if (extra === 0 || added.std.length !== extra)
    throw new Error(
      `cannot add input values: ${added.mean.length} means and ${added.std.length} deviations given`,
    );
  const bins = from.featureBins + extra;
  const acoustic = { ...from, featureBins: bins };
  const problems = configProblems(acoustic);
  if (problems.length > 0) throw new Error(`cannot add input values: ${problems.join('; ')}`);

  const name = 'subsample.0.weight';
  const old = folder.weights.get(name);
  const C = from.channels;
  const K = from.subsampleKernel;
  if (!old || old.length !== K * from.featureBins * C)
    throw new Error(`the model's ${name} is not [${K}·${from.featureBins}, ${C}]`);
  const wide = new Float32Array(K * bins * C); // [K · bins, C], zero for the added values
  for (let k = 0; k < K; k++)
    wide.set(old.subarray(k * from.featureBins * C, (k + 1) * from.featureBins * C), k * bins * C);

  const weights = new Map(folder.weights);
  weights.set(name, wide);
  const stats: FeatureStats = {
    mean: Float32Array.from([...folder.stats.mean, ...added.mean]),
    std: Float32Array.from([...folder.stats.std, ...added.std]),
  };
  return { ...folder, acoustic, features, stats, weights };
}
