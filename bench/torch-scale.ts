// What training a base model with the PyTorch recipe costs, measured here and scaled to a corpus and to GPUs.
// For each model shape, recipes/torch/measure.py times the recipe's real training step (2 threads, batch of
// 32 s) and the data loading one process does (read FLAC, compute log-mel) on real speech, in a process of its
// own; an epoch of LibriSpeech's 960 h then follows from the throughput, and on a GPU from the FLOPs per audio
// second at the GPU's achieved rate (measure.py on that GPU gives it). Writes bench/TORCH-SCALE.md.
//
//   npx tsx bench/torch-scale.ts [--corpus corpora/real/real-test/librivox]
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runJsonChild } from './child.js';
import { SYSTEM_PYTHON } from './torch.js';

interface Measured {
  device: string;
  parameters: number;
  stepSeconds: number;
  audioSecondsPerSecond: number;
  trainingFlopsPerAudioSecond: number;
  achievedGflops: number;
  peakMemoryBytes: number;
  torchVersion: string;
  dataLoading: { audioSecondsPerSecond: number; files: number };
}

/** Shapes as train.py's --config takes them (a depth gets Attune's look-ahead layout). */
const SHAPES: { name: string; config: object }[] = [
  { name: 'Attune default (12 blocks × 192)', config: {} },
  {
    name: 'shipped depth, phones (16 × 192, 41 classes)',
    config: {
      blocks: 16,
      vocabSize: 41,
    },
  },
  {
    name: 'wide (16 × 512)',
    config: {
      channels: 512,
      blocks: 16,
    },
  },
];
/** LibriSpeech's training hours, all three parts. */
const EPOCH_HOURS = 960;
/** Achieved training TFLOP/s assumed for one GPU in the projection (a tenth of an A100's bf16 peak). */
const GPU_TFLOPS = 31;

const { values } = parseArgs({
  options: { corpus: { type: 'string', default: 'corpora/real/real-test/librivox' } },
});

const rows: { name: string; m: Measured }[] = [];
for (const shape of SHAPES) {
  const args = [
    join(repoRoot, 'recipes/torch/measure.py'),
    '--threads',
    '2',
    '--config',
    JSON.stringify(shape.config),
  ];
  const m = await runJsonChild<Measured>(SYSTEM_PYTHON, [...args, '--corpus', values.corpus!], {
    timeoutMs: 600_000,
  });
  rows.push({ name: shape.name, m });
  console.log(`${shape.name}: ${m.audioSecondsPerSecond.toFixed(0)} audio-s/s`);
}

const epochSeconds = EPOCH_HOURS * 3600;
/** Projected GPU training throughput of a shape, audio-s/s. */
const gpuRate = (m: Measured) => (GPU_TFLOPS * 1e12) / m.trainingFlopsPerAudioSecond;
const loading = rows[0].m.dataLoading.audioSecondsPerSecond;
const fmt = (x: number, d = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  '# Training at scale with the PyTorch recipe',
  '',
  'Regenerate: `npx tsx bench/torch-scale.ts` (recipes/torch/measure.py per shape, each in a process of its own).',
  `Measured ${new Date().toISOString().slice(0, 10)} on this machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average ${loadavg()[0].toFixed(2)}, torch ${rows[0]?.m.torchVersion}, OpenBLAS single-threaded under torch's 2 threads.`,
  `Training step: forward, CTC, backward, clipping and AdamW on a batch of 32 s (8 utterances of 4 s), median of 10 steps; data loading: one process reading ${rows[0]?.m.dataLoading.files} FLAC files of \`${values.corpus}\` and computing their log-mel.`,
  '',
  '| model | parameters | training GFLOP per audio second | CPU step (32 s) | CPU throughput | achieved | peak RSS | one 960-h epoch on this CPU | one 960-h epoch on one GPU at 31 TFLOP/s achieved |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ name, m }) => {
    const gpuSeconds = epochSeconds / gpuRate(m);
    return `| ${name} | ${fmt(m.parameters)} | ${fmt(m.trainingFlopsPerAudioSecond / 1e9, 3)} | ${fmt(m.stepSeconds, 3)} s | ${fmt(m.audioSecondsPerSecond)} audio-s/s | ${fmt(m.achievedGflops, 1)} GFLOP/s | ${fmt(m.peakMemoryBytes / 1e6)} MB | ${fmt(epochSeconds / m.audioSecondsPerSecond / 3600, 1)} h | ${fmt(gpuSeconds / 60, 1)} min |`;
  }),
  '',
  `Data loading (FLAC → log-mel) in one process: ${rows.map(({ m }) => fmt(m.dataLoading.audioSecondsPerSecond)).join(', ')} audio-s/s (one per run above).`,
  '',
  '## Reading the table',
  '',
  `- An epoch on N devices takes the single-device time ÷ N when the gradient all-reduce is small beside the step (these models have 0.6–5 M parameters: 2–19 MB of gradients per step).`,
  `- The GPU column is a projection, not a measurement: the measured FLOPs per audio second at ${GPU_TFLOPS} TFLOP/s achieved (a tenth of an A100's bf16 peak; narrow depthwise models use GPUs poorly). \`python3 recipes/torch/measure.py --processes N\` on the GPU measures its own step and prints \`hoursPerEpoch\`.`,
  `- A GPU takes audio far faster than one process reads it: at ${fmt(loading)} audio-s/s per loading process, feeding the projected rate takes ${rows.map(({ name, m }) => `${fmt(gpuRate(m) / loading)} (${name.split(' (')[0]})`).join(', ')} loading processes per GPU (\`--workers\`). With fewer, loading sets the pace: an epoch takes about ${EPOCH_HOURS} h ÷ (loading processes in all × ${fmt(loading)}) — with 8 GPUs × 8 workers, ${fmt(epochSeconds / (64 * loading) / 60, 1)} min.`,
  '',
];
writeFileSync(join(repoRoot, 'bench', 'TORCH-SCALE.md'), lines.join('\n'));
console.log('wrote bench/TORCH-SCALE.md');
