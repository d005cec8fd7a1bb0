// Runs every benchmark and writes bench/RESULTS.md.
//
//   npm run bench
//
// Order: the model's training step on wasm, the PyTorch reference right after it (so both see the machine in
// the same state), streaming inference, the dictation engine, personal fine-tuning of the base model (the
// longest: several fine-tuning runs), then the component benchmarks of bench/{features,ctc,backend}.ts.
// A benchmark that breaks is reported in RESULTS.md and the rest still run; missed targets never fail the
// run, but a broken model measurement sets a non-zero exit code.
import { describeFrontEnd } from '../src-main/speech/front-end.js';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parameterShapes } from '../src-main/model/acoustic.js';
import { englishAlphabet } from '../src-main/speech/alphabet.js';
import { repoRoot, runTsChild } from './child.js';
import {
  modelBenchFor,
  measureStreaming,
  measureTraining,
  modelFlops,
  type ModelBenchConfig,
  type StreamingReport,
  TRAINING_FLOPS_PER_FORWARD,
  type TrainingReport,
} from './model.js';
import {
  type MachineFacts,
  machineBasics,
  renderResults,
  type Row,
  type Section,
  type Target,
} from './report.js';
import { median } from './stats.js';
import { type GemmReport } from './gemm.js';
import type { WebGpuReport } from './webgpu.js';
import {
  gemmShape,
  measureTorchReference,
  SYSTEM_PYTHON,
  type TorchOutcome,
  type TorchReport,
} from './torch.js';

const RESULTS_PATH = join(repoRoot, 'bench', 'RESULTS.md');

const TARGETS = {
  /** Training throughput on wasm with both cores, audio-s/s. */
  trainingThroughput: { compare: '≥', value: 100 },
  /** PyTorch's throughput ÷ ours on the same batch and threads (on an optimised BLAS): ours at least as fast. */
  torchRatio: { compare: '≤', value: 1 },
  /** Streaming real-time factor on one core. */
  streamingRtf: { compare: '≤', value: 0.05 },
  /** Peak RSS of the training process, MB (10⁶ bytes): 1 GB. */
  trainingRssMB: { compare: '≤', value: 1000 },
} satisfies Record<string, Target>;

interface ComponentResult {
  name: string;
  value: number;
  unit: string;
}

const MB = 1e6;

/** Debian's reference BLAS (package libblas3) lives in …/blas/; optimised ones (OpenBLAS, BLIS) elsewhere. */
const NETLIB_BLAS = /\/blas\/libblas\.so/;

function errorLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** FLOPs of one training step over the benchmark batch, by the 3 × forward convention. */
function trainingStepFlops(bench: ModelBenchConfig): number {
  return TRAINING_FLOPS_PER_FORWARD * bench.batchSize * modelFlops(bench.acoustic, bench.utteranceFrames);
}

function describeBackend(b: TrainingReport['backend'], what = 'thread'): string {
  return `${b.name}, ${b.threads} ${what}${b.threads === 1 ? '' : 's'}${b.simd ? ', SIMD' : ''}`;
}

function trainingSection(bench: ModelBenchConfig, t: TrainingReport): Section {
  const step = median(t.stepSeconds);
  const flopsPerStep = trainingStepFlops(bench);
  const seconds = (bench.utteranceFrames * bench.acoustic.hopMs) / 1000;
  return {
    title: `Model training step (tfjs ${describeBackend(t.backend, 'training thread')})`,
    rows: [
      {
        name: 'training throughput',
        value: t.audioSecondsPerStep / step,
        unit: 'audio-s/s',
        target: TARGETS.trainingThroughput,
      },
      { name: 'step time, median', value: step, unit: 's' },
      { name: 'step time, fastest', value: Math.min(...t.stepSeconds), unit: 's' },
      {
        name: 'achieved compute (3 × forward FLOPs / median step)',
        value: flopsPerStep / step / 1e9,
        unit: 'GFLOP/s',
      },
      {
        name: 'peak RSS of the training process',
        value: t.maxRssBytes / MB,
        unit: 'MB',
        target: TARGETS.trainingRssMB,
      },
    ],
    notes: [
      `The training loop's step on models/base's architecture (${bench.acoustic.blocks} blocks × ${bench.acoustic.channels} channels, dropout ${bench.acoustic.dropout} as it is trained): forward + CTC loss (mean) + tf.variableGrads + clip + AdamW, ` +
        `${t.parameters.toLocaleString('en-US')} parameters.`,
      `As \`attune train\` runs it: ${t.backend.threads} training thread${t.backend.threads === 1 ? '' : 's'}, each a single-threaded ` +
        `wasm copy of the model computing the gradients of its share of the batch (src-main/training/shard-workers.ts); ` +
        `the main thread combines them and steps the optimizer.`,
      `Batch ${bench.batchSize} × ${seconds} s (${bench.utteranceFrames} frames × ` +
        `${bench.acoustic.featureBins} bins of random features), random targets of ` +
        `${bench.minTargetChars}–${bench.maxTargetChars} characters; ` +
        `${bench.warmupSteps} warm-up steps, then ${bench.timedSteps} timed: ` +
        `${t.stepSeconds.map((s) => s.toFixed(2)).join(', ')} s.`,
    ],
  };
}

