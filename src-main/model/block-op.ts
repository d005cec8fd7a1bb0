import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../speech/prng.js';
import { matMulFast } from './wasm-gradients.js';
import { depthwise1d, padTime, pointwise } from './layers.js';

/**
 * One residual block of the acoustic model as a single op with a hand-written backward pass:
 *
 *   x [B, T, C] ─ zero-pad (left, right) ─ depthwise_k ─ pointwise (W, bias) ─ LN (γ, β) ─ ReLU ─ dropout ─(+ x)→ y
 *
 * Left to autodiff, the block's dozen ops each keep their inputs for the backward pass (several [B, T, C]
 * tensors kept only for their shape) and broadcasting gradients add reductions. This keeps the padded input,
 * the normalised activations x̂, 1/std per frame and the dropout mask, and recomputes the cheap depthwise output
 * in the backward pass: training holds a third of the memory per block and runs fewer kernels. The padding
 * happens inside, so the residual reads x itself and x's gradient comes out at x's length, without the slices
 * and pads that padding outside would cost in both directions.
 */
export interface BlockParams {
  depthwise: tf.Tensor2D; // [K, C]
  weight: tf.Tensor2D; // [C, C]
  bias: tf.Tensor1D; // [C]
  gamma: tf.Tensor1D; // [C]
  beta: tf.Tensor1D; // [C]
}

export interface BlockOptions {
  /** Frames of zero padding before x (past context); with `right`, left + right + 1 = the kernel. */
  left: number;
  /** Frames of zero padding after x (look-ahead). */
  right: number;
  eps: number;
  /** Dropout rate on the branch; 0 = none. */
  dropout: number;
  /** Seed of the dropout mask (see dropoutMask); absent, a fresh one each call. */
  seed?: number;
}

/** What depthwise1d passes to tfjs's depthwise conv at stride 1. */
const DEPTHWISE_ATTRS: tf.NamedAttrMap = { strides: [1, 1], pad: 'valid', dilations: [1, 1] };

interface Branch {
  xhat: tf.Tensor3D; // [B, T, C] normalised pre-activations
  rstd: tf.Tensor3D; // [B, T, 1]
  a: tf.Tensor3D; // [B, T, C] after ReLU
}

/** The block's branch before dropout, over input already padded with its context: [B, left + T + right, C]. */
function branch(padded: tf.Tensor3D, p: BlockParams, eps: number): Branch {
  const d = depthwise1d(padded, p.depthwise, 1); // [B, T, C]
  const z = pointwise(d, p.weight, p.bias); // [B, T, C]
  const mean = tf.mean(z, -1, true); // [B, T, 1]
  const centred = tf.sub(z, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)) as tf.Tensor3D; // [B, T, 1]
  const xhat = tf.mul(centred, rstd) as tf.Tensor3D; // [B, T, C]
  const a = tf.relu(tf.add(tf.mul(xhat, p.gamma), p.beta)) as tf.Tensor3D; // [B, T, C]
  return { xhat, rstd, a };
}

/**
 * The block over a window that already holds its real context (streaming): inference only, no dropout.
 * window [B, left + T + right, C] → [B, T, C].
 */
export function residualBlockWindow(
  window: tf.Tensor3D,
  p: BlockParams,
  left: number,
  eps: number,
): tf.Tensor3D {
  const [B, Tp, C] = window.shape;
  const T = Tp - p.depthwise.shape[0] + 1;
  const x = tf.slice(window, [0, left, 0], [B, T, C]); // [B, T, C]
  return tf.add(x, branch(window, p, eps).a);
}

/**
 * Inverted-dropout mask: each value 1/keep with probability keep = 1 − rate, else 0, from a seeded mulberry32
 * stream so a resumed run draws the same masks. tfjs's randomUniform draws each value through seedrandom's
 * alea and needs three more ops to become a mask, for every block a large share of a training step with
 * dropout on; this loop fills the mask directly.
 */
export function dropoutMask(shape: [number, number, number], rate: number, seed?: number): tf.Tensor3D {
  if (!(rate > 0 && rate < 1)) throw new Error(`dropout rate must be between 0 and 1, got ${rate}`);
  const keep = 1 - rate;
  const scale = 1 / keep;
  const rand = mulberry32(seed ?? Math.floor(Math.random() * 2 ** 32));
  const values = new Float32Array(shape[0] * shape[1] * shape[2]); // [B, T, C], zeros where dropped
  for (let i = 0; i < values.length; i++) if (rand() < keep) values[i] = scale;
  return tf.tensor3d(values, shape);
}

/** Sums x [N, C] over its rows as a matMul with ones [1, N]: the reduction kernels of wasm transpose first. */
function sumRows(ones: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(ones, x), [x.shape[1]]);
}

