// The layer functions against plain loops written here, on wasm (production) and cpu, values and gradients.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  convOutputFrames,
  depthwise1d,
  layerNorm,
  padTime,
  pointwise,
  stackedConv1d,
  timeMask,
} from '../../src-main/model/layers.js';
import { maxAbsDiff, randomValues, useBackend } from '../training/helpers-tf.js';

/** Naive valid 1-D convolution over all channels: x [B, Tp, Cin], w [K·Cin, Cout] (tap-major rows). */
function naiveConv(
  x: Float32Array,
  [B, Tp, Cin]: number[],
  w: Float32Array,
  b: Float32Array,
  K: number,
  stride: number,
  Cout: number,
): Float32Array {
  const Tout = Tp < K ? 0 : Math.floor((Tp - K) / stride) + 1;
  const y = new Float32Array(B * Tout * Cout);
  for (let n = 0; n < B; n++)
    for (let t = 0; t < Tout; t++)
      for (let o = 0; o < Cout; o++) {
        let s = b[o];
        for (let k = 0; k < K; k++)
          for (let c = 0; c < Cin; c++)
            s += x[(n * Tp + t * stride + k) * Cin + c] * w[(k * Cin + c) * Cout + o];
        y[(n * Tout + t) * Cout + o] = s;
      }
  return y;
}

/** Naive depthwise valid conv: x [B, Tp, C], w [K, C]. */
function naiveDepthwise(x: Float32Array, [B, Tp, C]: number[], w: Float32Array, K: number, stride: number) {
  const Tout = Tp < K ? 0 : Math.floor((Tp - K) / stride) + 1;
  const y = new Float32Array(B * Tout * C);
  for (let n = 0; n < B; n++)
    for (let t = 0; t < Tout; t++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[(n * Tp + t * stride + k) * C + c] * w[k * C + c];
        y[(n * Tout + t) * C + c] = s;
      }
  return y;
}

describe('convOutputFrames', () => {
  it('counts the windows a padded strided convolution fits, by brute force', () => {
    for (const kernel of [1, 2, 3, 5, 15])
      for (const stride of [1, 2, 3])
        for (let left = 0; left < kernel; left++)
          for (const right of [0, 1, kernel - 1])
            for (let T = 0; T < 40; T++) {
              let windows = 0;
              for (let start = 0; start + kernel <= left + T + right; start += stride) windows++;
              expect(convOutputFrames(T, kernel, stride, left, right)).toBe(windows);
            }
  });
});

