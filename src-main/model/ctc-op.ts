import * as tf from '@tensorflow/tfjs-core';
import { type CtcOptions, CtcWorkspace, ctcLossAndGradBatch, DEFAULT_CTC_OPTIONS } from '../speech/ctc.js';

/**
 * CTC loss as a differentiable tfjs op. The forward–backward pass runs in TypeScript (speech/ctc.ts)
 * on the logits read back from the backend; its exact gradient is handed to tfjs through
 * customGrad. Reading the logits back costs one sync per step, which is small next to the model.
 */
export interface CtcLossResult {
  /** Scalar loss (reduced as in PyTorch: per-utterance loss / target length, mean over the batch). */
  loss: tf.Scalar;
  /** Utterances whose targets cannot fit their output length; their loss and gradient are zero. */
  infeasible: number;
  /** Per-utterance losses before reduction (0 for infeasible ones). */
  losses: Float64Array;
}

/**
 * logits: [B, T, C] unnormalised (log-softmax is applied inside); outputLengths: valid frames per
 * utterance (from the model, never recomputed by hand); targets: class ids per utterance.
 */
export function ctcLoss(
  logits: tf.Tensor3D,
  outputLengths: readonly number[],
  targets: readonly ArrayLike<number>[],
  blank: number,
  options: CtcOptions = DEFAULT_CTC_OPTIONS,
  workspace: CtcWorkspace = new CtcWorkspace(),
): CtcLossResult {
  const [B, T, C] = logits.shape;
  let infeasible = 0;
  let losses: Float64Array = new Float64Array(B);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const r = ctcLossAndGradBatch(x.dataSync(), B, T, C, outputLengths, targets, blank, options, workspace);
    infeasible = r.infeasible;
    losses = r.losses;
    const grad = tf.tensor3d(r.grad, [B, T, C]); // [B, T, C] ∂loss/∂logits
    save([grad]);
    return {
      value: tf.scalar(r.loss),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]),
    };
  });
  const loss = op(logits) as tf.Scalar;
  return { loss, infeasible, losses };
}
