// Micro-benchmark of the wasm backend on one thread and on two: matMul and a depthwise conv over time, the
// acoustic model's two main kernels. The thread count is fixed when the backend starts, so each count runs in
// its own child process (this same file, with --child THREADS).
// Run: npx tsx bench/backend.ts
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src-main/model/backend.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const BENCH_CONFIG = {
  /** Thread counts compared, one child process each. */
  threadCounts: [1, 2],
  /** matMul [m, k] × [k, n]. */
  matMul: { m: 512, k: 512, n: 512 },
  /**
   * Depthwise conv over time: x [batch, 1, time, channels], kernel [1, k, channels, 1], 'same', for each k.
   * XNNPACK has fast paths for some tap counts only (9 and 25 among these sizes), so both kinds are shown.
   */
  depthwise: { batch: 8, time: 1000, channels: 256, kernels: [9, 15] },
  /** Untimed runs before timing. */
  warmupRuns: 3,
  /** Timed runs; the median is reported. */
  timedRuns: 15,
  childTimeoutMs: 120_000,
};

interface ChildReport {
  threads: number;
  matMulMs: number;
  /** One per BENCH_CONFIG.depthwise.kernels entry. */
  depthwiseMs: number[];
}

const here = fileURLToPath(import.meta.url);
const repoRoot = resolve(dirname(here), '..');

/** Runs the child processes one after the other and returns GFLOP/s per kernel and thread count. */
export async function benchBackend(): Promise<BenchResult[]> {
  const { m, k, n } = BENCH_CONFIG.matMul;
  const { batch, time, channels, kernels } = BENCH_CONFIG.depthwise;
  const matMulFlops = 2 * m * k * n;
  const depthwiseName = (kernel: number): string =>
    `wasm depthwise conv1d B${batch} T${time} C${channels} k${kernel}`;
  const results: BenchResult[] = [];
  const reports: ChildReport[] = [];
  for (const threads of BENCH_CONFIG.threadCounts) {
    const report = await runChild(threads);
    if (report.threads !== threads)
      throw new Error(`asked the wasm backend for ${threads} threads, got ${report.threads}`);
    reports.push(report);
    const label = `${threads} thread${threads === 1 ? '' : 's'}`;
    results.push({
      name: `wasm matMul ${m}×${k}×${n}, ${label}`,
      value: gflops(matMulFlops, report.matMulMs),
      unit: 'GFLOP/s',
    });
    kernels.forEach((kernel, i) => {
      const flops = 2 * batch * time * channels * kernel;
      results.push({
        name: `${depthwiseName(kernel)}, ${label}`,
        value: gflops(flops, report.depthwiseMs[i]),
        unit: 'GFLOP/s',
      });
    });
  }
  const [one, ...more] = reports;
  for (const other of more) {
    const vs = `${other.threads} threads vs 1`;
    results.push({ name: `wasm matMul speed-up, ${vs}`, value: one.matMulMs / other.matMulMs, unit: '×' });
    kernels.forEach((kernel, i) => {
      const value = one.depthwiseMs[i] / other.depthwiseMs[i];
      results.push({ name: `${depthwiseName(kernel)} speed-up, ${vs}`, value, unit: '×' });
    });
  }
  return results;
}

function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

function runChild(threads: number): Promise<ChildReport> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', here, '--child', String(threads)],
      { cwd: repoRoot, timeout: BENCH_CONFIG.childTimeoutMs },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`benchmark child (${threads} threads) failed: ${err.message}\n${stderr}`));
        else done(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildReport);
      },
    );
  });
}

/** Median wall time of `run` in ms, reading the result back so the work is really done. */
function medianMs(run: () => tf.Tensor): number {
  for (let i = 0; i < BENCH_CONFIG.warmupRuns; i++) tf.tidy(run).dispose();
  const times: number[] = [];
  for (let i = 0; i < BENCH_CONFIG.timedRuns; i++) {
    const started = performance.now();
    const out = tf.tidy(run);
    out.dataSync();
    times.push(performance.now() - started);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function child(threads: number): Promise<void> {
  const info = await initBackend({ prefer: 'wasm', wasmThreads: threads });
  const { m, k, n } = BENCH_CONFIG.matMul;
  const { batch, time, channels, kernels } = BENCH_CONFIG.depthwise;
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  const x = tf.randomNormal([batch, 1, time, channels], 0, 1, 'float32', 3) as tf.Tensor4D; // [B, 1, T, C]
  const report: ChildReport = {
    threads: info.threads,
    matMulMs: medianMs(() => tf.matMul(a, b)),
    depthwiseMs: kernels.map((kernel) => {
      const w = tf.randomNormal([1, kernel, channels, 1], 0, 1, 'float32', 4) as tf.Tensor4D; // [1, k, C, 1]
      return medianMs(() => tf.depthwiseConv2d(x, w, 1, 'same'));
    }),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    await child(Number(process.argv[childAt + 1]));
    return;
  }
  for (const r of await benchBackend()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}

if (process.argv[1] != null && resolve(process.argv[1]) === here) await main();
