// The wasm gradient rewrites against the cpu backend's reference gradients. Both backends live in this
// process; each case computes on wasm (rewritten gradients) and on cpu (tfjs-core's own), then compares.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { matMulFast } from '../../src-main/model/wasm-gradients.js';
import { lcgValues } from './lcg.js';

const TOLERANCE = 1e-4; // relative to the reference's largest magnitude

interface Input {
  shape: number[];
  seed: number;
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Gradients of Σ f(xs)·r (r fixed and uneven, so every dy entry differs) on `backend`. */
async function gradsOn(
  backend: string,
  f: Fn,
  inputs: Input[],
): Promise<{ y: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(lcgValues(tf.util.sizeFromShape(i.shape), i.seed), i.shape));
    const y = f(...xs);
    const r = tf.tensor(lcgValues(y.size, 99), y.shape);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), r)))(xs);
    for (const [g, x] of grads.map((g, i) => [g, xs[i]] as const)) expect(g.shape).toEqual(x.shape);
    return { y: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let largest = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    largest = Math.max(largest, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  expect(largest, `${what}: the reference is not all zero`).toBeGreaterThan(0.1);
  const scale = Math.max(1, largest);
  expect(worst / scale, `${what}: max |wasm − cpu| = ${worst} at scale ${scale}`).toBeLessThan(TOLERANCE);
}

/** Compares wasm's gradients of f with the cpu reference's gradients of `reference` (default: f itself). */
async function compare(name: string, f: Fn, inputs: Input[], reference: Fn = f): Promise<void> {
  const wasm = await gradsOn('wasm', f, inputs);
  const cpu = await gradsOn('cpu', reference, inputs);
  expectClose(wasm.y, cpu.y, `${name} forward`);
  wasm.grads.forEach((g, i) => expectClose(g, cpu.grads[i], `${name} grad ${i}`));
}

/**
 * Zero-inserts a kernel [kh, kw, ...] to its dilated extent [(kh−1)·dh+1, (kw−1)·dw+1, ...], with
 * differentiable ops, so the cpu reference can run a dilated convolution as an undilated one (tfjs-core's
 * own conv gradients refuse dilation).
 */
function dilateKernel(w: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const spread = (t: tf.Tensor4D, axis: 0 | 1, rate: number): tf.Tensor4D => {
    if (rate === 1) return t;
    const parts: tf.Tensor4D[] = [];
    const taps = t.shape[axis];
    const zerosShape = [...t.shape] as [number, number, number, number];
    zerosShape[axis] = rate - 1;
    for (let i = 0; i < taps; i++) {
      const begin = [0, 0, 0, 0];
      const size = [...t.shape];
      begin[axis] = i;
      size[axis] = 1;
      parts.push(tf.slice(t, begin, size));
      if (i < taps - 1) parts.push(tf.zeros(zerosShape));
    }
    return tf.concat(parts, axis);
  };
  return spread(spread(w, 0, dh), 1, dw);
}

beforeAll(async () => {
  const info = await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  expect(info.name).toBe('wasm');
});

describe('the premise', () => {
  it('wasm has no kernels for the conv weight and depthwise gradients', () => {
    for (const kernel of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
    ]) {
      expect(tf.getKernel(kernel, 'wasm'), kernel).toBeUndefined();
      expect(tf.getKernel(kernel, 'cpu'), kernel).toBeDefined();
    }
  });
});