/**
 * Rows on what bounds the ratio: one thread's matMul rate on each side (the model's FLOPs are nearly all
 * matMul-like), and the throughput Attune would reach if every training FLOP ran at its backend's rate.
 */
function ceilingRows(bench: ModelBenchConfig, r: TorchReport, gemm: GemmReport): Row[] {
  const audioPerStep = (bench.batchSize * bench.utteranceFrames * bench.acoustic.hopMs) / 1000;
  const flopsPerAudioSecond = trainingStepFlops(bench) / audioPerStep;
  const bound = (bench.trainThreads * gemm.gflops * 1e9) / flopsPerAudioSecond;
  return [
    { name: `matMul ceiling, one thread: tfjs ${gemm.backend}`, value: gemm.gflops, unit: 'GFLOP/s' },
    { name: 'matMul ceiling, one thread: PyTorch', value: r.gemmGflopsOneThread, unit: 'GFLOP/s' },
    {
      name: `Attune's bound: every training FLOP at the ${gemm.backend} ceiling on ${bench.trainThreads} threads`,
      value: bound,
      unit: 'audio-s/s',
    },
    { name: "PyTorch ÷ Attune's bound", value: r.audioSecondsPerSecond / bound, unit: '×' },
  ];
}

function torchSection(
  bench: ModelBenchConfig,
  outcome: TorchOutcome,
  ours: TrainingReport | null,
  gemm: GemmReport,
): Section {
  const title = 'PyTorch reference (same model, loss, optimizer and batch)';
  if (!outcome.measured) {
    return {
      title,
      rows: [
        { name: 'PyTorch ÷ Attune training throughput', value: null, unit: '×', target: TARGETS.torchRatio },
      ],
      notes: [`Not measured (${outcome.why}): ${SYSTEM_PYTHON} cannot import torch.`],
    };
  }
  const r = outcome.report;
  const flopsPerStep = trainingStepFlops(bench);
  const oursThroughput = ours ? ours.audioSecondsPerStep / median(ours.stepSeconds) : null;
  return {
    title,
    rows: [
      { name: 'PyTorch training throughput', value: r.audioSecondsPerSecond, unit: 'audio-s/s' },
      { name: 'PyTorch step time, median', value: r.stepSeconds, unit: 's' },
      { name: 'PyTorch achieved compute', value: flopsPerStep / r.stepSeconds / 1e9, unit: 'GFLOP/s' },
      {
        name: 'PyTorch ÷ Attune training throughput',
        value: oursThroughput == null ? null : r.audioSecondsPerSecond / oursThroughput,
        unit: '×',
        target: TARGETS.torchRatio,
      },
      { name: 'peak RSS of the PyTorch process', value: r.maxRssBytes / MB, unit: 'MB' },
      ...ceilingRows(bench, r, gemm),
    ],
    notes: [
      `bench/torch_reference.py under ${SYSTEM_PYTHON}: torch ${r.torchVersion}, ${r.threads} threads ` +
        `(torch.set_num_threads), ${r.params.toLocaleString('en-US')} parameters and ` +
        "output length asserted equal to the tfjs model's.",
      `Timed steps: ${r.allStepSeconds.map((s) => s.toFixed(2)).join(', ')} s. OpenBLAS is kept to one thread ` +
        "under torch's own (OPENBLAS_NUM_THREADS=1): PyTorch as it trains best on a CPU; a multi-threaded BLAS " +
        "beside torch's threads oversubscribes the cores and runs 2–3× slower here.",
      `The matMul ceilings multiply [${gemm.shape.join(' × ')} → ${gemm.shape[0]} × ${gemm.shape[2]}] (a block's ` +
        'pointwise layer over the batch) on one thread, in processes of their own (bench/gemm.ts; ' +
        "torch_reference.py). WebAssembly's SIMD is 128 bits wide by the standard, while a native BLAS uses the " +
        "widest vectors the CPU has (AVX-512 here): when PyTorch trains faster than Attune's bound, no wasm " +
        'training step can match it on this machine; a native backend (tfjs-node) or a GPU can.',
      `BLAS loaded by torch: ${r.blas}.` +
        (NETLIB_BLAS.test(r.blas)
          ? " That is the reference (netlib) BLAS: Debian's torch calls whichever libblas.so.3 is " +
            'installed, and with this one its matMuls run far below an optimised BLAS, so the ratio is ' +
            'against PyTorch as installed here, not PyTorch at its best.'
          : ''),
      ...(oursThroughput == null ? ['No ratio: the tfjs training measurement failed.'] : []),
    ],
  };
}

