import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ComputeHost, ComputeHostError } from '../compute/host-server.js';
import { RemoteModel } from '../compute/remote-model.js';
import type { AcousticModel } from '../model/acoustic.js';
import { outputFrames } from '../model/config.js';
import { trainingTarget } from '../speech/phone-spelling.js';
import { CtcWorkspace } from '../speech/ctc.js';
import { logMelBins } from '../speech/front-end.js';
import { epochOrder, makeBatches, seededRandom } from './batches.js';
import { evaluate, type EvalItem, type EvalResult } from './evaluate.js';
import { ShardWorkers, trainingThreads } from './shard-workers.js';
import {
  DEFAULT_TRAIN,
  type FeatureSource,
  type TrainConfig,
  type TrainData,
  type TrainEvent,
} from './train-config.js';
import { openRun, type OpenRun } from './train-open.js';
import { RunSaver } from './train-save.js';
import { type StepContext, trainStep } from './train-step.js';

export { featureStats } from './feature-stats.js';
export {
  DEFAULT_TRAIN,
  type FeatureSource,
  type TrainConfig,
  type TrainData,
  type TrainEvent,
} from './train-config.js';

/**
 * The training loop shared by base-model training and personal fine-tuning, in the phases of a run: open it
 * (start or resume: train-open.ts), take steps (batch → augment → forward + CTC → gradients → clip + AdamW:
 * train-step.ts), evaluate every `evalEvery` steps (the dev set decoded, the best weights kept), and every
 * `checkpointEvery` steps write the whole state (weights, optimizer moments, data position) atomically to
 * `runDir/checkpoint` (train-save.ts), from which a killed run resumes exactly.
 */
export interface TrainHooks {
  /** Every event, as it is also appended to the run's log.jsonl. */
  onEvent?: (e: TrainEvent) => void;
  /** Cancels between steps (the weights reached are scored and checkpointed). */
  signal?: AbortSignal;
  /** Awaited before each step (personal training waits there while the user dictates). */
  beforeStep?: () => Promise<void>;
  /**
   * A compute host (WebGPU) to take the steps on; the caller opens and closes it. Should it fail, the run
   * says so once (a 'fallback' event) and goes on from the same step on this process's backend.
   */
  host?: ComputeHost | null;
}

export interface TrainResult {
  bestCer: number;
  bestStep: number;
  lastEval?: EvalResult;
  model: AcousticModel;
}

