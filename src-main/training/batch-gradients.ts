import * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from '../model/acoustic.js';
import type { CtcWorkspace } from '../speech/ctc.js';
import { type Shard, shardGradients, type ShardResult } from '../model/shard-gradients.js';
import type { ShardWorkers } from './shard-workers.js';

/**
 * Loss and gradients of a whole batch split into shards: the first computed here, the others by the
 * workers meanwhile (shard k + 1 by worker k). CTC's loss is a mean over utterances, so the batch's loss
 * and gradients are the shards' weighted by their utterance counts. The caller disposes the gradients.
 */
export async function batchGradients(
  model: AcousticModel,
  vars: tf.Variable[],
  shards: Shard[],
  blank: number,
  workspace: CtcWorkspace,
  workers: ShardWorkers | null,
): Promise<ShardResult<tf.Tensor>> {
  if (shards.length > 1 + (workers?.size ?? 0))
    throw new Error(`${shards.length} shards for ${1 + (workers?.size ?? 0)} training threads`);
  const weights = shards.length > 1 ? vars.map((v) => v.dataSync() as Float32Array) : [];
  const remote = shards.slice(1).map((shard, k) => workers!.compute(k, weights, shard));
  let local: ShardResult<tf.Tensor>;
  try {
    local = shardGradients(model, vars, shards[0], blank, workspace);
  } catch (err) {
    await Promise.allSettled(remote);
    throw err;
  }
  let others: ShardResult<Float32Array>[];
  try {
    others = await Promise.all(remote);
  } catch (err) {
    tf.dispose(local.grads);
    throw err;
  }
  if (others.length === 0) return local;

  const total = shards.reduce((n, s) => n + s.lengths.length, 0);
  const share = shards.map((s) => s.lengths.length / total);
  const loss = others.reduce((sum, r, k) => sum + share[k + 1] * r.loss, share[0] * local.loss);
  const infeasible = others.reduce((sum, r) => sum + r.infeasible, local.infeasible);
  const grads = tf.tidy(() =>
    local.grads.map((g, j) =>
      others.reduce(
        (acc, r, k) => tf.add(acc, tf.mul(tf.tensor(r.grads[j], g.shape), share[k + 1])),
        tf.mul(g, share[0]),
      ),
    ),
  );
  tf.dispose(local.grads);
  return { loss, infeasible, grads };
}
