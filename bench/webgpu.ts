// WebGPU through the compute host: training throughput (the real training step, whole batches on the GPU)
// and streaming real-time factor (the streaming forward on the GPU, fed 100 ms chunks), with this process's
// own backend (wasm) on the same batch in the same run for the ratio. On a machine without a GPU, Chromium's
// WebGPU runs on SwiftShader, a CPU emulation of Vulkan: the report says so, and those numbers say nothing
// about a GPU.
//
//   npx tsx bench/webgpu.ts            a table for people
//   npx tsx bench/webgpu.ts --json     one JSON object (for a machine with a real GPU: run it there)
//   npx tsx bench/webgpu.ts --batch 16 --steps 8   the training bench's batch (bench/model.ts)
import * as tf from '@tensorflow/tfjs-core';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumLauncher } from '../src-main/compute/chromium-launcher.js';
import type { AdapterInfo } from '../src-main/compute/contract.js';
import { ComputeHost } from '../src-main/compute/host-server.js';
import { RemoteModel } from '../src-main/compute/remote-model.js';
import { AcousticModel } from '../src-main/model/acoustic.js';
import { initBackend } from '../src-main/model/backend.js';
import { loadModelFolder } from '../src-main/model/checkpoint.js';
import { type AcousticConfig, outputFrames } from '../src-main/model/config.js';
import { type Shard, shardGradients } from '../src-main/model/shard-gradients.js';
import { CtcWorkspace } from '../src-main/speech/ctc.js';
import { seededRandom } from '../src-main/training/batches.js';
import { AdamW, DEFAULT_OPTIMIZER } from '../src-main/training/optimizer.js';
import type { Section } from './report.js';
import { median, percentile } from './stats.js';

export interface WebGpuBenchConfig {
  /** The model whose architecture is timed (weights as shipped). */
  modelDir: string;
  /** Utterances per training batch; bench/model.ts times 16 (one step on SwiftShader takes minutes). */
  batchSize: number; // 4
  /** Feature frames per utterance: 400 × 10 ms = 4 s. */
  utteranceFrames: number; // 400
  warmupSteps: number; // 1
  timedSteps: number; // 3
  /** Audio streamed in the timed run, s, in chunks of streamChunkMs. */
  streamSeconds: number; // 20
  streamChunkMs: number; // 100
  seed: number; // 1
}

export const DEFAULT_WEBGPU_BENCH: WebGpuBenchConfig = {
  modelDir: fileURLToPath(new URL('../models/base', import.meta.url)),
  batchSize: 4,
  utteranceFrames: 400,
  warmupSteps: 1,
  timedSteps: 3,
  streamSeconds: 20,
  streamChunkMs: 100,
  seed: 1,
};

export interface ThroughputReport {
  /** Wall time of each timed step (gradients + AdamW), s. */
  stepSeconds: number[];
  /** Audio seconds trained per second of wall time, at the median step. */
  audioSecondsPerSecond: number;
}

export interface WebGpuReport {
  date: string;
  adapter: AdapterInfo | null;
  /** True when the adapter is a CPU emulation: the numbers are not a GPU's. */
  software: boolean;
  userAgent: string | null;
  batch: { utterances: number; audioSeconds: number };
  webgpu: ThroughputReport;
  /** This process's backend (the ladder's first CPU rung) on the same batch, same run. */
  local: ThroughputReport & { backend: string; threads: number };
  streaming: {
    audioSeconds: number;
    computeSeconds: number;
    rtf: number;
    chunkMs: { p50: number; p95: number };
  };
}

/** A batch as the training loop makes it: real-valued features and targets that fit. */
function benchShard(cfg: WebGpuBenchConfig, acoustic: AcousticConfig, blank: number): Shard {
  const rand = seededRandom(cfg.seed);
  const B = cfg.batchSize;
  const T = cfg.utteranceFrames;
  const F = acoustic.featureBins;
  const features = Float32Array.from({ length: B * T * F }, () => 4 * rand() - 2); // [B, T, F]
  const room = outputFrames(T, acoustic);
  const nonBlank = [...Array(acoustic.vocabSize).keys()].filter((c) => c !== blank);
  const targets = Array.from({ length: B }, () =>
    Int32Array.from({ length: Math.floor(room / 4) }, () => nonBlank[Math.floor(rand() * nonBlank.length)]),
  );
  return { features, frames: T, lengths: new Array<number>(B).fill(T), targets, seed: cfg.seed };
}