/** The block with zero padding (offline forward and training): x [B, T, C] → [B, T, C]. */
export function residualBlock(x: tf.Tensor3D, p: BlockParams, o: BlockOptions): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const K = p.depthwise.shape[0];
  if (o.left + o.right + 1 !== K)
    throw new Error(`block padding ${o.left} + ${o.right} + 1 does not match the kernel of ${K}`);
  const Tp = T + K - 1;
  const N = B * T;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, wdw, w, bias, gamma, beta] = args as tf.Tensor[];
    const save = args[6] as tf.GradSaveFunc;
    const pad = padTime(input as tf.Tensor3D, o.left, o.right); // [B, Tp, C]
    const params = {
      depthwise: wdw as tf.Tensor2D,
      weight: w as tf.Tensor2D,
      bias: bias as tf.Tensor1D,
      gamma: gamma as tf.Tensor1D,
      beta: beta as tf.Tensor1D,
    };
    const { xhat, rstd, a } = branch(pad, params, o.eps);
    const mask = o.dropout > 0 ? dropoutMask([B, T, C], o.dropout, o.seed) : null; // [B, T, C]
    save(mask ? [pad, wdw, w, xhat, rstd, gamma, beta, mask] : [pad, wdw, w, xhat, rstd, gamma, beta]);
    return {
      value: tf.add(input, mask ? tf.mul(a, mask) : a),
      // tfjs runs a custom gradient outside any scope of its own: without this tidy every temporary of
      // every block's backward pass would live until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sPad, sWdw, sW, sXhat, sRstd, sGamma, sBeta, sMask] = saved;
          // Through dropout and ReLU: the ReLU passes where γx̂ + β > 0.
          const live = tf.step(tf.add(tf.mul(sXhat, sGamma), sBeta), 0); // [B, T, C]
          const dn = tf.mul(sMask ? tf.mul(dy, sMask) : dy, live); // [B, T, C]
          // Layer norm.
          const ones = tf.ones([1, N]) as tf.Tensor2D; // [1, B·T], for the three sums over frames
          const dGamma = sumRows(ones, tf.reshape(tf.mul(dn, sXhat), [N, C]) as tf.Tensor2D);
          const dBeta = sumRows(ones, tf.reshape(dn, [N, C]) as tf.Tensor2D);
          const gy = tf.mul(dn, sGamma);
          const dz = tf.mul(
            sRstd,
            tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(sXhat, tf.mean(tf.mul(gy, sXhat), -1, true))),
          ); // [B, T, C]
          // Pointwise: dW = dᵀ·dz over every frame, dd = dz·Wᵀ.
          const d2 = tf.reshape(depthwise1d(sPad as tf.Tensor3D, sWdw as tf.Tensor2D, 1), [N, C]); // [B·T, C]
          const dz2 = tf.reshape(dz, [N, C]) as tf.Tensor2D; // [B·T, C]
          const dW = matMulFast(d2, dz2, true, false); // [C, C]
          const dBias = sumRows(ones, dz2);
          const dd = tf.reshape(matMulFast(dz2, sW, false, true), [B, T, C]) as tf.Tensor3D; // [B, T, C]
          // Depthwise, input side: x's frames only. dx[t] = Σ_k dd[t + left − k]·w[k], a valid correlation of dd
          // padded by (right, left) with the flipped kernel.
          const flipped = tf.reverse(sWdw, 0) as tf.Tensor2D; // [K, C]
          const dxConv = depthwise1d(padTime(dd, o.right, o.left), flipped, 1); // [B, T, C]
          // Depthwise, kernel side: the registered gradient (the wasm-friendly one on wasm).
          const img = tf.reshape(sPad, [B, 1, Tp, C]); // [B, 1, Tp, C] as depthwise1d shapes it
          const filter = tf.reshape(sWdw, [1, K, C, 1]); // [1, K, C, 1]
          const depthwiseGrad = tf.getGradient('DepthwiseConv2dNative');
          if (depthwiseGrad == null) throw new Error('no gradient registered for DepthwiseConv2dNative');
          const g = depthwiseGrad.gradFunc(tf.reshape(dd, [B, 1, T, C]), [img, filter], DEPTHWISE_ATTRS);
          const dWdw = tf.reshape(g.filter(), [K, C]);
          // The residual path carries dy straight to x.
          const dx = tf.add(dy, dxConv);
          return [dx, dWdw, dW, dBias, dGamma, dBeta];
        }),
    };
  });
  return op(x, p.depthwise, p.weight, p.bias, p.gamma, p.beta) as tf.Tensor3D;
}
