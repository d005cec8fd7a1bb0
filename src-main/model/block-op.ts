import * as tf from '@tensorflow/tfjs-core';
import { matMulFast } from './wasm-gradients.js';
import { depthwise1d, pointwise } from './layers.js';

/**
 * One residual block of the acoustic model as a single op with a hand-written backward pass:
 *
 *   padded [B, left + T + right, C] ─ depthwise_k ─ pointwise (W, bias) ─ LN (γ, β) ─ ReLU ─ dropout ─(+ x)→ y
 *
 * where x is `padded` without its padding. Left to autodiff, the block's dozen ops each keep their inputs
 * for the backward pass (several [B, T, C] tensors kept only for their shape) and broadcasting gradients
 * add reductions. This keeps the padded input, the normalised activations x̂, 1/std per frame and the
 * dropout mask, and recomputes the cheap depthwise output in the backward pass: training holds a third
 * of the memory per block and runs fewer kernels.
 */
export interface BlockParams {
  depthwise: tf.Tensor2D; // [K, C]
  weight: tf.Tensor2D; // [C, C]
  bias: tf.Tensor1D; // [C]
  gamma: tf.Tensor1D; // [C]
  beta: tf.Tensor1D; // [C]
}

export interface BlockOptions {
  /** Frames of left padding in `padded` (where x starts). */
  left: number;
  eps: number;
  /** Dropout rate on the branch; 0 = none. */
  dropout: number;
  /** Seed of the dropout mask (the same draw as tf.dropout with this seed). */
  seed?: number;
}

/** What depthwise1d passes to tfjs's depthwise conv at stride 1. */
const DEPTHWISE_ATTRS: tf.NamedAttrMap = { strides: [1, 1], pad: 'valid', dilations: [1, 1] };

export function residualBlock(padded: tf.Tensor3D, p: BlockParams, o: BlockOptions): tf.Tensor3D {
  const [B, Tp, C] = padded.shape;
  const K = p.depthwise.shape[0];
  const T = Tp - K + 1;
  const right = Tp - o.left - T;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [pad, wdw, w, bias, gamma, beta] = args as tf.Tensor[];
    const save = args[6] as tf.GradSaveFunc;
    const d = depthwise1d(pad as tf.Tensor3D, wdw as tf.Tensor2D, 1); // [B, T, C]
    const z = pointwise(d, w as tf.Tensor2D, bias as tf.Tensor1D); // [B, T, C]
    const mean = tf.mean(z, -1, true); // [B, T, 1]
    const centred = tf.sub(z, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), o.eps)); // [B, T, 1]
    const xhat = tf.mul(centred, rstd); // [B, T, C]
    const a = tf.relu(tf.add(tf.mul(xhat, gamma), beta)); // [B, T, C]
    // tf.dropout's own draw, so a seed gives the same mask as it would there.
    const keep = 1 - o.dropout;
    const mask =
      o.dropout > 0
        ? tf.div(tf.floor(tf.add(tf.randomUniform([B, T, C], 0, 1, 'float32', o.seed), keep)), keep)
        : tf.ones([1, 1, 1]); // [B, T, C] of 0 or 1/keep
    const x = tf.slice(pad, [0, o.left, 0], [B, T, C]); // [B, T, C] the unpadded input
    save([pad, wdw, w, xhat, rstd, gamma, beta, mask]);
    return {
      value: tf.add(x, tf.mul(a, mask)),
      // tfjs runs a custom gradient outside any scope of its own: without this tidy every temporary of
      // every block's backward pass would live until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sPad, sWdw, sW, sXhat, sRstd, sGamma, sBeta, sMask] = saved;
          // Through dropout and ReLU: the ReLU passes where γx̂ + β > 0.
          const live = tf.step(tf.add(tf.mul(sXhat, sGamma), sBeta), 0); // [B, T, C]
          const dn = tf.mul(tf.mul(dy, sMask), live); // [B, T, C]
          // Layer norm.
          const frames = [0, 1];
          const dGamma = tf.sum(tf.mul(dn, sXhat), frames);
          const dBeta = tf.sum(dn, frames);
          const gy = tf.mul(dn, sGamma);
          const dz = tf.mul(
            sRstd,
            tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(sXhat, tf.mean(tf.mul(gy, sXhat), -1, true))),
          ); // [B, T, C]
          // Pointwise: dW = dᵀ·dz over every frame, dd = dz·Wᵀ.
          const d2 = tf.reshape(depthwise1d(sPad as tf.Tensor3D, sWdw as tf.Tensor2D, 1), [B * T, C]); // [B·T, C]
          const dz2 = tf.reshape(dz, [B * T, C]); // [B·T, C]
          const dW = matMulFast(d2, dz2, true, false); // [C, C]
          const dBias = tf.sum(dz2, 0);
          const dd = tf.reshape(matMulFast(dz2, sW, false, true), [B, T, C]); // [B, T, C]
          // Depthwise: the registered gradient of the kernel depthwise1d runs (the wasm-friendly one on wasm).
          const img = tf.reshape(sPad, [B, 1, Tp, C]); // [B, 1, Tp, C] as depthwise1d shapes it
          const filter = tf.reshape(sWdw, [1, K, C, 1]); // [1, K, C, 1]
          const depthwiseGrad = tf.getGradient('DepthwiseConv2dNative');
          if (depthwiseGrad == null) throw new Error('no gradient registered for DepthwiseConv2dNative');
          const g = depthwiseGrad.gradFunc(tf.reshape(dd, [B, 1, T, C]), [img, filter], DEPTHWISE_ATTRS);
          const dPadConv = tf.reshape(g.x(), [B, Tp, C]);
          const dWdw = tf.reshape(g.filter(), [K, C]);
          // The residual path carries dy straight to x's frames of the padded input.
          const dPad = tf.add(
            dPadConv,
            tf.pad(dy, [
              [0, 0],
              [o.left, right],
              [0, 0],
            ]),
          );
          return [dPad, dWdw, dW, dBias, dGamma, dBeta];
        }),
    };
  });
  return op(padded, p.depthwise, p.weight, p.bias, p.gamma, p.beta) as tf.Tensor3D;
}