describe('conv2d gradients on wasm', () => {
  const cases: { strides: number; pad: 'same' | 'valid' | number; dilations: number }[] = [
    { strides: 1, pad: 'same', dilations: 1 },
    { strides: 1, pad: 'valid', dilations: 1 },
    { strides: 2, pad: 'same', dilations: 1 },
    { strides: 2, pad: 'valid', dilations: 1 },
    { strides: 2, pad: 1, dilations: 1 },
    { strides: 1, pad: 'same', dilations: 2 },
    { strides: 1, pad: 'valid', dilations: 2 },
  ];
  for (const { strides, pad, dilations } of cases) {
    it(`strides ${strides}, pad ${pad}, dilation ${dilations}`, async () => {
      const inputs = [
        { shape: [2, 9, 8, 3], seed: 1 }, // x [B, H, W, Ci]
        { shape: [3, 3, 3, 4], seed: 2 }, // filter [kh, kw, Ci, Co]
      ];
      const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad, 'NHWC', dilations);
      const reference: Fn = (x, w) =>
        tf.conv2d(x as tf.Tensor4D, dilateKernel(w as tf.Tensor4D, dilations, dilations), strides, pad);
      await compare('conv2d', f, inputs, reference);
    });
  }
});

describe('conv1d gradients on wasm', () => {
  const cases: { stride: number; pad: 'same' | 'valid'; dilation: number }[] = [
    { stride: 1, pad: 'same', dilation: 1 },
    { stride: 2, pad: 'same', dilation: 1 },
    { stride: 2, pad: 'valid', dilation: 1 },
    { stride: 1, pad: 'same', dilation: 2 },
    { stride: 1, pad: 'valid', dilation: 3 },
  ];
  for (const { stride, pad, dilation } of cases) {
    it(`stride ${stride}, pad ${pad}, dilation ${dilation}`, async () => {
      const inputs = [
        { shape: [3, 41, 5], seed: 3 }, // x [B, T, Ci]
        { shape: [5, 5, 6], seed: 4 }, // filter [k, Ci, Co]
      ];
      const f: Fn = (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, pad, 'NWC', dilation);
      const reference: Fn = (x, w) => {
        const w4 = dilateKernel(tf.expandDims(w, 0) as tf.Tensor4D, 1, dilation); // [1, k', Ci, Co]
        return tf.conv1d(x as tf.Tensor3D, tf.squeeze(w4, [0]) as tf.Tensor3D, stride, pad);
      };
      await compare('conv1d', f, inputs, reference);
    });
  }
});

describe('conv2d gradients on wasm, even kernels', () => {
  for (const strides of [1, 2]) {
    it(`kernel 4×2, strides ${strides}, pad same`, async () => {
      const inputs = [
        { shape: [2, 11, 6, 3], seed: 19 },
        { shape: [4, 2, 3, 2], seed: 20 },
      ];
      await compare(
        'conv2d even kernel',
        (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, 'same'),
        inputs,
      );
    });
  }
});

describe('depthwiseConv2d gradients on wasm', () => {
  const cases: { strides: number; pad: 'same' | 'valid'; dilations: number; multiplier: number }[] = [
    { strides: 1, pad: 'same', dilations: 1, multiplier: 1 },
    { strides: 1, pad: 'valid', dilations: 1, multiplier: 1 },
    { strides: 2, pad: 'same', dilations: 1, multiplier: 1 },
    { strides: 2, pad: 'valid', dilations: 1, multiplier: 2 },
    { strides: 1, pad: 'same', dilations: 2, multiplier: 1 },
    { strides: 1, pad: 'valid', dilations: 2, multiplier: 2 },
    { strides: 1, pad: 'same', dilations: 1, multiplier: 3 },
  ];
  for (const { strides, pad, dilations, multiplier } of cases) {
    it(`strides ${strides}, pad ${pad}, dilation ${dilations}, multiplier ${multiplier}`, async () => {
      const inputs = [
        { shape: [2, 10, 9, 4], seed: 5 }, // x [B, H, W, C]
        { shape: [3, 3, 4, multiplier], seed: 6 }, // filter [kh, kw, C, M]
      ];
      const f: Fn = (x, w) =>
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad, 'NHWC', dilations);
      const reference: Fn = (x, w) =>
        tf.depthwiseConv2d(
          x as tf.Tensor4D,
          dilateKernel(w as tf.Tensor4D, dilations, dilations),
          strides,
          pad,
        );
      await compare('depthwiseConv2d', f, inputs, reference);
    });
  }

  // Even kernels pad one side more than the other under 'same'.
  for (const strides of [1, 2]) {
    it(`even kernel 2×4, strides ${strides}, pad same`, async () => {
      const inputs = [
        { shape: [3, 6, 11, 2], seed: 17 },
        { shape: [2, 4, 2, 2], seed: 18 },
      ];
      const f: Fn = (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, 'same');
      await compare('depthwiseConv2d even kernel', f, inputs);
    });
  }

  // The acoustic model's shape: a depthwise conv over time, as [B, 1, T, C] with a [1, k, C, 1] kernel.
  for (const dilation of [1, 2, 4]) {
    it(`over time: batch 4, 64 channels, kernel 9, dilation ${dilation}`, async () => {
      const inputs = [
        { shape: [4, 1, 120, 64], seed: 7 },
        { shape: [1, 9, 64, 1], seed: 8 },
      ];
      const f: Fn = (x, w) =>
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', [1, dilation]);
      const reference: Fn = (x, w) =>
        tf.depthwiseConv2d(x as tf.Tensor4D, dilateKernel(w as tf.Tensor4D, 1, dilation), 1, 'same');
      await compare('depthwise over time', f, inputs, reference);
    });
  }
});

