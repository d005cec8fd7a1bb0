import { type AcousticConfig, DEFAULT_ACOUSTIC } from '../model/config.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../speech/features.js';
import type { AugmentConfig } from './feature-augment.js';
import { DEFAULT_AUGMENT } from './feature-augment.js';
import { type BatchConfig, DEFAULT_BATCHES } from './batches.js';
import type { CachedUtterance } from './feature-cache.js';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from './optimizer.js';

// The training loop's settings, its events and the data it reads (train.ts runs it). A trained model's
// shape is changed before a run, by model/reshape.ts (`attune reshape`), never by the run itself.

export interface TrainConfig {
  /** Where checkpoints, the JSON-lines log and finished models go. */
  runDir: string;
  /** Model shape for a fresh run (ignored when starting from `initFrom` or resuming). */
  acoustic: AcousticConfig;
  /**
   * The front end the training data was computed with (speech/front-end.ts), saved with every model the
   * run writes. A fresh run's model takes these (acoustic.featureBins must match); a run from `initFrom` or
   * resumed keeps its model's and refuses others (run-features.ts keepModelFeatures). Default: log-mel.
   */
  features: FeatureConfig;
  /** Start from this model folder's weights instead of random ones (fine-tuning). */
  initFrom?: string;
  /** Only parameters whose names match are trained (fine-tuning a subset); all when unset. */
  trainable?: (name: string) => boolean;
  optimizer: OptimizerConfig;
  batches: BatchConfig;
  augment: AugmentConfig | null;
  /**
   * Dropout while training, overriding the model config's, for fresh and resumed runs alike (a recipe
   * may start without it while the model still underfits, and turn it on later). Unset: the config's.
   */
  dropout?: number;
  /** Total optimizer steps. */
  steps: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Dev utterances decoded at each evaluation (a fixed, seeded subset when the dev set is larger). */
  devUtterances: number;
  seed: number;
  /** Stop early when dev CER has not improved for this many evaluations (0 = never). */
  patience: number;
  /**
   * Threads computing each step, each the gradients of its share of the batch (shard-workers.ts);
   * 1 = the main thread alone. Only the wasm and cpu backends use more: native TensorFlow spreads every op
   * over the cores itself. The split follows the count, so a run resumed with another count carries on
   * from the same state, but not bit for bit as it would have.
   */
  threads: number;
}

export const DEFAULT_TRAIN: TrainConfig = {
  runDir: 'runs/base',
  acoustic: DEFAULT_ACOUSTIC,
  features: DEFAULT_FEATURES,
  optimizer: DEFAULT_OPTIMIZER,
  batches: DEFAULT_BATCHES,
  augment: DEFAULT_AUGMENT,
  steps: 20000,
  evalEvery: 500,
  checkpointEvery: 250,
  devUtterances: 200,
  seed: 1,
  patience: 0,
  threads: 1,
};

export type TrainEvent =
  | {
      type: 'start';
      step: number;
      steps: number;
      parameters: number;
      trainUtterances: number;
      resumed: boolean;
    }
  | {
      type: 'step';
      step: number;
      steps: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      audioSeconds: number;
      stepSeconds: number;
      infeasible: number;
    }
  | { type: 'eval'; step: number; wer: number; cer: number; best: boolean }
  /** The compute host failed (its GPU device lost, or its browser gone): steps continue on `to`. */
  | { type: 'fallback'; step: number; from: 'webgpu'; to: string; reason: string }
  | { type: 'checkpoint'; step: number; path: string }
  | {
      type: 'done';
      step: number;
      bestCer: number;
      bestStep: number;
      stopped: 'finished' | 'early' | 'cancelled';
    };

/**
 * Utterances with their features, read by index: a FeatureCache on disk (base training) or utterances
 * held in memory (personal fine-tuning on a few dozen corrections).
 */
export interface FeatureSource {
  readonly items: readonly Pick<CachedUtterance, 'id' | 'speaker' | 'text' | 'frames'>[];
  readonly bins: number;
  /** Features of item i, [frames, bins] row-major. */
  features(i: number): Float32Array;
}

export interface TrainData {
  train: FeatureSource;
  dev: FeatureSource;
}

/** What a checkpoint records besides the weights and moments: where the run is, and its best so far. */
export interface TrainerState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  bestCer: number;
  bestStep: number;
  evalsSinceBest: number;
  config: Omit<TrainConfig, 'trainable'>;
}
