import * as tf from '@tensorflow/tfjs-core';

/**
 * The few layer functions the acoustic model is made of, over time-major-in-the-middle tensors
 * [B, T, C]. Every time convolution here is "valid" over input that the caller has padded with
 * `left` past frames and `right` future frames, so the same function serves the offline forward
 * (zero padding) and the streaming forward (padding = carried state / look-ahead).
 */

/** Length arithmetic of a padded 1-D convolution; the one place output lengths are computed. */
export function convOutputFrames(
  inputFrames: number,
  kernel: number,
  stride: number,
  left: number,
  right: number,
): number {
  const padded = inputFrames + left + right;
  return padded < kernel ? 0 : Math.floor((padded - kernel) / stride) + 1;
}

/**
 * Layer norm over channels. x: [B, T, C] → [B, T, C].
 *
 * One op with its own gradient: left to autodiff, its eight elementwise ops each keep a [B, T, C] tensor
 * for the backward pass and their broadcasting gradients add reductions; this keeps only the normalised
 * input and 1/std per frame, which cuts a training step's peak memory and time.
 *   dx = (1/std) · (g − mean(g) − x̂ · mean(g · x̂)),  g = dy · γ;  dγ = Σ dy · x̂;  dβ = Σ dy.
 */
export function layerNorm(x: tf.Tensor3D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor3D {
  return layerNormOp(eps)(x, gamma, beta) as tf.Tensor3D;
}

const layerNormOps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

function layerNormOp(eps: number): (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, gamma, beta] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const mean = tf.mean(x, -1, true); // [B, T, 1]
      const centred = tf.sub(x, mean); // [B, T, C]
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)); // [B, T, 1]
      const xhat = tf.mul(centred, rstd); // [B, T, C]
      save([xhat, rstd, gamma]);
      return {
        value: tf.add(tf.mul(xhat, gamma), beta),
        // In a scope of its own: tfjs would otherwise keep these temporaries to the end of the backward pass.
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [xh, rs, g] = saved;
            const dyT = dy;
            const gy = tf.mul(dyT, g); // [B, T, C]
            const dx = tf.mul(
              rs,
              tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), -1, true))),
            );
            const frames = [...Array(dyT.rank - 1).keys()]; // every axis but the channels
            return [dx, tf.sum(tf.mul(dyT, xh), frames), tf.sum(dyT, frames)];
          }),
      };
    });
    layerNormOps.set(eps, op);
  }
  return op;
}

/** Position-wise linear map. x: [B, T, Cin], w: [Cin, Cout], b: [Cout] → [B, T, Cout]. */
export function pointwise(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [B, T, Cin] = x.shape;
  const flat = tf.reshape(x, [B * T, Cin]); // [B·T, Cin]
  const y = tf.add(tf.matMul(flat, w), b); // [B·T, Cout]
  return tf.reshape(y, [B, T, w.shape[1]]); // [B, T, Cout]
}

/**
 * Depthwise 1-D convolution, valid over already padded input.
 * x: [B, Tp, C], w: [K, C] → [B, floor((Tp − K) / stride) + 1, C].
 */
export function depthwise1d(x: tf.Tensor3D, w: tf.Tensor2D, stride: number): tf.Tensor3D {
  const [B, Tp, C] = x.shape;
  const K = w.shape[0];
  const img = tf.reshape(x, [B, 1, Tp, C]) as tf.Tensor4D; // [B, 1, Tp, C] as NHWC with H = 1
  const filter = tf.reshape(w, [1, K, C, 1]) as tf.Tensor4D; // [1, K, C, multiplier = 1]
  const y = tf.depthwiseConv2d(img, filter, [1, stride], 'valid'); // [B, 1, T', C]
  return tf.reshape(y, [B, y.shape[2], C]);
}

/**
 * Strided frame stacking followed by a linear map: a 1-D convolution over all channels written as
 * one matMul (its gradient needs only matMul, which every backend has).
 * x: [B, Tp, Cin], w: [K·Cin, Cout] → [B, floor((Tp − K) / stride) + 1, Cout].
 */
export function stackedConv1d(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  kernel: number,
  stride: number,
): tf.Tensor3D {
  const [B, Tp, Cin] = x.shape;
  const Tout = convOutputFrames(Tp, kernel, stride, 0, 0);
  // Pad so every tap can take a whole [Tout·stride] run; strided slices have no gradient in tfjs,
  // so the k-th tap is read as a reshape of a contiguous slice instead.
  const need = kernel - 1 + Tout * stride;
  const xp = need > Tp ? padTime(x, 0, need - Tp) : x; // [B, ≥need, Cin]
  const taps: tf.Tensor3D[] = [];
  for (let k = 0; k < kernel; k++) {
    const run = tf.slice(xp, [0, k, 0], [B, Tout * stride, Cin]); // [B, Tout·stride, Cin]
    const grouped = tf.reshape(run, [B, Tout, stride, Cin]); // [B, Tout, stride, Cin]
    const first = tf.slice(grouped, [0, 0, 0, 0], [B, Tout, 1, Cin]); // frame k + j·stride
    taps.push(tf.reshape(first, [B, Tout, Cin])); // [B, Tout, Cin]
  }
  const stacked = tf.concat(taps, 2); // [B, Tout, K·Cin]
  return pointwise(stacked, w, b);
}

/** Zero-pads the time axis. x: [B, T, C] → [B, left + T + right, C]. */
export function padTime(x: tf.Tensor3D, left: number, right: number): tf.Tensor3D {
  if (left === 0 && right === 0) return x;
  return tf.pad(x, [
    [0, 0],
    [left, right],
    [0, 0],
  ]);
}

/** [B, T, 1] mask with 1 for frames inside each utterance's length. */
export function timeMask(lengths: readonly number[], T: number): tf.Tensor3D {
  const data = new Float32Array(lengths.length * T);
  lengths.forEach((len, b) => data.fill(1, b * T, b * T + Math.min(len, T)));
  return tf.tensor3d(data, [lengths.length, T, 1]);
}