async function timeSteps(
  cfg: WebGpuBenchConfig,
  audioSeconds: number,
  step: () => Promise<void>,
): Promise<ThroughputReport> {
  for (let i = 0; i < cfg.warmupSteps; i++) await step();
  const stepSeconds: number[] = [];
  for (let i = 0; i < cfg.timedSteps; i++) {
    const t0 = performance.now();
    await step();
    stepSeconds.push((performance.now() - t0) / 1000);
  }
  return { stepSeconds, audioSecondsPerSecond: audioSeconds / median(stepSeconds) };
}

/** One optimizer step with the given gradient function, as the training loop takes it. */
function optimizerStep(
  model: AcousticModel,
  opt: AdamW,
  names: string[],
  grads: (Float32Array | tf.Tensor)[],
): void {
  const named: Record<string, tf.Tensor> = {};
  names.forEach((n, k) => {
    const g = grads[k];
    named[n] = g instanceof Float32Array ? tf.tensor(g, model.params.get(n)!.shape) : g;
  });
  opt.apply(model.params, named);
  tf.dispose(Object.values(named));
}

export async function benchWebGpu(cfg: WebGpuBenchConfig = DEFAULT_WEBGPU_BENCH): Promise<WebGpuReport> {
  const local = await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  const folder = loadModelFolder(cfg.modelDir);
  const { acoustic } = folder;
  const shard = benchShard(cfg, acoustic, folder.alphabet.blank);
  const audioSeconds = (cfg.batchSize * cfg.utteranceFrames * acoustic.hopMs) / 1000;
  const host = await ComputeHost.open({ backend: 'webgpu', launcher: chromiumLauncher() });
  try {
    const userAgent = host.userAgent;
    const onGpu = new AcousticModel(acoustic, folder.weights, folder.stats);
    const names = [...onGpu.params.keys()];
    const remote = await RemoteModel.load(host, onGpu, names, folder.alphabet.blank);
    const gpuOpt = new AdamW(DEFAULT_OPTIMIZER);
    const webgpu = await timeSteps(cfg, audioSeconds, async () => {
      optimizerStep(onGpu, gpuOpt, names, (await remote.gradients(shard)).grads);
    });

    const here = new AcousticModel(acoustic, folder.weights, folder.stats);
    const vars = names.map((n) => here.params.get(n)!);
    const hereOpt = new AdamW(DEFAULT_OPTIMIZER);
    const workspace = new CtcWorkspace();
    const cpu = await timeSteps(cfg, audioSeconds, async () => {
      optimizerStep(
        here,
        hereOpt,
        names,
        shardGradients(here, vars, shard, folder.alphabet.blank, workspace).grads,
      );
    });

    const streaming = await timeStreaming(cfg, host, onGpu, acoustic.featureBins);
    onGpu.dispose();
    here.dispose();
    return {
      date: new Date().toISOString(),
      adapter: host.started.adapter,
      software: host.started.adapter?.software ?? false,
      userAgent,
      batch: { utterances: cfg.batchSize, audioSeconds },
      webgpu,
      local: { ...cpu, backend: local.name, threads: 1 },
      streaming,
    };
  } finally {
    await host.close();
  }
}

async function timeStreaming(
  cfg: WebGpuBenchConfig,
  host: ComputeHost,
  model: AcousticModel,
  F: number,
): Promise<WebGpuReport['streaming']> {
  const remote = await RemoteModel.load(host, model, [], 0);
  const rand = seededRandom(cfg.seed + 1);
  const chunkFrames = Math.round(cfg.streamChunkMs / model.config.hopMs);
  const frames = Math.round((cfg.streamSeconds * 1000) / model.config.hopMs);
  const features = Float32Array.from({ length: frames * F }, () => 4 * rand() - 2); // [T, F]
  const stream = await remote.createStream();
  const chunkMs: number[] = [];
  const t0 = performance.now();
  for (let t = 0; t < frames; t += chunkFrames) {
    const n = Math.min(chunkFrames, frames - t);
    const c0 = performance.now();
    await stream.accept(features.subarray(t * F, (t + n) * F), n);
    chunkMs.push(performance.now() - c0);
  }
  await stream.flush();
  const computeSeconds = (performance.now() - t0) / 1000;
  await stream.dispose();
  return {
    audioSeconds: cfg.streamSeconds,
    computeSeconds,
    rtf: computeSeconds / cfg.streamSeconds,
    chunkMs: { p50: percentile(chunkMs, 50), p95: percentile(chunkMs, 95) },
  };
}

