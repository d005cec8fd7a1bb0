import * as tf from '@tensorflow/tfjs-core';
import { ComputeHostError } from '../compute/host-server.js';
import type { RemoteModel } from '../compute/remote-model.js';
import type { Alphabet } from '../speech/alphabet.js';
import type { CtcWorkspace } from '../speech/ctc.js';
import { batchGradients } from './batch-gradients.js';
import { seededRandom } from './batches.js';
import { augment } from './feature-augment.js';
import { type Shard, type ShardResult, shardRanges } from '../model/shard-gradients.js';
import type { ShardWorkers } from './shard-workers.js';
import type { TrainConfig, TrainData, TrainEvent } from './train-config.js';
import type { OpenRun } from './train-open.js';

/** What every step of a run shares: its data, targets, trained parameters and threads. */
export interface StepContext {
  cfg: TrainConfig;
  data: TrainData;
  run: OpenRun;
  /** Class ids of each training utterance's normalised transcript. */
  targets: Int32Array[];
  /** Names of the trained parameters, and the variables in the same order. */
  trainable: string[];
  vars: tf.Variable[];
  /** Frequency bins augmentation may mask (the log-mel ones). */
  melBins: number;
  threads: number;
  workers: ShardWorkers | null;
  workspace: CtcWorkspace;
  alphabet: Alphabet;
  /** The model on a compute host (WebGPU), which takes whole batches; null: this process computes. */
  remote: RemoteModel | null;
  /** Called once when the host fails: stop using it, start what this process needs, tell the user. */
  fallBack: (reason: string) => Promise<void>;
}

/**
 * One optimizer step on the batch `idx`: augment, forward + CTC and gradients (one shard per thread), then
 * clip + AdamW. Randomness is drawn from (seed, step), so a resumed run continues exactly.
 */
export async function trainStep(
  ctx: StepContext,
  idx: number[],
): Promise<Extract<TrainEvent, { type: 'step' }>> {
  const { cfg, data, run } = ctx;
  const F = run.model.config.featureBins;
  const t0 = performance.now();
  const stepSeed = (cfg.seed * 1000003 + run.state.step) >>> 0;
  const rand = seededRandom(stepSeed);
  const feats = idx.map((i) => {
    const x = data.train.features(i);
    const T = data.train.items[i].frames;
    return cfg.augment ? augment(x, T, F, cfg.augment, rand, ctx.melBins) : { data: x, frames: T };
  });
  const lengths = feats.map((f) => f.frames);
  const batchTargets = idx.map((i) => ctx.targets[i]);
  const { loss, infeasible, grads } = await stepGradients(ctx, feats, batchTargets, stepSeed);
  const named: Record<string, tf.Tensor> = {};
  ctx.trainable.forEach((n, k) => (named[n] = grads[k]));
  const { gradNorm, learningRate } = run.opt.apply(run.model.params, named);
  tf.dispose(grads);
  run.state.step++;
  return {
    type: 'step',
    step: run.state.step,
    steps: cfg.steps,
    loss,
    learningRate,
    gradNorm,
    audioSeconds: (lengths.reduce((a, b) => a + b, 0) * run.model.config.hopMs) / 1000,
    stepSeconds: (performance.now() - t0) / 1000,
    infeasible,
  };
}

/**
 * The batch's loss and gradients: on the compute host as one shard when there is one, else split into one
 * shard per thread (the other threads' shards run while this thread computes the first). The first shard's
 * dropout seed is the step's either way, so one thread or the host computes what the other would. If the
 * host fails, this step and the rest run here.
 */
async function stepGradients(
  ctx: StepContext,
  feats: { data: Float32Array; frames: number }[],
  batchTargets: Int32Array[],
  stepSeed: number,
): Promise<ShardResult<tf.Tensor>> {
  const F = ctx.run.model.config.featureBins;
  if (ctx.remote) {
    try {
      const r = await ctx.remote.gradients(padShard(feats, batchTargets, F, stepSeed));
      return { ...r, grads: r.grads.map((g, k) => tf.tensor(g, ctx.vars[k].shape)) };
    } catch (err) {
      if (!(err instanceof ComputeHostError)) throw err;
      await ctx.fallBack(err.message);
    }
  }
  const shards = shardRanges(feats.length, ctx.threads).map(([a, b], k) =>
    padShard(feats.slice(a, b), batchTargets.slice(a, b), F, (stepSeed + k * 0x9e3779b9) >>> 0),
  );
  return batchGradients(ctx.run.model, ctx.vars, shards, ctx.alphabet.blank, ctx.workspace, ctx.workers);
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
