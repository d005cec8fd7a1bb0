import * as tf from '@tensorflow/tfjs-core';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import { AcousticModel, type FeatureStats } from '../model/acoustic.js';
import { deepenModel } from '../model/deepen.js';
import { addInputBins } from '../model/add-input-bins.js';
import { restrideModel } from '../model/restride.js';
import { limitLookAhead } from '../model/look-ahead.js';
import { checkpointFromModel, loadCheckpointModel } from '../model/model-io.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC, lookAheadMs, outputFrames } from '../model/config.js';
import { loadModelFolder, type ModelInfo, saveModelFolder } from '../model/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors.js';
import { type Alphabet, encode, englishAlphabet, normalizeText } from '../speech/alphabet.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../speech/features.js';
import { frontEndMismatch, logMelBins } from '../speech/front-end.js';
import { CtcWorkspace } from '../speech/ctc.js';
import { type AugmentConfig, augment, DEFAULT_AUGMENT } from './feature-augment.js';
import { type BatchConfig, DEFAULT_BATCHES, epochOrder, makeBatches, seededRandom } from './batches.js';
import { evaluate, type EvalItem, type EvalResult } from './evaluate.js';
import type { CachedUtterance } from './feature-cache.js';
import { AdamW, DEFAULT_OPTIMIZER, type OptimizerConfig } from './optimizer.js';
import { batchGradients } from './batch-gradients.js';
import { type Shard, shardRanges } from './shard-gradients.js';
import { ShardWorkers, trainingThreads } from './shard-workers.js';
import { addsPhones, keepModelFeatures } from './run-features.js';

/**
 * The training loop shared by base-model training and personal fine-tuning. Phases per step:
 * batch → augment → forward + CTC → gradients → clip + AdamW; every `evalEvery` steps the dev set
 * is decoded; every `checkpointEvery` steps the whole state (weights, optimizer moments, data
 * position) is written atomically to `runDir/checkpoint`, from which a killed run resumes exactly.
 */
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
  /**
   * With `initFrom`: first make its model this many blocks deep (see deepen.ts), to give a run that has
   * run out of capacity more without losing what it learnt.
   */
  deepenTo?: number;
  /**
   * With `initFrom`: give its model these subsampling strides first (see restride.ts), to change its output
   * frame rate, and with it what a second of audio costs, without starting over.
   */
  restrideTo?: [number, number];
  /**
   * With `initFrom`: cut its model's look-ahead to at most this many ms first (see look-ahead.ts), to
   * make a trained model stream with less delay.
   */
  maxLookAheadMs?: number;
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

interface TrainerState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  bestCer: number;
  bestStep: number;
  evalsSinceBest: number;
  config: Omit<TrainConfig, 'trainable'>;
}

