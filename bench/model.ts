// The acoustic model's two speeds that matter: training throughput (the real training step on wasm, both
// cores) and streaming inference on one core (the model's front end + ModelStream, fed like a microphone). Each
// runs in its own child process (this file, with --child), so its thread count and peak RSS are its own.
//
//   npx tsx bench/model.ts
//
// Also home of modelFlops(): the forward pass's floating-point work counted from the config.
import * as tf from '@tensorflow/tfjs-core';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AcousticModel } from '../src-main/model/acoustic.js';
import { initBackend } from '../src-main/model/backend.js';
import { loadModelFolder } from '../src-main/model/checkpoint.js';
import {
  type AcousticConfig,
  DEFAULT_ACOUSTIC,
  geometry,
  outputFrames,
  SUBSAMPLE_LAYERS,
} from '../src-main/model/config.js';
import { convOutputFrames } from '../src-main/model/layers.js';
import { englishAlphabet } from '../src-main/speech/alphabet.js';
import { CtcWorkspace } from '../src-main/speech/ctc.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../src-main/speech/features.js';
import { StreamingFeatures } from '../src-main/speech/front-end.js';
import { seededRandom } from '../src-main/training/batches.js';
import { AdamW, DEFAULT_OPTIMIZER } from '../src-main/training/optimizer.js';
import { batchGradients } from '../src-main/training/batch-gradients.js';
import { shardRanges } from '../src-main/model/shard-gradients.js';
import { ShardWorkers } from '../src-main/training/shard-workers.js';
import { peakRssBytes, runTsChild } from './child.js';
import { median, percentile } from './stats.js';

export interface ModelBenchConfig {
  acoustic: AcousticConfig;
  /** The front end streamed into the model (log-mel, or with phone posteriors: their model path absolute). */
  features: FeatureConfig;
  /** Utterances per training batch. */
  batchSize: number;
  /** Feature frames per training utterance: 400 × 10 ms = 4 s. */
  utteranceFrames: number;
  /** Random target lengths are drawn uniformly from [min, max] characters (~15 characters/s of speech). */
  minTargetChars: number;
  maxTargetChars: number;
  /** Training steps run before timing (first-call kernel set-up, optimizer moments allocated). */
  warmupSteps: number;
  /** Training steps timed. */
  timedSteps: number;
  /**
   * Training threads, each a single-threaded wasm copy of the model computing its share of the batch
   * (src-main/training/shard-workers.ts): both cores of the reference machine.
   */
  trainThreads: number;
  /** Wasm threads for streaming: one core, leaving the other to capture and the window. */
  streamThreads: number;
  /** Audio streamed in the timed run, s. */
  streamSeconds: number;
  /** Audio streamed before timing, s (not counted). */
  streamWarmupSeconds: number;
  /** Microphone chunk, ms: 100 ms = 10 feature frames. */
  streamChunkMs: number;
  seed: number;
  /** A child that takes longer than this is killed and reported as failed, ms. */
  childTimeoutMs: number;
}

export const DEFAULT_MODEL_BENCH: ModelBenchConfig = {
  // The default architecture; `modelBenchFor` puts in the shipped model's.
  acoustic: DEFAULT_ACOUSTIC,
  features: DEFAULT_FEATURES,
  batchSize: 16,
  utteranceFrames: 400,
  minTargetChars: 40,
  maxTargetChars: 50,
  warmupSteps: 3,
  timedSteps: 8,
  trainThreads: 2,
  streamThreads: 1,
  streamSeconds: 60,
  streamWarmupSeconds: 3,
  streamChunkMs: 100,
  seed: 1,
  childTimeoutMs: 240_000,
};

/**
 * The benchmark of a model folder's architecture and training dropout (its config.json keeps the dropout
 * it was trained with): the shipped model is what a user runs and what `attune train` reproduces.
 */
export function modelBenchFor(
  modelDir: string,
  base: ModelBenchConfig = DEFAULT_MODEL_BENCH,
): ModelBenchConfig {
  const folder = loadModelFolder(modelDir);
  return { ...base, acoustic: folder.acoustic, features: folder.features };
}