/** Runs (or resumes) training; returns the best dev result and the model as the last step left it. */
export async function train(
  data: TrainData,
  config: Partial<TrainConfig> = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const cfg: TrainConfig = { ...DEFAULT_TRAIN, ...config };
  mkdirSync(cfg.runDir, { recursive: true });
  const logPath = join(cfg.runDir, 'log.jsonl');
  const log = (e: TrainEvent) => {
    appendFileSync(logPath, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
    hooks.onEvent?.(e);
  };
  const run = openRun(data, cfg, config);
  const { state } = run;
  const ctx = stepContext(data, cfg, run, log);
  const batches = usableBatches(ctx);
  const dev = evalItems(data.dev, cfg.devUtterances, cfg.seed);
  const saver = new RunSaver(cfg.runDir, run, log);
  log({
    type: 'start',
    step: state.step,
    steps: cfg.steps,
    parameters: run.model.parameterCount,
    trainUtterances: batches.flat().length,
    resumed: run.resumed,
  });

  let lastEval: EvalResult | undefined;
  const runEval = () => {
    lastEval = evaluate(run.model, run.alphabet, dev);
    const best = lastEval.cer < state.bestCer;
    if (best) {
      state.bestCer = lastEval.cer;
      state.bestStep = state.step;
      state.evalsSinceBest = 0;
      saver.best(lastEval);
    } else state.evalsSinceBest++;
    log({ type: 'eval', step: state.step, wer: lastEval.wer, cer: lastEval.cer, best });
  };

  let stopped: 'finished' | 'early' | 'cancelled' = 'finished';
  if (hooks.host) {
    try {
      ctx.remote = await RemoteModel.load(hooks.host, run.model, ctx.trainable, run.alphabet.blank);
    } catch (err) {
      if (!(err instanceof ComputeHostError)) throw err;
      await ctx.fallBack(err.message);
    }
  } else ctx.workers = await startWorkers(ctx);
  try {
    let order = epochOrder(batches, cfg.seed, state.epoch);
    while (state.step < cfg.steps) {
      if (hooks.beforeStep && !hooks.signal?.aborted) await hooks.beforeStep();
      if (hooks.signal?.aborted) {
        stopped = 'cancelled';
        break;
      }
      if (state.batchInEpoch >= order.length) {
        state.epoch++;
        state.batchInEpoch = 0;
        order = epochOrder(batches, cfg.seed, state.epoch);
      }
      log(await trainStep(ctx, order[state.batchInEpoch++]));
      if (state.step % cfg.evalEvery === 0 || state.step === cfg.steps) {
        runEval();
        if (cfg.patience > 0 && state.evalsSinceBest >= cfg.patience) {
          stopped = 'early';
          saver.checkpoint();
          break;
        }
      }
      if (state.step % cfg.checkpointEvery === 0 || state.step === cfg.steps) saver.checkpoint();
      // Let timers and signals run between steps.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await ctx.workers?.close();
  }
  if (stopped === 'cancelled') {
    // Score the weights being left behind, so best/ is never older than the last step taken.
    if (state.step > 0 && state.step % cfg.evalEvery !== 0) runEval();
    saver.checkpoint();
  }
  log({ type: 'done', step: state.step, bestCer: state.bestCer, bestStep: state.bestStep, stopped });
  return { bestCer: state.bestCer, bestStep: state.bestStep, lastEval, model: run.model };
}

/** The step context of an opened run: its targets, trained parameters and threads (workers start later). */
function stepContext(
  data: TrainData,
  cfg: TrainConfig,
  run: OpenRun,
  log: (e: TrainEvent) => void,
): StepContext {
  const { model, alphabet, features } = run;
  const F = model.config.featureBins;
  for (const [name, source] of [
    ['training', data.train],
    ['dev', data.dev],
  ] as const)
    if (source.bins !== F)
      throw new Error(
        `the ${name} features have ${source.bins} values per frame, the model takes ${F}: compute them with the model's front end`,
      );
  const trainable = [...model.params.keys()].filter((n) => !cfg.trainable || cfg.trainable(n));
  // The weights anchorDecay pulls towards are the run's starting ones; a resumed run restored them.
  if (!run.resumed && cfg.optimizer.anchorDecay > 0) run.opt.setAnchor(model.params, trainable);
  const ctx: StepContext = {
    cfg,
    data,
    run,
    // Targets once: normalised transcript → class ids (letters, or phones through the model's dictionary).
    targets: data.train.items.map((it) => trainingTarget(it.text, alphabet)),
    trainable,
    vars: trainable.map((n) => model.params.get(n)!),
    // Frequency-axis augmentation touches only log-mel bins (all of them without phones).
    melBins: features.phones ? logMelBins(features) : F,
    threads: trainingThreads(tf.getBackend(), cfg.threads),
    workers: null,
    workspace: new CtcWorkspace(),
    alphabet,
    remote: null,
    fallBack: async (reason) => {
      ctx.remote = null;
      log({ type: 'fallback', step: run.state.step, from: 'webgpu', to: tf.getBackend(), reason });
      ctx.workers ??= await startWorkers(ctx);
    },
  };
  return ctx;
}

/**
 * The run's batches. Utterances whose text cannot fit their output frames are left out here (CTC would
 * zero them anyway); the start event counts those kept.
 */
function usableBatches(ctx: StepContext): number[][] {
  const { data, run, targets, cfg } = ctx;
  const frames = data.train.items.map((it, i) => {
    const room = outputFrames(Math.floor(it.frames / 1.1), run.model.config); // slowest speed perturbation
    return targets[i].length === 0 || targets[i].length > room ? 0 : it.frames;
  });
  const { batches } = makeBatches(frames, cfg.batches);
  if (batches.length === 0)
    throw new Error('no usable training utterances (all empty, too long or too short)');
  return batches;
}

/** The threads beside this one that compute shares of each batch (none on one thread). */
function startWorkers(ctx: StepContext): Promise<ShardWorkers> | null {
  if (ctx.threads <= 1) return null;
  const { model, alphabet } = ctx.run;
  return ShardWorkers.start(ctx.threads - 1, {
    backend: tf.getBackend() as 'wasm' | 'cpu',
    acoustic: model.config,
    stats: model.featureStats(),
    weights: model.weights(),
    trained: ctx.trainable,
    blank: alphabet.blank,
  });
}

/** The dev utterances scored at each evaluation: all of them, or a fixed seeded subset of `limit`. */
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