describe.each(['wasm', 'cpu'] as const)('layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('layerNorm normalises each frame over channels, then scales and shifts', () => {
    const [B, T, C] = [2, 5, 7];
    const x = randomValues(B * T * C, 1, -3, 5);
    const gamma = randomValues(C, 2, 0.5, 2);
    const beta = randomValues(C, 3);
    const eps = 1e-5;
    const got = tf.tidy(
      () =>
        layerNorm(
          tf.tensor3d(x, [B, T, C]),
          tf.tensor1d(gamma),
          tf.tensor1d(beta),
          eps,
        ).dataSync() as Float32Array,
    );
    const want = new Float32Array(x.length);
    for (let r = 0; r < B * T; r++) {
      const row = x.subarray(r * C, (r + 1) * C);
      const mean = row.reduce((a, v) => a + v, 0) / C;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / C;
      for (let c = 0; c < C; c++)
        want[r * C + c] = ((row[c] - mean) / Math.sqrt(variance + eps)) * gamma[c] + beta[c];
    }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });

  it('layerNorm has the gradient autodiff gives the same computation in plain ops', () => {
    const [B, T, C] = [3, 4, 6];
    const eps = 1e-5;
    const x = tf.tensor3d(randomValues(B * T * C, 7, -2, 3), [B, T, C]);
    const gamma = tf.tensor1d(randomValues(C, 8, 0.5, 2));
    const beta = tf.tensor1d(randomValues(C, 9));
    const weights = tf.tensor3d(randomValues(B * T * C, 10), [B, T, C]); // a loss that weighs every output
    const plain = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const mean = tf.mean(a, -1, true);
      const centred = tf.sub(a, mean);
      const variance = tf.mean(tf.square(centred), -1, true);
      return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), g), b);
    };
    const loss =
      (f: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.square(f(a, g, b)), weights));
    const want = tf.grads(loss(plain))([x, gamma, beta]);
    const got = tf.grads(
      loss((a, g, b) => layerNorm(a as tf.Tensor3D, g as tf.Tensor1D, b as tf.Tensor1D, eps)),
    )([x, gamma, beta]);
    got.forEach((g, k) => {
      expect(g.shape).toEqual(want[k].shape);
      expect(maxAbsDiff(g.dataSync() as Float32Array, want[k].dataSync() as Float32Array)).toBeLessThan(1e-4);
    });
    tf.dispose([x, gamma, beta, weights, ...want, ...got]);
  });

  it('pointwise is a matMul per frame', () => {
    const [B, T, Cin, Cout] = [3, 4, 5, 6];
    const x = randomValues(B * T * Cin, 4);
    const w = randomValues(Cin * Cout, 5);
    const b = randomValues(Cout, 6);
    const got = tf.tidy(
      () =>
        pointwise(
          tf.tensor3d(x, [B, T, Cin]),
          tf.tensor2d(w, [Cin, Cout]),
          tf.tensor1d(b),
        ).dataSync() as Float32Array,
    );
    expect(maxAbsDiff(got, naiveConv(x, [B, T, Cin], w, b, 1, 1, Cout))).toBeLessThan(1e-5);
  });

  it.each([
    [3, 1],
    [3, 2],
    [5, 2],
    [4, 1],
  ])('depthwise1d (kernel %i, stride %i) matches a plain loop', (K, stride) => {
    const [B, Tp, C] = [2, 17, 6];
    const x = randomValues(B * Tp * C, 7);
    const w = randomValues(K * C, 8);
    const y = tf.tidy(() => depthwise1d(tf.tensor3d(x, [B, Tp, C]), tf.tensor2d(w, [K, C]), stride));
    expect(y.shape).toEqual([B, convOutputFrames(Tp, K, stride, 0, 0), C]);
    expect(maxAbsDiff(y.dataSync(), naiveDepthwise(x, [B, Tp, C], w, K, stride))).toBeLessThan(1e-5);
    y.dispose();
  });

  it.each([
    [3, 2, 20],
    [3, 2, 21],
    [5, 2, 9],
    [3, 1, 8],
    [2, 3, 14],
    [3, 2, 3],
  ])('stackedConv1d (kernel %i, stride %i, %i frames) matches a plain loop', (K, stride, Tp) => {
    const [B, Cin, Cout] = [2, 5, 4];
    const x = randomValues(B * Tp * Cin, 9);
    const w = randomValues(K * Cin * Cout, 10);
    const b = randomValues(Cout, 11);
    const y = tf.tidy(() =>
      stackedConv1d(tf.tensor3d(x, [B, Tp, Cin]), tf.tensor2d(w, [K * Cin, Cout]), tf.tensor1d(b), K, stride),
    );
    expect(y.shape).toEqual([B, convOutputFrames(Tp, K, stride, 0, 0), Cout]);
    expect(maxAbsDiff(y.dataSync(), naiveConv(x, [B, Tp, Cin], w, b, K, stride, Cout))).toBeLessThan(1e-5);
    y.dispose();
  });

  it('stackedConv1d and depthwise1d have the gradients of the convolutions they compute', () => {
    // Σ y·r is linear in x, w and b, so its exact gradient is read off the plain loop by unit probes.
    const [B, Tp, Cin, Cout, K, stride] = [2, 11, 3, 4, 3, 2];
    const x = randomValues(B * Tp * Cin, 12);
    const w = randomValues(K * Cin * Cout, 13);
    const b = randomValues(Cout, 14);
    const Tout = convOutputFrames(Tp, K, stride, 0, 0);
    const r = randomValues(B * Tout * Cout, 15);
    const objective = (xs: Float32Array, ws: Float32Array, bs: Float32Array) =>
      naiveConv(xs, [B, Tp, Cin], ws, bs, K, stride, Cout).reduce((a, v, i) => a + v * r[i], 0);
    const probe = (which: 0 | 1 | 2, size: number) => {
      const g = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const args = [x, w, b].map((a) => a.slice()) as [Float32Array, Float32Array, Float32Array];
        const zero = [x, w, b].map((a) => a.slice()) as [Float32Array, Float32Array, Float32Array];
        args[which][i] += 1;
        g[i] = objective(...args) - objective(...zero);
      }
      return g;
    };
    const [gx, gw, gb] = tf.tidy(() => {
      const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
        tf.sum(
          tf.mul(
            stackedConv1d(xt as tf.Tensor3D, wt as tf.Tensor2D, bt as tf.Tensor1D, K, stride),
            tf.tensor3d(r, [B, Tout, Cout]),
          ),
        );
      return tf
        .grads(f)([tf.tensor3d(x, [B, Tp, Cin]), tf.tensor2d(w, [K * Cin, Cout]), tf.tensor1d(b)])
        .map((t) => t.dataSync() as Float32Array);
    });
    expect(maxAbsDiff(gx, probe(0, x.length))).toBeLessThan(1e-4);
    expect(maxAbsDiff(gw, probe(1, w.length))).toBeLessThan(1e-4);
    expect(maxAbsDiff(gb, probe(2, b.length))).toBeLessThan(1e-4);

    // Depthwise: the same check for its input and filter.
    const wd = randomValues(K * Cin, 16);
    const Td = convOutputFrames(Tp, K, stride, 0, 0);
    const rd = randomValues(B * Td * Cin, 17);
    const dObjective = (xs: Float32Array, ws: Float32Array) =>
      naiveDepthwise(xs, [B, Tp, Cin], ws, K, stride).reduce((a, v, i) => a + v * rd[i], 0);
    const [dgx, dgw] = tf.tidy(() =>
      tf
        .grads((xt: tf.Tensor, wt: tf.Tensor) =>
          tf.sum(
            tf.mul(depthwise1d(xt as tf.Tensor3D, wt as tf.Tensor2D, stride), tf.tensor3d(rd, [B, Td, Cin])),
          ),
        )([tf.tensor3d(x, [B, Tp, Cin]), tf.tensor2d(wd, [K, Cin])])
        .map((t) => t.dataSync() as Float32Array),
    );
    const base = dObjective(x, wd);
    const wantX = x.map((_, i) => {
      const xs = x.slice();
      xs[i] += 1;
      return dObjective(xs, wd) - base;
    });
    const wantW = wd.map((_, i) => {
      const ws = wd.slice();
      ws[i] += 1;
      return dObjective(x, ws) - base;
    });
    expect(maxAbsDiff(dgx, wantX)).toBeLessThan(1e-4);
    expect(maxAbsDiff(dgw, wantW)).toBeLessThan(1e-4);
  });

  it('padTime adds zero frames on either side; timeMask marks each utterance length', () => {
    const x = tf.tensor3d(randomValues(2 * 3 * 2, 18), [2, 3, 2]);
    const p = padTime(x, 2, 1);
    expect(p.shape).toEqual([2, 6, 2]);
    const d = p.dataSync();
    for (let n = 0; n < 2; n++)
      for (const t of [0, 1, 5]) expect([d[(n * 6 + t) * 2], d[(n * 6 + t) * 2 + 1]]).toEqual([0, 0]);
    expect(padTime(x, 0, 0)).toBe(x);
    const m = timeMask([3, 0, 7], 5);
    expect(m.shape).toEqual([3, 5, 1]);
    expect([...m.dataSync()]).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    tf.dispose([x, p, m]);
  });
});