// ── FLOPs ────────────────────────────────────────────────────────────────────────────────────────────────

/** Multiply-adds of one matMul or convolution of the forward pass. */
export interface LayerMacs {
  layer: string;
  macs: number;
}

/**
 * Multiply-adds of every matMul and convolution in the forward pass over one utterance of `inputFrames`
 * feature frames, layer by layer. Biases, layer norms, activations, masks and the loss are not counted:
 * they are a few operations per value against hundreds of multiply-adds per value for the matMuls.
 */
export function modelMacs(cfg: AcousticConfig, inputFrames: number): LayerMacs[] {
  const C = cfg.channels;
  const out: LayerMacs[] = [];
  let frames = inputFrames;
  geometry(cfg).forEach((g, i) => {
    frames = convOutputFrames(frames, g.kernel, g.stride, g.left, g.right);
    if (i === 0) {
      // Stacked-frame conv: each output frame is a [K·F] × [K·F, C] product.
      out.push({ layer: 'subsample.0 conv', macs: frames * g.kernel * cfg.featureBins * C });
    } else {
      const name = i < SUBSAMPLE_LAYERS ? `subsample.${i}` : `blocks.${i - SUBSAMPLE_LAYERS}`;
      out.push({ layer: `${name} depthwise`, macs: frames * g.kernel * C });
      out.push({ layer: `${name} pointwise`, macs: frames * C * C });
    }
  });
  out.push({ layer: 'head', macs: frames * C * cfg.vocabSize });
  return out;
}

/** Forward-pass FLOPs for one utterance of `inputFrames` frames: 2 per multiply-add of modelMacs(). */
export function modelFlops(cfg: AcousticConfig, inputFrames: number): number {
  return 2 * modelMacs(cfg, inputFrames).reduce((sum, l) => sum + l.macs, 0);
}

/** Convention: a training step costs 3 forward passes (the backward pass: input and weight gradients). */
export const TRAINING_FLOPS_PER_FORWARD = 3;

// ── Reports the children send back ───────────────────────────────────────────────────────────────────────

export interface BackendFacts {
  name: string;
  threads: number;
  simd: boolean;
}

export interface TrainingReport {
  backend: BackendFacts;
  parameters: number;
  /** Audio in one batch, s. */
  audioSecondsPerStep: number;
  /** Wall time of each timed step, s. */
  stepSeconds: number[];
  /** Loss of the last step (a sanity check that the step computed something finite). */
  lastLoss: number;
  maxRssBytes: number;
}

export interface StreamingReport {
  backend: BackendFacts;
  audioSeconds: number;
  /** Front end + model, including the final flush, s. */
  computeSeconds: number;
  /** The log-mel front end's share of computeSeconds, s. */
  frontEndSeconds: number;
  /** Per-chunk compute time (front end + model), ms: p50, p95 and max over the timed chunks. */
  chunkMs: { p50: number; p95: number; max: number; count: number };
  /** Log-prob frames the stream emitted (checked against the offline output length). */
  framesOut: number;
  maxRssBytes: number;
}

const here = fileURLToPath(import.meta.url);

export function measureTraining(bench: ModelBenchConfig = DEFAULT_MODEL_BENCH): Promise<TrainingReport> {
  return runTsChild<TrainingReport>(here, ['--child', 'train', JSON.stringify(bench)], {
    timeoutMs: bench.childTimeoutMs,
  });
}

export function measureStreaming(bench: ModelBenchConfig = DEFAULT_MODEL_BENCH): Promise<StreamingReport> {
  return runTsChild<StreamingReport>(here, ['--child', 'stream', JSON.stringify(bench)], {
    timeoutMs: bench.childTimeoutMs,
  });
}

// ── Child: training steps ────────────────────────────────────────────────────────────────────────────────

