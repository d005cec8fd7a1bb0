import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureConfig } from '../speech/features.js';
import type { EvalItem } from './evaluate.js';
import { FeatureCache } from './feature-cache.js';
import { prepareFeatures, type PrepareReport, type SourceUtterance } from './prepare.js';

export interface ScoringFeaturesConfig {
  /** The model's front end: the features are the model's input. */
  features: FeatureConfig;
  /** Audio files decoded at once. */
  jobs: number; // 2
  /**
   * What names the cache: the folder under the system's temporary folder (`attune-<purpose>`), and the
   * strings hashed into its file name (the set's folder, and whatever else sets it apart). Two commands
   * that give the same purpose and key share one cache.
   */
  purpose: string;
  key: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

/** The utterances' features, ready for evaluate(); close() when done with them. */
export interface ScoringFeatures {
  /** The readable utterances, in input order. */
  items: EvalItem[];
  /** What could not be read, and what reading tolerated. */
  report: PrepareReport;
  close(): void;
}

/**
 * Features of a set to score a model on (eval, class priors, benchmarks), cached between runs: repeated
 * evaluations of the same set are quick, and prepareFeatures recomputes the cache when a clip's audio or
 * transcript has changed since. The front end is always part of the key, so models that hear differently
 * never share features.
 */
export async function scoringFeatures(
  utterances: readonly SourceUtterance[],
  config: ScoringFeaturesConfig,
): Promise<ScoringFeatures> {
  const hash = createHash('sha1');
  const [first, ...rest] = config.key;
  // The folder first, then the front end, then the rest: the order caches were named by before.
  for (const part of [first ?? '', JSON.stringify(config.features), ...rest]) hash.update(part);
  const path = join(tmpdir(), `attune-${config.purpose}`, `${hash.digest('hex').slice(0, 12)}.feats`);
  return scoringFeaturesAt(utterances, path, config);
}

/** The same, cached in a file of the caller's choosing (e.g. a training run's features/ folder). */
export async function scoringFeaturesAt(
  utterances: readonly SourceUtterance[],
  path: string,
  config: Pick<ScoringFeaturesConfig, 'features' | 'jobs' | 'onProgress'>,
): Promise<ScoringFeatures> {
  const report = await prepareFeatures(
    utterances,
    path,
    { jobs: config.jobs, features: config.features },
    config.onProgress,
  );
  const cache = FeatureCache.load(path);
  // The cache may hold more than asked (a set read whole before): only the utterances asked for are scored.
  const wanted = new Set(utterances.map((u) => u.id));
  const items = cache.items
    .map((it, i) => ({ ...it, features: () => cache.features(i) }))
    .filter((it) => wanted.has(it.id));
  return { items, report, close: () => cache.close() };
}