function streamingSection(bench: ModelBenchConfig, s: StreamingReport): Section {
  return {
    title: `Streaming inference (tfjs ${describeBackend(s.backend)})`,
    rows: [
      {
        name: 'real-time factor (front end + model)',
        value: s.computeSeconds / s.audioSeconds,
        unit: 'compute s / audio s',
        target: TARGETS.streamingRtf,
      },
      {
        name: 'real-time factor of the front end alone',
        value: s.frontEndSeconds / s.audioSeconds,
        unit: 'compute s / audio s',
      },
      {
        // The median chunk is barely touched by other work stealing the core, unlike the total above.
        name: 'real-time factor at the median chunk (p50 latency ÷ chunk length)',
        value: s.chunkMs.p50 / bench.streamChunkMs,
        unit: 'compute s / audio s',
      },
      { name: `per-chunk latency p50 (${bench.streamChunkMs} ms chunks)`, value: s.chunkMs.p50, unit: 'ms' },
      { name: `per-chunk latency p95 (${bench.streamChunkMs} ms chunks)`, value: s.chunkMs.p95, unit: 'ms' },
      { name: `per-chunk latency max (${bench.streamChunkMs} ms chunks)`, value: s.chunkMs.max, unit: 'ms' },
      { name: 'peak RSS of the streaming process', value: s.maxRssBytes / MB, unit: 'MB' },
    ],
    notes: [
      `${s.audioSeconds} s of a synthetic 16 kHz signal in ${bench.streamChunkMs} ms chunks ` +
        `(${s.chunkMs.count} chunks): each goes through the model's front end (${describeFrontEnd(bench.features)}), then its ~10 feature frames into ` +
        'model.createStream(); the final flush counts towards the compute time. ' +
        `${s.framesOut} log-prob frames out, checked against the offline output length. ` +
        `A ${bench.streamWarmupSeconds} s stream ran first, untimed.`,
    ],
  };
}

/** Runs one of the component benchmarks; a missing or broken one becomes a note, not a failure. */
async function componentSection(
  title: string,
  file: string,
  run: () => Promise<ComponentResult[]>,
): Promise<Section> {
  try {
    const results = await run();
    return { title, rows: results.map((r): Row => ({ ...r })), notes: [`From bench/${file}.`] };
  } catch (err) {
    console.error(`  ${file} skipped: ${errorLine(err)}`);
    return { title, rows: [], notes: [`Skipped: bench/${file} is missing or failed (${errorLine(err)}).`] };
  }
}