/** The report as a section of bench/RESULTS.md. */
export function webGpuSection(r: WebGpuReport): Section {
  const a = r.adapter;
  const name = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') : 'no adapter';
  return {
    title: `WebGPU compute host (${name}${r.software ? ': a CPU emulation, not a GPU' : ''})`,
    rows: [
      { name: 'training on WebGPU', value: r.webgpu.audioSecondsPerSecond, unit: 'audio-s/s' },
      {
        name: `training on ${r.local.backend}, 1 thread, same batch`,
        value: r.local.audioSecondsPerSecond,
        unit: 'audio-s/s',
      },
      {
        name: 'WebGPU ÷ ' + r.local.backend,
        value: r.webgpu.audioSecondsPerSecond / r.local.audioSecondsPerSecond,
        unit: '×',
      },
      { name: 'streaming RTF on WebGPU (100 ms chunks)', value: r.streaming.rtf, unit: '' },
      { name: 'streaming chunk on WebGPU (p50)', value: r.streaming.chunkMs.p50, unit: 'ms' },
    ],
    notes: [
      `From bench/webgpu.ts: a batch of ${r.batch.utterances} utterances, ${r.batch.audioSeconds} s of audio; the ` +
        'training step is the training loop’s (gradients on the host, AdamW here); the streaming forward is fed ' +
        'chunks over the host’s channel, round trips included.',
      r.software
        ? 'SwiftShader is Chromium’s CPU implementation of Vulkan: these numbers show the path works, not what a GPU ' +
          'does. On a machine with a GPU, `npx tsx bench/webgpu.ts --json` takes the same measurements.'
        : 'Measured on the GPU named above.',
      `Browser: ${r.userAgent ?? 'unknown'}.`,
    ],
  };
}

function parseArgs(argv: string[]): { json: boolean; cfg: WebGpuBenchConfig } {
  const cfg = { ...DEFAULT_WEBGPU_BENCH };
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag} must be a whole number ≥ 1, got ${argv[i + 1]}`);
    return n;
  };
  cfg.batchSize = value('--batch') ?? cfg.batchSize;
  cfg.timedSteps = value('--steps') ?? cfg.timedSteps;
  const model = argv.indexOf('--model');
  if (model >= 0) {
    const dir = argv[model + 1];
    if (dir == null || dir.startsWith('--')) throw new Error('--model needs a model folder');
    cfg.modelDir = resolve(dir);
  }
  return { json: argv.includes('--json'), cfg };
}

async function main(): Promise<void> {
  const { json, cfg } = parseArgs(process.argv.slice(2));
  const r = await benchWebGpu(cfg);
  if (json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const a = r.adapter;
  console.log(
    `adapter: ${a ? `${a.vendor} ${a.architecture} ${a.description}`.trim() : 'none'}${r.software ? ' (software: a CPU emulation, not a GPU)' : ''}`,
  );
  console.log(
    `batch: ${r.batch.utterances} × ${cfg.utteranceFrames / 100} s = ${r.batch.audioSeconds} s of audio`,
  );
  console.log(
    `training on WebGPU: ${r.webgpu.audioSecondsPerSecond.toFixed(2)} audio-s/s (median ${median(r.webgpu.stepSeconds).toFixed(2)} s/step)`,
  );
  console.log(
    `training on ${r.local.backend} (1 thread): ${r.local.audioSecondsPerSecond.toFixed(2)} audio-s/s`,
  );
  console.log(
    `streaming on WebGPU: RTF ${r.streaming.rtf.toFixed(3)}, chunk p50 ${r.streaming.chunkMs.p50.toFixed(1)} ms`,
  );
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
