// Test-side signal generation, measurement and an independent WAV byte builder, so the reader is checked
// against bytes it did not write itself.

import { spawnSync } from 'node:child_process';

/** A sine of `freqHz` at `amplitude`, `seconds` long, sampled at `sampleRate`. */
export function sine(freqHz: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freqHz * i) / sampleRate);
  return out;
}

/** The middle part of a signal, away from resampler and codec edge effects. */
export function middle(x: Float32Array, keepFraction = 0.6): Float32Array {
  const skip = Math.floor((x.length * (1 - keepFraction)) / 2);
  return x.subarray(skip, x.length - skip);
}

export function rms(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

/** Frequency of a (mostly) pure tone from its upward zero crossings, interpolated between samples. */
export function zeroCrossingFrequency(x: Float32Array, sampleRate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const t = i - 1 + -x[i - 1] / (x[i] - x[i - 1]);
      if (first < 0) first = t;
      last = t;
      count++;
    }
  }
  if (count < 2) return 0;
  return ((count - 1) * sampleRate) / (last - first);
}

/** Magnitude of the DFT of `x` at `freqHz`, normalised so a sine of amplitude A gives ≈ A. */
export function toneMagnitude(x: Float32Array, sampleRate: number, freqHz: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < x.length; i++) {
    const phase = (2 * Math.PI * freqHz * i) / sampleRate;
    re += x[i] * Math.cos(phase);
    im -= x[i] * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

export type SampleKind = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64';

export interface WavSpec {
  kind: SampleKind;
  sampleRate: number;
  /** Integer codes (for integer kinds) or float values, one array per channel. */
  channels: number[][];
  extensible?: boolean;
  /** Chunks to put before fmt / between fmt and data / after data: [id, body]. */
  before?: [string, Buffer][];
  between?: [string, Buffer][];
  after?: [string, Buffer][];
  /** Overrides the data chunk's size field (e.g. 0xFFFFFFFF for a streamed file). */
  dataSizeField?: number;
  /** Leave out pad bytes after odd-sized extra chunks, as some broken writers do. */
  omitPadding?: boolean;
}

const KIND_BITS: Record<SampleKind, number> = { u8: 8, s16: 16, s24: 24, s32: 32, f32: 32, f64: 64 };

/** Builds WAV bytes field by field with Buffer's own writers. */
export function buildWav(spec: WavSpec): Buffer {
  const bits = KIND_BITS[spec.kind];
  const isFloat = spec.kind === 'f32' || spec.kind === 'f64';
  const nch = spec.channels.length;
  const frames = spec.channels[0]?.length ?? 0;
  const bytes = bits / 8;

  const data = Buffer.alloc(frames * nch * bytes);
  let at = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < nch; c++, at += bytes) {
      const v = spec.channels[c][f];
      if (spec.kind === 'u8') data.writeUInt8(v, at);
      else if (spec.kind === 's16') data.writeInt16LE(v, at);
      else if (spec.kind === 's24') data.writeIntLE(v, at, 3);
      else if (spec.kind === 's32') data.writeInt32LE(v, at);
      else if (spec.kind === 'f32') data.writeFloatLE(v, at);
      else data.writeDoubleLE(v, at);
    }
  }

  const tag = isFloat ? 3 : 1;
  const fmt = Buffer.alloc(spec.extensible ? 40 : 16);
  fmt.writeUInt16LE(spec.extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(nch, 2);
  fmt.writeUInt32LE(spec.sampleRate, 4);
  fmt.writeUInt32LE(spec.sampleRate * nch * bytes, 8);
  fmt.writeUInt16LE(nch * bytes, 12);
  fmt.writeUInt16LE(bits, 14);
  if (spec.extensible) {
    fmt.writeUInt16LE(22, 16); // cbSize
    fmt.writeUInt16LE(bits, 18); // valid bits
    fmt.writeUInt32LE(nch === 2 ? 0x3 : 0x4, 20); // channel mask
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
    fmt.writeUInt16LE(tag, 24);
  }

  const chunk = (id: string, body: Buffer, sizeField = body.length, pad = true) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(sizeField, 4);
    return Buffer.concat([head, body, pad && body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const extra = (list: [string, Buffer][] = []) =>
    list.map(([id, body]) => chunk(id, body, body.length, !spec.omitPadding));
  const body = Buffer.concat([
    Buffer.from('WAVE', 'latin1'),
    ...extra(spec.before),
    chunk('fmt ', fmt),
    ...extra(spec.between),
    chunk('data', data, spec.dataSizeField ?? data.length),
    ...extra(spec.after),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** Runs sox synchronously; returns its exit status and stderr. */
export function runSox(
  args: string[],
  input?: Buffer,
): { status: number | null; stderr: string; stdout: Buffer } {
  const r = spawnSync('sox', args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr.toString(), stdout: r.stdout };
}

/** sox's own decode of a file to mono float32 at its own rate, as a reference for the native reader. */
export function soxReference(file: string): Float32Array {
  const r = runSox(['-D', file, '-t', 'raw', '-L', '-e', 'floating-point', '-b', '32', '-c', '1', '-']);
  if (r.status !== 0) throw new Error(`sox failed on ${file}: ${r.stderr}`);
  const out = new Float32Array(r.stdout.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = r.stdout.readFloatLE(i * 4);
  return out;
}