function conventions(bench: ModelBenchConfig): string[] {
  const forward = modelFlops(bench.acoustic, bench.utteranceFrames);
  const stepFlops = trainingStepFlops(bench);
  const seconds = (bench.utteranceFrames * bench.acoustic.hopMs) / 1000;
  return [
    'FLOPs are counted from the model config (`modelFlops` in bench/model.ts): 2 × the multiply-adds ' +
      "of every matMul and convolution of the forward pass (subsampling convs, each block's depthwise " +
      'and pointwise convs, the head). Biases, norms, activations, masks, the CTC loss and the optimizer ' +
      'are not counted.',
    `A training step counts as ${TRAINING_FLOPS_PER_FORWARD} × the forward pass (the backward pass ≈ 2 × ` +
      `forward). Forward: ${(forward / 1e6).toFixed(1)} MFLOP per ${seconds} s utterance; training step ` +
      `of ${bench.batchSize}: ${(stepFlops / 1e9).toFixed(2)} GFLOP.`,
    'Training throughput = audio seconds in a batch ÷ the median timed step (warm-up steps excluded); ' +
      'the median because a shared machine stalls a few steps behind other work.',
    'Real-time factor = compute seconds ÷ audio seconds (below 1 is faster than real time).',
    'Each model measurement (tfjs training, PyTorch, streaming) runs in a process of its own, so its ' +
      'thread count and peak RSS (getrusage maxRSS) are its own. MB = 10⁶ bytes.',
    'Weights and inputs are random: the kernels do the same work whatever the values.',
  ];
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const date = new Date().toISOString();
  const loadAtStart = os.loadavg();
  const bench = modelBenchFor(BASE_MODEL);
  const sections: Section[] = [];
  const backends: string[] = [];
  let broken = false;
  console.log(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}`);

  console.log('model training step (wasm) …');
  let training: TrainingReport | null = null;
  try {
    training = await measureTraining(bench);
    sections.push(trainingSection(bench, training));
    backends.push(`Training: tfjs ${describeBackend(training.backend, 'training thread')}`);
  } catch (err) {
    broken = true;
    console.error(`  failed: ${errorLine(err)}`);
    sections.push({ title: 'Model training step', rows: [], notes: [`Failed: ${errorLine(err)}`] });
  }

  console.log('PyTorch reference …');
  try {
    const expected = training?.parameters ?? paramCount(bench);
    const outcome = await measureTorchReference(bench, expected, englishAlphabet().blank);
    const gemm = await runTsChild<GemmReport>(
      join(repoRoot, 'bench', 'gemm.ts'),
      gemmShape(bench).map(String),
      {
        timeoutMs: bench.childTimeoutMs,
      },
    );
    sections.push(torchSection(bench, outcome, training, gemm));
    if (outcome.measured) {
      const r = outcome.report;
      backends.push(`PyTorch reference: torch ${r.torchVersion} on the CPU, ${r.threads} threads`);
    }
  } catch (err) {
    broken = true;
    console.error(`  failed: ${errorLine(err)}`);
    sections.push({ title: 'PyTorch reference', rows: [], notes: [`Failed: ${errorLine(err)}`] });
  }

  console.log('streaming inference (wasm, 1 thread) …');
  try {
    const streaming = await measureStreaming(bench);
    sections.push(streamingSection(bench, streaming));
    backends.push(`Streaming: tfjs ${describeBackend(streaming.backend)}`);
  } catch (err) {
    broken = true;
    console.error(`  failed: ${errorLine(err)}`);
    sections.push({ title: 'Streaming inference', rows: [], notes: [`Failed: ${errorLine(err)}`] });
  }

  console.log('dictation engine (real time, base model) …');
  sections.push(
    await componentSection(
      'Dictation engine (real-time speech into the engine process)',
      'engine.ts',
      async () => {
        const rows = await (await import('./engine.js')).benchEngine(BASE_MODEL);
        const targets: Record<string, number> = {
          'first partial after speech starts (median)': 300,
          'final after speech ends (median)': 500,
          'engine CPU while dictating': 25,
          'engine peak RSS': 400,
        };
        return rows.map((r) =>
          r.name in targets ? { ...r, target: { compare: '≤' as const, value: targets[r.name] } } : r,
        );
      },
    ),
  );
  console.log('personal fine-tuning (5–30 corrections, base model) …');
  try {
    const { benchPersonal, personalSection } = await import('./personal.js');
    const personal = await benchPersonal(BASE_MODEL, { onProgress: (m) => console.log(`  ${m}`) });
    sections.push(personalSection(personal));
    const t = personal.config.threads;
    backends.push(
      `Personal fine-tuning: ${personal.config.backend}, ${t} training thread${t === 1 ? '' : 's'}`,
    );
  } catch (err) {
    broken = true;
    console.error(`  failed: ${errorLine(err)}`);
    sections.push({ title: 'Personal fine-tuning', rows: [], notes: [`Failed: ${errorLine(err)}`] });
  }

  console.log('WebGPU compute host (headless Chromium) …');
  try {
    const { webGpuSection } = await import('./webgpu.js');
    const report = await runTsChild<WebGpuReport>(join(repoRoot, 'bench', 'webgpu.ts'), ['--json'], {
      timeoutMs: 900_000,
    });
    sections.push(webGpuSection(report));
    backends.push(
      `WebGPU: ${report.adapter?.architecture ?? 'no adapter'}${report.software ? ' (software)' : ''}`,
    );
  } catch (err) {
    console.error(`  failed: ${errorLine(err)}`);
    sections.push({ title: 'WebGPU compute host', rows: [], notes: [`Not measured: ${errorLine(err)}`] });
  }

  console.log('log-mel front end …');
  sections.push(
    await componentSection('Log-mel front end', 'features.ts', async () =>
      (await import('./features.js')).benchFeatures(),
    ),
  );
  console.log('CTC loss …');
  sections.push(
    await componentSection('CTC loss', 'ctc.ts', async () => (await import('./ctc.js')).benchCtc()),
  );
  console.log('wasm backend kernels …');
  sections.push(
    await componentSection('WASM backend kernels', 'backend.ts', async () =>
      (await import('./backend.js')).benchBackend(),
    ),
  );

  const facts: MachineFacts = {
    date,
    ...machineBasics(),
    loadAtStart,
    loadAtEnd: os.loadavg(),
    backends,
    elapsedSeconds: (performance.now() - startedAt) / 1000,
  };
  writeFileSync(RESULTS_PATH, renderResults(facts, sections, conventions(bench)));
  console.log(`wrote ${RESULTS_PATH} in ${facts.elapsedSeconds.toFixed(0)} s`);
  if (broken) process.exitCode = 1;
}

const BASE_MODEL = fileURLToPath(new URL('../models/base', import.meta.url));

function paramCount(bench: ModelBenchConfig): number {
  let n = 0;
  for (const shape of parameterShapes(bench.acoustic).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

await main();