/** Standard normal draws (Box–Muller) from a seeded uniform source. */
function normals(n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

async function trainingChild(bench: ModelBenchConfig): Promise<TrainingReport> {
  // As `attune train` runs: each training thread a single-threaded backend with its share of the batch.
  const info = await initBackend({ prefer: 'wasm', wasmThreads: 1 });
  const cfg = bench.acoustic;
  const { batchSize: B, utteranceFrames: T } = bench;
  const F = cfg.featureBins;
  const alphabet = englishAlphabet();
  const rand = seededRandom(bench.seed);
  const features = normals(B * T * F, rand); // [B, T, F]
  const nonBlank = [...Array(cfg.vocabSize).keys()].filter((c) => c !== alphabet.blank);
  const targets = Array.from({ length: B }, () => {
    const n = bench.minTargetChars + Math.floor(rand() * (bench.maxTargetChars - bench.minTargetChars + 1));
    return Int32Array.from({ length: n }, () => nonBlank[Math.floor(rand() * nonBlank.length)]);
  });
  if (targets.some((t) => t.length > outputFrames(T, cfg)))
    throw new Error(`targets of up to ${bench.maxTargetChars} characters cannot fit ${T} input frames`);

  const model = new AcousticModel(cfg);
  const opt = new AdamW(DEFAULT_OPTIMIZER);
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.params.get(n)!);
  const workspace = new CtcWorkspace();
  const workers =
    bench.trainThreads > 1
      ? await ShardWorkers.start(bench.trainThreads - 1, {
          backend: 'wasm',
          acoustic: model.config,
          stats: model.featureStats(),
          weights: model.weights(),
          trained: names,
          blank: alphabet.blank,
        })
      : null;

  // The training loop's step (src-main/training/train.ts): shards → forward + CTC → gradients → clip + AdamW.
  const step = async (i: number): Promise<number> => {
    const shards = shardRanges(B, bench.trainThreads).map(([a, b]) => ({
      features: features.slice(a * T * F, b * T * F), // [b - a, T, F]
      frames: T,
      lengths: new Array<number>(b - a).fill(T),
      targets: targets.slice(a, b),
      seed: bench.seed * 1000003 + i,
    }));
    const r = await batchGradients(model, vars, shards, alphabet.blank, workspace, workers);
    const named: Record<string, tf.Tensor> = {};
    names.forEach((n, k) => (named[n] = r.grads[k]));
    opt.apply(model.params, named);
    tf.dispose(r.grads);
    return r.loss;
  };

  let lastLoss = NaN;
  for (let i = 0; i < bench.warmupSteps; i++) lastLoss = await step(i);
  const stepSeconds: number[] = [];
  for (let i = 0; i < bench.timedSteps; i++) {
    const started = performance.now();
    lastLoss = await step(bench.warmupSteps + i);
    stepSeconds.push((performance.now() - started) / 1000);
  }
  await workers?.close();
  if (!Number.isFinite(lastLoss)) throw new Error(`training step produced a non-finite loss (${lastLoss})`);
  return {
    backend: { name: info.name, threads: bench.trainThreads, simd: info.simd },
    parameters: model.parameterCount,
    audioSecondsPerStep: (B * T * cfg.hopMs) / 1000,
    stepSeconds,
    lastLoss,
    maxRssBytes: peakRssBytes(),
  };
}

// ── Child: streaming inference ───────────────────────────────────────────────────────────────────────────

/** Speech-band test signal in [-1, 1]: two tones and seeded white noise. */
function testSignal(numSamples: number, sampleRate: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const x = new Float32Array(numSamples);
  for (let i = 0; i < numSamples; i++) {
    const t = i / sampleRate;
    x[i] =
      0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 1700 * t) + 0.1 * (2 * rand() - 1);
  }
  return x;
}

