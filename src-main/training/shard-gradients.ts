import * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from '../model/acoustic.js';
import { ctcLoss } from '../model/ctc-op.js';
import type { CtcWorkspace } from '../speech/ctc.js';

/**
 * A share of one training batch: what a thread needs to compute the gradients of its utterances. The
 * training loop splits each batch into one shard per training thread (see shard-workers.ts); the CTC
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
    const r = ctcLoss(
      logits,
      lengths,
      shard.targets,
      blank,
      { reduction: 'mean', zeroInfinity: true },
      workspace,
    );
    infeasible = r.infeasible;
    return r.loss;
  }, vars);
  x.dispose();
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, infeasible, grads: vars.map((v) => grads[v.name]) };
}

/** Utterance ranges [start, end) splitting a batch of `size` into at most `parts` near-equal shares. */
export function shardRanges(size: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, size));
  const ranges: [number, number][] = [];
  for (let k = 0; k < n; k++) ranges.push([Math.floor((k * size) / n), Math.floor(((k + 1) * size) / n)]);
  return ranges;
}
