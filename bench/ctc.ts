/**
 * CTC loss + gradient throughput on speech-sized utterances (T = 200 frames, C = 29 classes, L = 60 labels),
 * one at a time and as a padded batch, both with a reused workspace as the training loop uses them.
 *
 *   npx tsx bench/ctc.ts
 */
import { pathToFileURL } from 'node:url';
import { CtcWorkspace, ctcLossAndGrad, ctcLossAndGradBatch } from '../src-main/speech/ctc.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const config = {
  frames: 200, // T
  classes: 29, // C, blank = 0
  targetLength: 60, // L
  batchSize: 16, // B
  minSeconds: 1, // time spent per measurement after warm-up
  seed: 1,
};

/** Deterministic uniform PRNG (mulberry32) so every run measures the same problem. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` repeatedly for at least `seconds` (after one warm-up second) and returns calls per second. */
function rate(fn: () => void, seconds: number): number {
  for (const end = performance.now() + 1000; performance.now() < end;) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    fn();
    calls++;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

export async function benchCtc(): Promise<BenchResult[]> {
  const { frames: T, classes: C, targetLength: L, batchSize: B } = config;
  const random = uniform(config.seed);
  const logits = Float32Array.from({ length: B * T * C }, () => (random() - 0.5) * 6); // [B, T, C]
  const targets = Array.from({ length: B }, () =>
    Array.from({ length: L }, () => 1 + Math.floor(random() * (C - 1))),
  );
  const inputLengths = Array.from({ length: B }, () => T);
  const ws = new CtcWorkspace();

  const one = logits.subarray(0, T * C); // [T, C]
  const single = rate(() => ctcLossAndGrad(one, T, C, targets[0], 0, ws), config.minSeconds);
  const batches = rate(
    () => ctcLossAndGradBatch(logits, B, T, C, inputLengths, targets, 0, { reduction: 'mean' }, ws),
    config.minSeconds,
  );
  const shape = `T=${T}, C=${C}, L=${L}`;
  return [
    { name: `ctc loss+grad, single utterance (${shape})`, value: single, unit: 'utterances/s' },
    { name: `ctc loss+grad, batch of ${B} (${shape})`, value: batches * B, unit: 'utterances/s' },
    { name: `ctc loss+grad, single utterance (${shape})`, value: 1000 / single, unit: 'ms/utterance' },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchCtc()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