/** Streams `samples` in microphone chunks through front end + model; returns per-chunk times and totals. */
function streamOnce(
  model: AcousticModel,
  features: FeatureConfig,
  samples: Float32Array,
  chunk: number,
): { chunkMs: number[]; totalMs: number; frontEndMs: number; framesIn: number; framesOut: number } {
  const mel = new StreamingFeatures(features);
  const stream = model.createStream();
  const chunkMs: number[] = [];
  let frontEndMs = 0;
  let totalMs = 0;
  const push = (features: { frames: number; data: Float32Array }, melStarted: number): number => {
    const melDone = performance.now();
    frontEndMs += melDone - melStarted;
    if (features.frames > 0) stream.accept(features.data, features.frames);
    return performance.now() - melStarted;
  };
  for (let pos = 0; pos < samples.length; pos += chunk) {
    const started = performance.now();
    const ms = push(mel.accept(samples.subarray(pos, pos + chunk)), started);
    chunkMs.push(ms);
    totalMs += ms;
  }
  const started = performance.now();
  push(mel.flush(), started);
  stream.flush();
  totalMs += performance.now() - started;
  const result = { chunkMs, totalMs, frontEndMs, framesIn: stream.framesIn, framesOut: stream.framesOut };
  stream.dispose();
  return result;
}

async function streamingChild(bench: ModelBenchConfig): Promise<StreamingReport> {
  const info = await initBackend({ prefer: 'wasm', wasmThreads: bench.streamThreads });
  const model = new AcousticModel(bench.acoustic);
  const { sampleRate } = DEFAULT_FEATURES;
  const chunk = Math.round((bench.streamChunkMs / 1000) * sampleRate);
  const warmup = testSignal(bench.streamWarmupSeconds * sampleRate, sampleRate, bench.seed + 1);
  streamOnce(model, bench.features, warmup, chunk);
  const samples = testSignal(bench.streamSeconds * sampleRate, sampleRate, bench.seed);
  const run = streamOnce(model, bench.features, samples, chunk);
  const expected = outputFrames(run.framesIn, bench.acoustic);
  if (run.framesOut !== expected)
    throw new Error(`stream emitted ${run.framesOut} frames, the offline forward gives ${expected}`);
  return {
    backend: { name: info.name, threads: info.threads, simd: info.simd },
    audioSeconds: samples.length / sampleRate,
    computeSeconds: run.totalMs / 1000,
    frontEndSeconds: run.frontEndMs / 1000,
    chunkMs: {
      p50: percentile(run.chunkMs, 50),
      p95: percentile(run.chunkMs, 95),
      max: Math.max(...run.chunkMs),
      count: run.chunkMs.length,
    },
    framesOut: run.framesOut,
    maxRssBytes: peakRssBytes(),
  };
}

// ── Entry ────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    const kind = process.argv[childAt + 1];
    const bench = JSON.parse(process.argv[childAt + 2]) as ModelBenchConfig;
    const report = kind === 'train' ? await trainingChild(bench) : await streamingChild(bench);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const cfg = modelBenchFor(process.argv[2] ?? fileURLToPath(new URL('../models/base', import.meta.url)));
  const t = await measureTraining(cfg);
  const step = median(t.stepSeconds);
  const flops = TRAINING_FLOPS_PER_FORWARD * cfg.batchSize * modelFlops(cfg.acoustic, cfg.utteranceFrames);
  console.log(`training (${t.backend.name}, ${t.backend.threads} threads, ${t.parameters} parameters):`);
  console.log(`  ${(t.audioSecondsPerStep / step).toFixed(1)} audio-s/s, median ${step.toFixed(3)} s/step`);
  console.log(
    `  ${(flops / step / 1e9).toFixed(2)} GFLOP/s, peak RSS ${(t.maxRssBytes / 1e6).toFixed(0)} MB`,
  );
  const s = await measureStreaming(cfg);
  console.log(`streaming (${s.backend.name}, ${s.backend.threads} thread):`);
  console.log(
    `  RTF ${(s.computeSeconds / s.audioSeconds).toFixed(4)}, chunk p50 ${s.chunkMs.p50.toFixed(2)} ms`,
  );
  console.log(`  chunk p95 ${s.chunkMs.p95.toFixed(2)} ms, peak RSS ${(s.maxRssBytes / 1e6).toFixed(0)} MB`);
}

if (process.argv[1] != null && resolve(process.argv[1]) === here) await main();
