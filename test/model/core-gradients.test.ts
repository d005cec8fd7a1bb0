import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { prodGradConfig, registerCoreGradients } from '../../src-main/model/core-gradients.js';
import { lcgValues } from './lcg.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('registerCoreGradients', () => {
  it('gives the kernels a model trains through their gradients, once', async () => {
    const first = await registerCoreGradients();
    expect(await registerCoreGradients()).toBe(first);
    for (const kernel of [
      'Conv2D',
      'DepthwiseConv2dNative',
      'BatchMatMul',
      'Relu',
      'Sum',
      'Prod',
      'LogSoftmax',
    ]) {
      expect(tf.getGradient(kernel), kernel).toBeDefined();
    }
    expect(first.failed).toEqual([]);
  });
});

/** d(Σ dy · prod(x, axes))/dx by brute force: for each entry, dy times the product of the others it meets. */
function prodGradByHand(x: tf.Tensor, axes: number[], dy: Float32Array): Float32Array {
  const values = x.dataSync();
  const strides = tf.util.computeStrides(x.shape);
  const index = (flat: number): number[] => x.shape.map((n, d) => Math.floor(flat / (strides[d] ?? 1)) % n);
  const outKey = (idx: number[]): string => idx.filter((_, d) => !axes.includes(d)).join(',');
  const keys = [...new Set(Array.from(values, (_, i) => outKey(index(i))))];
  return Float32Array.from(values, (_, i) => {
    const key = outKey(index(i));
    let others = 1;
    for (let j = 0; j < values.length; j++) if (j !== i && outKey(index(j)) === key) others *= values[j];
    return dy[keys.indexOf(key)] * others;
  });
}

describe('the Prod gradient', () => {
  // Zeros included, where dividing the product by each entry would fail.
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [7], axis: 0, keepDims: false },
    { shape: [3, 5], axis: 1, keepDims: true },
    { shape: [2, 3, 4], axis: [0, 2], keepDims: false },
  ];
  for (const { shape, axis, keepDims } of cases) {
    it(`shape ${shape}, axis ${axis}, keepDims ${keepDims}`, async () => {
      await registerCoreGradients();
      expect(tf.getGradient('Prod')).toBe(prodGradConfig);
      const values = lcgValues(tf.util.sizeFromShape(shape), 21).map((v, i) => (i % 5 === 2 ? 0 : v + 1.5));
      const x = tf.tensor(values, shape);
      const y = tf.prod(x, axis, keepDims);
      const dy = tf.tensor(lcgValues(y.size, 22), y.shape);
      const actual = tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.prod(t, axis, keepDims), dy)))(x)
        .dataSync();
      const expected = prodGradByHand(x, tf.util.parseAxisParam(axis, shape), dy.dataSync() as Float32Array);
      expect(expected.some((v) => v !== 0)).toBe(true);
      Array.from(actual).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    });
  }
});
