// Reading audio a chunk at a time gives readAudio's samples, refuses what readAudio refuses, and holds a chunk.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, readAudio } from '../../src-main/speech/audio.js';
import { openAudioStream, type AudioStreamConfig } from '../../src-main/speech/audio-stream.js';
import { buildWav, runSox, sine } from './audio-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attune-audio-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every chunk of a stream, checked against the chunk size, joined. */
async function readAll(path: string, opts: Partial<AudioStreamConfig>) {
  const stream = await openAudioStream(path, opts);
  const parts: Float32Array[] = [];
  for await (const chunk of stream.chunks()) {
    // sox's pipe may hand over a little more than asked; never a whole file's worth.
    expect(chunk.length).toBeLessThanOrEqual(2 * (opts.chunkSamples ?? 160_000) + 16_384);
    parts.push(chunk);
  }
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) samples.set(p, (at += p.length) - p.length);
  return { stream, samples, chunks: parts.length };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A 16-bit code sequence: two tones, so any misplaced chunk would show. */
function codes(n: number, rate: number): number[] {
  const a = sine(440, rate, n / rate, 0.4);
  const b = sine(1234, rate, n / rate, 0.2);
  return Array.from(a, (v, i) => Math.round((v + b[i]) * 32767));
}

describe('openAudioStream', () => {
  it('streams a WAV at the model rate with the same samples as readAudio, a chunk at a time', async () => {
    const n = 16000 * 3 + 123;
    const left = codes(n, 16000);
    const right = left.map((c) => -c >> 1);
    for (const [kind, channels] of [
      ['s16', [left]],
      ['s16', [left, right]],
      ['f32', [left.map((c) => c / 32768)]],
    ] as const) {
      const file = join(dir, `${kind}-${channels.length}.wav`);
      await writeFile(file, buildWav({ kind, sampleRate: 16000, channels: channels.map((c) => [...c]) }));
      const whole = await readAudio(file);
      const { stream, samples, chunks } = await readAll(file, { chunkSamples: 1000 });
      expect(chunks).toBe(Math.ceil(n / 1000));
      expect(stream.expectedSamples).toBe(n);
      expect(stream.source).toEqual(whole.source);
      expect(samples).toEqual(whole.samples);
    }
  });

  it('resamples a WAV at another rate through the same sox effect as readAudio, as it streams', async () => {
    const file = join(dir, 'rate-22050.wav');
    await writeFile(file, buildWav({ kind: 's16', sampleRate: 22050, channels: [codes(22050 * 4, 22050)] }));
    const whole = await readAudio(file);
    const { samples, stream } = await readAll(file, { chunkSamples: 4000 });
    expect(stream.expectedSamples).toBe(16000 * 4);
    expect(samples.length).toBe(whole.samples.length);
    expect(maxAbsDiff(samples, whole.samples)).toBeLessThanOrEqual(1e-6);
  });

  it('finds the audio behind a header longer than its first read (a big metadata chunk)', async () => {
    const file = join(dir, 'big-list.wav');
    const tag = Buffer.alloc(300_000, 0x41);
    const wav = buildWav({
      kind: 's16',
      sampleRate: 16000,
      channels: [codes(8000, 16000)],
      before: [['LIST', tag]],
    });
    await writeFile(file, wav);
    const { samples } = await readAll(file, { chunkSamples: 3000 });
    expect(samples).toEqual((await readAudio(file)).samples);
  });

  it('streams other formats through sox when they are too big to decode whole', async () => {
    const src = join(dir, 'src.wav');
    await writeFile(src, buildWav({ kind: 's16', sampleRate: 16000, channels: [codes(16000 * 5, 16000)] }));
    const flac = join(dir, 'big.flac');
    expect(runSox([src, flac]).status).toBe(0);
    const whole = await readAudio(flac); // in-process FLAC decoder
    const { samples, stream } = await readAll(flac, { chunkSamples: 2000, wholeFileMaxBytes: 0 });
    expect(stream.source).toMatchObject({ format: 'flac', sampleRate: 16000, channels: 1 });
    expect(stream.expectedSamples).toBe(16000 * 5);
    expect(samples.length).toBe(whole.samples.length);
    // Both decoders are lossless; sox's float conversion rounds differently, within one 16-bit step.
    expect(maxAbsDiff(samples, whole.samples)).toBeLessThan(1 / 32768);
  });

  it('ends its sox when the reader stops early: no decoder is left running', async () => {
    const src = join(dir, 'long-src.wav');
    await writeFile(src, buildWav({ kind: 's16', sampleRate: 22050, channels: [codes(22050 * 20, 22050)] }));
    const flac = join(dir, 'long.flac');
    expect(runSox([src, flac]).status).toBe(0);
    const soxChildren = () =>
      spawnSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)])
        .stdout.toString()
        .split('\n')
        .filter((c) => c === 'sox');
    // A big FLAC decoded by sox, and a WAV at another rate resampled by sox: one chunk each, then stop.
    for (const [file, opts] of [
      [flac, { wholeFileMaxBytes: 0 }],
      [src, {}],
    ] as const) {
      const stream = await openAudioStream(file, { ...opts, chunkSamples: 1000 });
      for await (const chunk of stream.chunks()) {
        expect(chunk.length).toBeGreaterThan(0);
        expect(soxChildren()).toEqual(['sox']); // still decoding when the reader stops
        break;
      }
      await expect.poll(soxChildren, { timeout: 5000 }).toEqual([]);
    }
  });

  it('refuses a WAV whose header lies about its format, naming the problem', async () => {
    // 16-bit mono speech-like data under a header claiming 8 channels of 32-bit float at 96 kHz.
    const real = buildWav({
      kind: 's16',
      sampleRate: 16000,
      channels: [codes(16000, 16000).map((c) => c >> 6)],
    });
    const lie = Buffer.from(real);
    lie.writeUInt16LE(3, 20); // IEEE float
    lie.writeUInt16LE(8, 22); // channels
    lie.writeUInt32LE(96000, 24);
    lie.writeUInt16LE(32, 32); // block align
    lie.writeUInt16LE(32, 34); // bits
    const file = join(dir, 'lie.wav');
    await writeFile(file, lie);
    // The byte rate still says 32000 bytes a second: the header contradicts itself.
    for (const read of [() => readAudio(file), () => readAll(file, {})]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioError);
      expect((err as AudioError).message).toMatch(
        /lie\.wav: the WAV header contradicts itself.*declares 32000/,
      );
    }
    // A liar who fixed the byte rate too: the "float" samples are mostly NaN.
    lie.writeUInt32LE(96000 * 32, 28);
    await writeFile(file, lie);
    for (const read of [() => readAudio(file), () => readAll(file, {})]) {
      const err = await read().catch((e: unknown) => e);
      expect((err as AudioError).code).toBe('BAD_HEADER');
      expect((err as AudioError).message).toMatch(
        /lie\.wav: \d+ of \d+ frames decode to NaN.*not the 8-channel/,
      );
    }
  });

  it('reports a big file sox cannot read as not audio, naming it', async () => {
    const file = join(dir, 'notes.bin');
    await writeFile(file, Buffer.alloc(40_000, 'x'));
    const err = await readAll(file, { wholeFileMaxBytes: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect((err as AudioError).message).toContain('notes.bin');
  });
});
