// The fused residual block against the same computation in plain ops under autodiff: value and all six
// gradients, with and without dropout, on wasm (its own depthwise gradients) and on cpu; and its streaming
// form over a window against it.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BlockParams,
  dropoutMask,
  residualBlock,
  residualBlockWindow,
} from '../../src-main/model/block-op.js';
import { depthwise1d, padTime, pointwise } from '../../src-main/model/layers.js';
import { maxAbsDiff, randomValues, useBackend } from '../training/helpers-tf.js';

type Six = [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];

function plainBlock(
  inputs: Six,
  left: number,
  right: number,
  eps: number,
  dropout: number,
  seed: number,
): tf.Tensor3D {
  const [x, wdw, w, bias, gamma, beta] = inputs;
  const padded = padTime(x, left, right);
  const z = pointwise(depthwise1d(padded, wdw, 1), w, bias);
  const mean = tf.mean(z, -1, true);
  const centred = tf.sub(z, mean);
  const n = tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)));
  let a = tf.relu(tf.add(tf.mul(n, gamma), beta));
  if (dropout > 0) a = tf.mul(a, dropoutMask(a.shape as [number, number, number], dropout, seed));
  return tf.add(x, a) as tf.Tensor3D;
}

describe.each(['wasm', 'cpu'] as const)('residualBlock on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  for (const dropout of [0, 0.3]) {
    it(`equals the plain ops in value and gradients (dropout ${dropout})`, () => {
      const [B, T, C, left, right] = [2, 11, 6, 3, 1];
      const K = left + right + 1;
      const eps = 1e-5;
      const inputs: Six = [
        tf.tensor3d(randomValues(B * T * C, 1, -2, 2), [B, T, C]),
        tf.tensor2d(randomValues(K * C, 2), [K, C]),
        tf.tensor2d(randomValues(C * C, 3), [C, C]),
        tf.tensor1d(randomValues(C, 4)),
        tf.tensor1d(randomValues(C, 5, 0.5, 2)),
        tf.tensor1d(randomValues(C, 6)),
      ];
      const weights = tf.tensor3d(randomValues(B * T * C, 7), [B, T, C]);
      const loss =
        (f: (...a: tf.Tensor[]) => tf.Tensor3D) =>
        (...a: tf.Tensor[]) =>
          tf.sum(tf.mul(tf.square(f(...a)), weights));
      const fused = (...a: tf.Tensor[]) =>
        residualBlock(
          a[0] as tf.Tensor3D,
          {
            depthwise: a[1] as tf.Tensor2D,
            weight: a[2] as tf.Tensor2D,
            bias: a[3] as tf.Tensor1D,
            gamma: a[4] as tf.Tensor1D,
            beta: a[5] as tf.Tensor1D,
          },
          { left, right, eps, dropout, seed: 42 },
        );
      const plain = (...a: tf.Tensor[]) => plainBlock(a as Six, left, right, eps, dropout, 42);
      const got = tf.tidy(() => fused(...inputs).dataSync() as Float32Array);
      const want = tf.tidy(() => plain(...inputs).dataSync() as Float32Array);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      const gGot = tf.grads(loss(fused))(inputs);
      const gWant = tf.grads(loss(plain))(inputs);
      gGot.forEach((g, k) => {
        expect(g.shape, `gradient ${k}`).toEqual(gWant[k].shape);
        const scale = Math.max(1, ...Array.from(gWant[k].dataSync(), Math.abs));
        expect(
          maxAbsDiff(g.dataSync() as Float32Array, gWant[k].dataSync() as Float32Array) / scale,
          `gradient ${k}`,
        ).toBeLessThan(1e-4);
      });
      tf.dispose([...inputs, weights, ...gGot, ...gWant]);
    });
  }

  it('over a zero-padded window equals the zero-padding op (the streaming path)', () => {
    const [B, T, C, left, right] = [2, 9, 4, 2, 1];
    const K = left + right + 1;
    const p: BlockParams = {
      depthwise: tf.tensor2d(randomValues(K * C, 12), [K, C]),
      weight: tf.tensor2d(randomValues(C * C, 13), [C, C]),
      bias: tf.tensor1d(randomValues(C, 14)),
      gamma: tf.tensor1d(randomValues(C, 15, 0.5, 2)),
      beta: tf.tensor1d(randomValues(C, 16)),
    };
    const x = tf.tensor3d(randomValues(B * T * C, 11, -2, 2), [B, T, C]);
    const got = tf.tidy(
      () => residualBlockWindow(padTime(x, left, right), p, left, 1e-5).dataSync() as Float32Array,
    );
    const want = tf.tidy(
      () => residualBlock(x, p, { left, right, eps: 1e-5, dropout: 0 }).dataSync() as Float32Array,
    );
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    expect(() => residualBlock(x, p, { left, right: right + 1, eps: 1e-5, dropout: 0 })).toThrow(
      /does not match the kernel/,
    );
    tf.dispose([x, ...Object.values(p)]);
  });
});

describe('dropoutMask', () => {
  it('keeps 1 − rate of the values, scaled by 1 / keep, the same for the same seed', () => {
    const shape: [number, number, number] = [4, 100, 250];
    const m = dropoutMask(shape, 0.3, 7);
    const v = m.dataSync();
    const kept = v.filter((x) => x !== 0);
    expect(kept.length / v.length).toBeGreaterThan(0.69);
    expect(kept.length / v.length).toBeLessThan(0.71);
    expect(kept.every((x) => Math.abs(x - 1 / 0.7) < 1e-6)).toBe(true);
    expect(Array.from(dropoutMask(shape, 0.3, 7).dataSync())).toEqual(Array.from(v));
    const other = dropoutMask(shape, 0.3, 8).dataSync();
    expect(other.some((x, i) => x !== v[i])).toBe(true);
    expect(() => dropoutMask(shape, 0, 1)).toThrow(/between 0 and 1/);
    expect(() => dropoutMask(shape, 1, 1)).toThrow(/between 0 and 1/);
  });
});
