// On wasm, Identity (tf.clone, and what the gradient tape keeps for the backward pass) shares the buffer
// like the cpu backend instead of copying it; buffers still go when their last tensor does.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../training/helpers-tf.js';

beforeAll(() => useBackend('wasm'));

describe('Identity on wasm', () => {
  it('shares the buffer, which outlives the original and is freed with the last tensor', () => {
    const before = tf.engine().backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = tf.clone(x);
    expect(c.dataId).toBe(x.dataId);
    expect(tf.engine().backend.numDataIds()).toBe(before + 1);
    x.dispose();
    expect([...c.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
    c.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });

  it('keeps gradients right while the tape holds shared buffers', () => {
    const x = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), tf.exp(v))))(x);
    // d/dx x²eˣ = (2x + x²)eˣ
    const want = [0.5, -1, 2].map((v) => (2 * v + v * v) * Math.exp(v));
    [...g.dataSync()].forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    tf.dispose([x, g]);
  });
});
