// The matrix-multiply ceiling of the tfjs backend Attune trains on: one thread multiplying a [rows, k] by a
// [k, n] matrix (by default the shape of a block's pointwise layer over a training batch), in a process of its
// own so the backend starts with exactly one thread. Prints one JSON line {backend, threads, simd, gflops}.
//
//   npx tsx bench/gemm.ts [ROWS K N]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src-main/model/backend.js';
import { median } from './stats.js';

export interface GemmReport {
  backend: string;
  threads: number;
  shape: [number, number, number];
  gflops: number;
}

/** GFLOP/s of `reps` products, median of them, after warm-up. */
async function measure(rows: number, k: number, n: number, reps = 15): Promise<GemmReport> {
  const info = await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  const a = tf.randomNormal([rows, k]);
  const b = tf.randomNormal([k, n]);
  for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
  const seconds: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    seconds.push((performance.now() - t0) / 1000);
    c.dispose();
  }
  return {
    backend: info.name,
    threads: info.threads,
    shape: [rows, k, n],
    gflops: (2 * rows * k * n) / median(seconds) / 1e9,
  };
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [rows, k, n] = process.argv.slice(2, 5).map(Number);
  const report = await measure(rows || 3200, k || 192, n || 192);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
