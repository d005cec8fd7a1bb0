// Runs bench/torch_reference.py: the same model, loss, optimizer and batch in PyTorch on the CPU, as the
// yardstick for the tfjs training step. Debian's python3-torch loads only under /usr/bin/python3.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { outputFrames } from '../src-main/model/config.js';
import { repoRoot, runJsonChild } from './child.js';
import type { ModelBenchConfig } from './model.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface TorchReport {
  audioSecondsPerSecond: number;
  /** Median step, s. */
  stepSeconds: number;
  allStepSeconds: number[];
  params: number;
  threads: number;
  torchVersion: string;
  /** The BLAS library torch loaded. */
  blas: string;
  lastLoss: number;
  maxRssBytes: number;
  /** One thread's matMul rate on `gemmShape` ([rows, k, n]), GFLOP/s. */
  gemmGflopsOneThread: number;
  gemmShape: [number, number, number];
}

export type TorchOutcome = { measured: true; report: TorchReport } | { measured: false; why: string };

/**
 * The matMul whose one-thread rate both sides report: a block's pointwise layer over the benchmark batch,
 * [batch · output frames, channels] × [channels, channels].
 */
export function gemmShape(bench: ModelBenchConfig): [number, number, number] {
  const rows = bench.batchSize * outputFrames(bench.utteranceFrames, bench.acoustic);
  return [rows, bench.acoustic.channels, bench.acoustic.channels];
}

/** Whether `python` can import torch. */
function hasTorch(python: string): Promise<boolean> {
  if (!existsSync(python)) return Promise.resolve(false);
  return new Promise((done) => {
    execFile(python, ['-c', 'import torch'], { timeout: 60_000 }, (err) => done(err == null));
  });
}

/**
 * Times the PyTorch reference with the benchmark's batch shape and thread count. The script itself checks
 * that its model has `expectedParams` parameters and the tfjs model's output length, so a drift between the
 * two architectures fails loudly.
 */
export async function measureTorchReference(
  bench: ModelBenchConfig,
  expectedParams: number,
  blank: number,
): Promise<TorchOutcome> {
  if (!(await hasTorch(SYSTEM_PYTHON))) return { measured: false, why: 'python3-torch missing' };
  const args = [
    join(repoRoot, 'bench', 'torch_reference.py'),
    ['--config', JSON.stringify(bench.acoustic)],
    ['--expected-params', expectedParams],
    ['--expected-output-frames', outputFrames(bench.utteranceFrames, bench.acoustic)],
    ['--batch', bench.batchSize],
    ['--frames', bench.utteranceFrames],
    ['--min-target', bench.minTargetChars],
    ['--max-target', bench.maxTargetChars],
    ['--blank', blank],
    ['--warmup', bench.warmupSteps],
    ['--steps', bench.timedSteps],
    ['--threads', bench.trainThreads],
    ['--seed', bench.seed],
    ['--gemm', gemmShape(bench).join(',')],
  ]
    .flat()
    .map(String);
  const report = await runJsonChild<TorchReport>(SYSTEM_PYTHON, args, { timeoutMs: bench.childTimeoutMs });
  return { measured: true, report };
}
