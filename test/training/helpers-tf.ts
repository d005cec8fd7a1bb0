// Shared by the model and training tests: small model shapes, reproducible inputs and comparisons.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src-main/model/backend.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';

/**
 * Starts tfjs once per test file on the production wasm backend (one thread unless asked: the machine
 * is shared and test files run side by side), then switches to `backend`. tfjs-backend-cpu is
 * registered by the import above, so 'cpu' can be selected after wasm has started.
 */
export async function useBackend(backend: 'wasm' | 'cpu' = 'wasm', wasmThreads = 1): Promise<void> {
  await initBackend({ prefer: 'wasm', wasmThreads });
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend)))
    throw new Error(`backend ${backend} failed to start`);
}

/** A small model with look-ahead in both the subsampling and the blocks. */
export const SMALL: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  featureBins: 16,
  vocabSize: 12,
  channels: 24,
  subsampleStrides: [2, 2],
  blocks: 3,
  kernel: 5,
  blockRightContext: [1, 0, 2],
  dropout: 0.1,
};

/** Odd shapes: wider subsampling kernel with more look-ahead and stride 3, even block kernel. */
export const ODD: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  featureBins: 7,
  vocabSize: 5,
  channels: 16,
  subsampleKernel: 5,
  subsampleStrides: [3, 1],
  subsampleRightContext: 3,
  blocks: 2,
  kernel: 4,
  blockRightContext: [3, 0],
};

/** Fully causal: no look-ahead anywhere. */
export const CAUSAL: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  featureBins: 10,
  vocabSize: 8,
  channels: 16,
  subsampleRightContext: 0,
  blocks: 2,
  kernel: 3,
  blockRightContext: [0, 0],
};

/** A seeded uniform generator in [0, 1) (mulberry32, written out independently of the code under test). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random values in [lo, hi). */
export function randomValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = seeded(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + rand() * (hi - lo);
  return out;
}

/** Log-mel-like features [T, F]: values in the range real log-mel takes. */
export function randomFeatures(T: number, F: number, seed: number): Float32Array {
  return randomValues(T * F, seed, -12, 4);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Offline log-probs of one utterance alone: [T', V] row-major. */
export function offlineLogProbs(
  model: { logProbs: (x: tf.Tensor3D, l: number[]) => { logProbs: tf.Tensor3D; lengths: number[] } },
  feats: Float32Array,
  T: number,
  F: number,
): { data: Float32Array; frames: number } {
  const x = tf.tensor3d(feats, [1, T, F]);
  const { logProbs, lengths } = model.logProbs(x, [T]);
  x.dispose();
  const data = logProbs.dataSync() as Float32Array;
  const frames = logProbs.shape[1];
  logProbs.dispose();
  if (frames !== lengths[0]) throw new Error(`logProbs has ${frames} frames, lengths says ${lengths[0]}`);
  return { data, frames };
}