function evalItems(cache: FeatureSource, limit: number, seed: number): EvalItem[] {
  const all = cache.items.map((it, i) => ({ ...it, features: () => cache.features(i) }));
  if (all.length <= limit) return all;
  const rand = seededRandom(seed);
  const picked = all
    .map((it) => ({ it, r: rand() }))
    .sort((a, b) => a.r - b.r)
    .slice(0, limit)
    .map((x) => x.it);
  return picked.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Runs (or resumes) training; returns the best dev result. `signal` cancels between steps;
 * `beforeStep` is awaited before each step (personal training waits there while the user dictates).
 */
export async function train(
  data: TrainData,
  config: Partial<TrainConfig> = {},
  onEvent: (e: TrainEvent) => void = () => {},
  signal?: AbortSignal,
  beforeStep?: () => Promise<void>,
): Promise<{ bestCer: number; bestStep: number; lastEval?: EvalResult; model: AcousticModel }> {
  const cfg: TrainConfig = { ...DEFAULT_TRAIN, ...config };
  mkdirSync(cfg.runDir, { recursive: true });
  const ckptDir = join(cfg.runDir, 'checkpoint');
  const logPath = join(cfg.runDir, 'log.jsonl');
  const log = (e: TrainEvent) => {
    appendFileSync(logPath, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
    onEvent(e);
  };

  // ── Setup: model, optimizer, data order; resume if a checkpoint exists ──────────────────────
  let alphabet: Alphabet = englishAlphabet();
  let model: AcousticModel;
  const opt = new AdamW(cfg.optimizer);
  let state: TrainerState;
  // A kill between the two renames of a checkpoint swap leaves only the previous one, as .old.
  if (!existsSync(ckptDir) && existsSync(join(`${ckptDir}.old`, 'trainer.json')))
    renameSync(`${ckptDir}.old`, ckptDir);
  const resumed = existsSync(join(ckptDir, 'model', 'config.json'));
  let info: ModelInfo = {};
  let features: FeatureConfig;
  if (resumed) {
    const folder = loadModelFolder(join(ckptDir, 'model'));
    features = keepModelFeatures(
      folder.features,
      config.features,
      `the run's model ${join(ckptDir, 'model')}`,
    );
    alphabet = folder.alphabet;
    model = loadCheckpointModel(folder);
    // Everything the run recorded carries on, except the date: each model it writes is stamped anew.
    const { createdAt: _written, ...carried } = folder.info;
    info = carried;
    state = JSON.parse(readFileSync(join(ckptDir, 'trainer.json'), 'utf8')) as TrainerState;
    // JSON has no Infinity: a run checkpointed before its first evaluation stored bestCer as null.
    state.bestCer = state.bestCer ?? Infinity;
    const moments = decodeSafetensors(
      readFileSync(join(ckptDir, 'optimizer.safetensors')),
      'optimizer.safetensors',
    );
    opt.restore(state.step, moments.tensors);
  } else {
    if (cfg.initFrom) {
      let folder = loadModelFolder(cfg.initFrom);
      info = { parent: cfg.initFrom };
      // A reshaped model (attune reshape) says what it was grown from in every model the run saves.
      const reshapedFrom = folder.info.training?.reshapedFrom;
      if (reshapedFrom !== undefined) info.training = { reshapedFrom };
      if (config.features && addsPhones(folder.features, config.features)) {
        // Phone posteriors beside the log-mel it knows: the new inputs start unused (add-input-bins.ts),
        // normalised like a fresh model's, by the training data.
        const F = folder.acoustic.featureBins;
        const all = featureStats(data.train);
        folder = addInputBins(folder, config.features, { mean: all.mean.slice(F), std: all.std.slice(F) });
        info.training = { inputsAdded: 'phones' };
      }
      features = keepModelFeatures(folder.features, config.features, cfg.initFrom);
      if (cfg.deepenTo !== undefined && cfg.deepenTo !== folder.acoustic.blocks) {
        info.training = { ...info.training, deepenedFrom: folder.acoustic.blocks };
        folder = deepenModel(folder, { blocks: cfg.deepenTo, seed: cfg.seed });
      }
      const restrided = cfg.restrideTo ? restrideModel(folder, cfg.restrideTo) : folder;
      if (restrided !== folder) {
        info.training = { ...info.training, restridedFrom: [...folder.acoustic.subsampleStrides] };
        folder = restrided;
      }
      if (cfg.maxLookAheadMs !== undefined && lookAheadMs(folder.acoustic) > cfg.maxLookAheadMs) {
        info.training = { ...info.training, lookAheadCutFromMs: lookAheadMs(folder.acoustic) };
        folder = limitLookAhead(folder, cfg.maxLookAheadMs);
      }
      alphabet = folder.alphabet;
      model = loadCheckpointModel(folder);
    } else {
      features = cfg.features;
      const mismatch = frontEndMismatch(features, cfg.acoustic.featureBins);
      if (mismatch) throw new Error(`cannot train: ${mismatch}`);
      model = new AcousticModel(cfg.acoustic, undefined, featureStats(data.train));
    }
    const { trainable: _t, ...plain } = cfg;
    state = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      bestCer: Infinity,
      bestStep: 0,
      evalsSinceBest: 0,
      config: { ...plain, features },
    };
  }
  if (cfg.dropout !== undefined) model.config.dropout = cfg.dropout;
  const F = model.config.featureBins;
  for (const [name, source] of [
    ['training', data.train],
    ['dev', data.dev],
  ] as const)
    if (source.bins !== F)
      throw new Error(
        `the ${name} features have ${source.bins} values per frame, the model takes ${F}: compute them with the model's front end`,
      );
  // Frequency-axis augmentation touches only log-mel bins (all of them without phones).
  const melBins = features.phones ? logMelBins(features) : F;
  const trainable = [...model.params.keys()].filter((n) => !cfg.trainable || cfg.trainable(n));
  const vars = trainable.map((n) => model.params.get(n)!);
  // The weights anchorDecay pulls towards are the run's starting ones; a resumed run restored them above.
  if (!resumed && cfg.optimizer.anchorDecay > 0) opt.setAnchor(model.params, trainable);

  // Targets once: normalised transcript → class ids. Utterances whose text cannot fit their output
  // frames are dropped here (CTC would zero them anyway) and counted.
  const targets = data.train.items.map((it) => encode(normalizeText(it.text, alphabet), alphabet));
  const frames = data.train.items.map((it, i) => {
    const room = outputFrames(Math.floor(it.frames / 1.1), model.config); // slowest speed perturbation
    return targets[i].length === 0 || targets[i].length * 1.0 > room ? 0 : it.frames;
  });
  const { batches } = makeBatches(frames, cfg.batches);
  if (batches.length === 0)
    throw new Error('no usable training utterances (all empty, too long or too short)');
  const dev = evalItems(data.dev, cfg.devUtterances, cfg.seed);
  const workspace = new CtcWorkspace();
  const backend = tf.getBackend();
  const threads = trainingThreads(backend, cfg.threads);

  log({
    type: 'start',
    step: state.step,
    steps: cfg.steps,
    parameters: model.parameterCount,
    trainUtterances: batches.flat().length,
    resumed,
  });

  const saveCheckpoint = () => {
    const tmp = `${ckptDir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    saveModelFolder(
      join(tmp, 'model'),
      checkpointFromModel(
        model,
        alphabet,
        { ...info, training: { ...info.training, step: state.step } },
        features,
      ),
    );
    const o = opt.state();
    writeFileSync(join(tmp, 'optimizer.safetensors'), encodeSafetensors(o.tensors));
    writeFileSync(join(tmp, 'trainer.json'), JSON.stringify(state, null, 2));
    rmSync(`${ckptDir}.old`, { recursive: true, force: true });
    if (existsSync(ckptDir)) renameSync(ckptDir, `${ckptDir}.old`);
    renameSync(tmp, ckptDir);
    rmSync(`${ckptDir}.old`, { recursive: true, force: true });
    log({ type: 'checkpoint', step: state.step, path: ckptDir });
  };

  let lastEval: EvalResult | undefined;
  const runEval = () => {
    lastEval = evaluate(model, alphabet, dev);
    const best = lastEval.cer < state.bestCer;
    if (best) {
      state.bestCer = lastEval.cer;
      state.bestStep = state.step;
      state.evalsSinceBest = 0;
      saveModelFolder(
        join(cfg.runDir, 'best'),
        checkpointFromModel(
          model,
          alphabet,
          {
            ...info,
            training: { ...info.training, step: state.step },
            metrics: { dev: { wer: lastEval.wer, cer: lastEval.cer } },
          },
          features,
        ),
      );
    } else state.evalsSinceBest++;
    log({ type: 'eval', step: state.step, wer: lastEval.wer, cer: lastEval.cer, best });
  };

  // ── Loop ─────────────────────────────────────────────────────────────────────────────────────
  let stopped: 'finished' | 'early' | 'cancelled' = 'finished';
  const workers =
    threads > 1
      ? await ShardWorkers.start(threads - 1, {
          backend: backend as 'wasm' | 'cpu',
          acoustic: model.config,
          stats: model.featureStats(),
          weights: model.weights(),
          trained: trainable,
          blank: alphabet.blank,
        })
      : null;
  try {
    let order = epochOrder(batches, cfg.seed, state.epoch);
    while (state.step < cfg.steps) {
      if (beforeStep && !signal?.aborted) await beforeStep();
      if (signal?.aborted) {
        stopped = 'cancelled';
        break;
      }
      if (state.batchInEpoch >= order.length) {
        state.epoch++;
        state.batchInEpoch = 0;
        order = epochOrder(batches, cfg.seed, state.epoch);
      }
      const t0 = performance.now();
      const idx = order[state.batchInEpoch++];
      // Randomness is drawn per step from (seed, step), so a resumed run continues exactly.
      const stepSeed = (cfg.seed * 1000003 + state.step) >>> 0;
      const rand = seededRandom(stepSeed);

      // Batch: augmented features, targets, and one shard per thread.
      const feats = idx.map((i) => {
        const x = data.train.features(i);
        const T = data.train.items[i].frames;
        return cfg.augment ? augment(x, T, F, cfg.augment, rand, melBins) : { data: x, frames: T };
      });
      const lengths = feats.map((f) => f.frames);
      const batchTargets = idx.map((i) => targets[i]);
      const ranges = shardRanges(idx.length, threads);
      // The first shard's dropout seed is the step's, so one thread computes what it always has.
      const shards = ranges.map(([a, b], k) =>
        padShard(feats.slice(a, b), batchTargets.slice(a, b), F, (stepSeed + k * 0x9e3779b9) >>> 0),
      );

      // Forward, loss, gradients: the other threads' shards run while this thread computes the first.
      const { loss, infeasible, grads } = await batchGradients(
        model,
        vars,
        shards,
        alphabet.blank,
        workspace,
        workers,
      );
      const named: Record<string, tf.Tensor> = {};
      trainable.forEach((n, k) => (named[n] = grads[k]));
      const { gradNorm, learningRate } = opt.apply(model.params, named);
      tf.dispose(grads);
      state.step++;
      const stepSeconds = (performance.now() - t0) / 1000;
      log({
        type: 'step',
        step: state.step,
        steps: cfg.steps,
        loss,
        learningRate,
        gradNorm,
        audioSeconds: (lengths.reduce((a, b) => a + b, 0) * model.config.hopMs) / 1000,
        stepSeconds,
        infeasible,
      });

      if (state.step % cfg.evalEvery === 0 || state.step === cfg.steps) {
        runEval();
        if (cfg.patience > 0 && state.evalsSinceBest >= cfg.patience) {
          stopped = 'early';
          saveCheckpoint();
          break;
        }
      }
      if (state.step % cfg.checkpointEvery === 0 || state.step === cfg.steps) saveCheckpoint();
      // Let timers and signals run between steps.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await workers?.close();
  }
  if (stopped === 'cancelled') {
    // Score the weights being left behind, so best/ is never older than the last step taken.
    if (state.step > 0 && state.step % cfg.evalEvery !== 0) runEval();
    saveCheckpoint();
  }
  log({ type: 'done', step: state.step, bestCer: state.bestCer, bestStep: state.bestStep, stopped });
  return { bestCer: state.bestCer, bestStep: state.bestStep, lastEval, model };
}

/** One shard of a batch: its utterances' features zero-padded to the longest of them. */
function padShard(
  feats: { data: Float32Array; frames: number }[],
  targets: Int32Array[],
  F: number,
  seed: number,
): Shard {
  const frames = Math.max(...feats.map((f) => f.frames));
  const features = new Float32Array(feats.length * frames * F); // [B, T, F]
  feats.forEach((f, b) => features.set(f.data, b * frames * F));
  return { features, frames, lengths: feats.map((f) => f.frames), targets, seed };
}