describe('matMul gradients on wasm', () => {
  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`batched, transposeA ${transposeA}, transposeB ${transposeB}`, async () => {
      const inputs = [
        { shape: transposeA ? [3, 5, 4] : [3, 4, 5], seed: 9 },
        { shape: transposeB ? [3, 6, 5] : [3, 5, 6], seed: 10 },
      ];
      await compare('matMul', (a, b) => tf.matMul(a, b, transposeA, transposeB), inputs);
      await compare('matMulFast', (a, b) => matMulFast(a, b, transposeA, transposeB), inputs);
    });
  }

  it('2-D, as a dense layer makes it', async () => {
    const inputs = [
      { shape: [16, 24], seed: 11 },
      { shape: [24, 8], seed: 12 },
    ];
    await compare('dense', (a, b) => tf.matMul(a, b), inputs);
  });

  it('broadcast over the batch: the shared operand gets the summed gradient', async () => {
    const inputs = [
      { shape: [3, 4, 5], seed: 13 },
      { shape: [5, 6], seed: 14 },
    ];
    // tfjs-core's own gradient does not sum over broadcast axes; the reference tiles b explicitly.
    const reference: Fn = (a, b) => tf.matMul(a, tf.tile(tf.expandDims(b, 0), [3, 1, 1]));
    await compare('broadcast matMul', (a, b) => tf.matMul(a, b), inputs, reference);
  });
});

describe('only on wasm', () => {
  it('the cpu backend keeps tfjs-core gradients, which refuse dilation', async () => {
    await tf.setBackend('cpu');
    const x = tf.ones([1, 8, 8, 2]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)),
    );
    expect(() => g([x, w])).toThrow(/dilation/);
    await tf.setBackend('wasm');
    expect(g([x, w]).map((t) => t.shape)).toEqual([x.shape, w.shape]);
  });

  it('matMulFast passes transpose flags through off wasm', async () => {
    await tf.setBackend('cpu');
    const a = tf.tensor(lcgValues(2 * 7 * 5, 15), [2, 7, 5]);
    const b = tf.tensor(lcgValues(2 * 7 * 5, 16), [2, 7, 5]);
    for (const [transposeA, transposeB] of [
      [true, false],
      [false, true],
    ] as const) {
      const expected = tf.matMul(a, b, transposeA, transposeB);
      expect(Array.from(matMulFast(a, b, transposeA, transposeB).dataSync())).toEqual(
        Array.from(expected.dataSync()),
      );
    }
    await tf.setBackend('wasm');
  });
});
