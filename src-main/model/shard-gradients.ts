import * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from './acoustic.js';
import { ctcLoss } from './ctc-op.js';
import { type CtcWorkspace, ctcLossAndGradBatch } from '../speech/ctc.js';

/**
 * A share of one training batch: what a thread needs to compute the gradients of its utterances. The
 * training loop splits each batch into one shard per training thread (see training/shard-workers.ts); the CTC
 * loss is a mean over utterances, so the batch's loss and gradients are the shards' weighted by their
 * utterance counts, whatever the split.
 */
export interface Shard {
  features: Float32Array; // [B, T, F] augmented features, zero-padded to the longest
  /** T: frames of the longest utterance. */
  frames: number;
  /** Valid frames of each utterance. */
  lengths: number[];
  /** Class ids of each utterance's transcript. */
  targets: Int32Array[];
  /** Seed of the dropout masks. */
  seed: number;
}

/** CTC as training reduces it: per-utterance loss / target length, mean over the shard; impossible ones zeroed. */
const CTC_OPTIONS = { reduction: 'mean', zeroInfinity: true } as const;

export interface ShardResult<G> {
  /** Mean over the shard's utterances of loss / target length. */
  loss: number;
  /** Utterances whose transcript cannot fit their output frames (loss and gradient zeroed). */
  infeasible: number;
  /** ∂loss/∂v for each trained variable, in the order given. */
  grads: G[];
}

/** Forward + CTC + backward over one shard; the caller owns (and disposes) the returned gradients. */
export function shardGradients(
  model: AcousticModel,
  vars: tf.Variable[],
  shard: Shard,
  blank: number,
  workspace: CtcWorkspace,
): ShardResult<tf.Tensor> {
  const B = shard.lengths.length;
  const F = model.config.featureBins;
  let infeasible = 0;
  const x = tf.tensor3d(shard.features, [B, shard.frames, F]); // [B, T, F]
  const { value, grads } = tf.variableGrads(() => {
    const { logits, lengths } = model.forward(x, shard.lengths, true, shard.seed);
    const r = ctcLoss(logits, lengths, shard.targets, blank, CTC_OPTIONS, workspace);
    infeasible = r.infeasible;
    return r.loss;
  }, vars);
  x.dispose();
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, infeasible, grads: vars.map((v) => grads[v.name]) };
}

/**
 * shardGradients without a synchronous read, for backends that have none that works (WebGPU: its readSync
 * goes through a canvas and returns zeros in headless Chromium). The logits are read back asynchronously and
 * CTC's gradient G = ∂loss/∂logits computed from them; then the same forward runs again under the tape
 * (the same dropout masks, drawn from the shard's seed) and the gradients of Σ logits·G are the loss's.
 * The forward runs twice: a third more work than shardGradients, traded for never blocking on the device.
 */
export async function shardGradientsAsync(
  model: AcousticModel,
  vars: tf.Variable[],
  shard: Shard,
  blank: number,
  workspace: CtcWorkspace,
): Promise<ShardResult<tf.Tensor>> {
  const B = shard.lengths.length;
  const F = model.config.featureBins;
  const x = tf.tensor3d(shard.features, [B, shard.frames, F]); // [B, T, F]
  try {
    const first = model.forward(x, shard.lengths, true, shard.seed);
    const [, T, V] = first.logits.shape;
    const values = await first.logits.data(); // [B, T', V]
    first.logits.dispose();
    const r = ctcLossAndGradBatch(
      values,
      B,
      T,
      V,
      first.lengths,
      shard.targets,
      blank,
      CTC_OPTIONS,
      workspace,
    );
    const dLogits = tf.tensor3d(r.grad, [B, T, V]); // [B, T', V] ∂loss/∂logits
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(x, shard.lengths, true, shard.seed);
      return tf.sum(tf.mul(logits, dLogits));
    }, vars);
    value.dispose();
    dLogits.dispose();
    return { loss: r.loss, infeasible: r.infeasible, grads: vars.map((v) => grads[v.name]) };
  } finally {
    x.dispose();
  }
}

/** Utterance ranges [start, end) splitting a batch of `size` into at most `parts` near-equal shares. */
export function shardRanges(size: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, size));
  const ranges: [number, number][] = [];
  for (let k = 0; k < n; k++) ranges.push([Math.floor((k * size) / n), Math.floor(((k + 1) * size) / n)]);
  return ranges;
}
