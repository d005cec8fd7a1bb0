// Micro-benchmark of the log-mel front end: offline (whole clip) and streaming (100 ms mic chunks).
//
//   npx tsx bench/features.ts
//
// Reports frames per second and the real-time factor (processing time / audio time; lower is faster), the
// median of a few repeats after one warm-up run.

import { pathToFileURL } from 'node:url';
import { DEFAULT_FEATURES, StreamingLogMel, logMel } from '../src-main/speech/features.js';
import { computeFeatures, withFrontEnd } from '../src-main/speech/front-end.js';
import { DEBIAN_EN_US_MODEL_DIR, hasSphinxModel } from '../src-main/speech/sphinx/load-model.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export interface FeatureBenchConfig {
  /** Length of the synthetic test clip, seconds. */
  audioSeconds: number;
  /** Timed repeats per case; the median is reported. */
  repeats: number;
  /** Streaming chunk size, ms (a typical microphone buffer). */
  chunkMs: number;
}

export const DEFAULT_FEATURE_BENCH: FeatureBenchConfig = { audioSeconds: 60, repeats: 3, chunkMs: 100 };

/** Deterministic speech-band test signal: two tones and white noise, in [-1, 1]. */
function testSignal(numSamples: number, sampleRate: number): Float32Array {
  const x = new Float32Array(numSamples);
  let state = 12345; // Park–Miller noise
  for (let i = 0; i < numSamples; i++) {
    state = (state * 16807) % 2147483647;
    const t = i / sampleRate;
    x[i] =
      0.3 * Math.sin(2 * Math.PI * 220 * t) +
      0.2 * Math.sin(2 * Math.PI * 1700 * t) +
      0.1 * (2 * (state / 2147483647) - 1);
  }
  return x;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time (ms) of run() over `repeats` runs, after one warm-up; checks each run's frame count. */
function timeMs(run: () => number, expectedFrames: number, repeats: number): number {
  const check = (frames: number): void => {
    if (frames !== expectedFrames) throw new Error(`bench: expected ${expectedFrames} frames, got ${frames}`);
  };
  check(run());
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    check(run());
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * The whole front end of a model with phone features, offline, where Debian's pocketsphinx-en-us is installed:
 * log-mel and CI phone posteriors (the shipped model's), and with each phone's best context as well.
 */
function phoneFrontEnds(
  samples: Float32Array,
  frames: number,
  repeats: number,
  audioMs: number,
): BenchResult[] {
  if (!hasSphinxModel(DEBIAN_EN_US_MODEL_DIR)) return [];
  const kinds = ['logmel+phones', 'logmel+phones+contexts'] as const;
  return kinds.map((kind) => {
    const config = withFrontEnd(DEFAULT_FEATURES, kind, DEBIAN_EN_US_MODEL_DIR);
    const ms = timeMs(() => computeFeatures(samples, config).frames, frames, repeats);
    return { name: `front end ${kind}.offline.rtf`, value: ms / audioMs, unit: 'RTF (s/s)' };
  });
}

export async function benchFeatures(
  bench: FeatureBenchConfig = DEFAULT_FEATURE_BENCH,
): Promise<BenchResult[]> {
  const { sampleRate } = DEFAULT_FEATURES;
  const samples = testSignal(Math.round(bench.audioSeconds * sampleRate), sampleRate);
  const expectedFrames = logMel(samples).frames;
  const chunk = Math.round((bench.chunkMs / 1000) * sampleRate);

  const offlineMs = timeMs(() => logMel(samples).frames, expectedFrames, bench.repeats);
  const streamingMs = timeMs(
    () => {
      const stream = new StreamingLogMel();
      let frames = 0;
      for (let pos = 0; pos < samples.length; pos += chunk)
        frames += stream.accept(samples.subarray(pos, pos + chunk)).frames;
      return frames + stream.flush().frames;
    },
    expectedFrames,
    bench.repeats,
  );

  const audioMs = (samples.length / sampleRate) * 1000;
  return [
    ...phoneFrontEnds(samples, expectedFrames, bench.repeats, audioMs),
    { name: 'features.offline.throughput', value: expectedFrames / (offlineMs / 1000), unit: 'frames/s' },
    { name: 'features.offline.rtf', value: offlineMs / audioMs, unit: 'RTF (s/s)' },
    {
      name: `features.streaming.throughput (${bench.chunkMs} ms chunks)`,
      value: expectedFrames / (streamingMs / 1000),
      unit: 'frames/s',
    },
    {
      name: `features.streaming.rtf (${bench.chunkMs} ms chunks)`,
      value: streamingMs / audioMs,
      unit: 'RTF (s/s)',
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { audioSeconds, repeats } = DEFAULT_FEATURE_BENCH;
  console.log(`front ends: ${audioSeconds} s of audio, median of ${repeats} runs`);
  for (const r of await benchFeatures()) {
    const value = r.unit.startsWith('RTF') ? r.value.toExponential(2) : Math.round(r.value).toString();
    console.log(`${r.name.padEnd(48)} ${value.padStart(10)} ${r.unit}`);
  }
}
