import { rename, rm } from 'node:fs/promises';
import { finishSamples, soxEffects, type Augmentation } from './augment.js';
import type { Rng } from './random.js';
import { run, ToolError } from './run.js';

/**
 * sox's raw float format: how samples cross the pipe. Little-endian, as Float32Array is on every
 * platform Node runs on.
 */
const RAW_F32 = ['-t', 'raw', '-e', 'floating-point', '-b', '32', '-L', '-c', '1'];
/** Shortest speech (seconds) a synthesiser may return before we call it a failure. */
const MIN_SPEECH_SECONDS = 0.2;

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/**
 * Turns one synthesiser WAV into a finished corpus file: sox applies the filter effects and
 * resamples, this process adds pads, noise and level, and sox encodes 16-bit FLAC to a temporary
 * name that is renamed into place only when complete (so an existing file is always a whole one).
 * `-D` turns off sox's random dither so the same input gives the same bytes. Returns the length in
 * samples.
 */
export async function renderUtterance(
  synthWav: string,
  outPath: string,
  augment: Augmentation,
  sampleRate: number,
  noiseRng: Rng,
): Promise<number> {
  const filtered = await run('sox', [
    '-D',
    '-V1',
    synthWav,
    ...RAW_F32,
    '-r',
    String(sampleRate),
    '-',
    ...soxEffects(augment, sampleRate),
  ]).catch((err: unknown) => {
    // A WAV sox cannot read is this utterance's problem; sox not being installed is everyone's.
    if (err instanceof ToolError && !err.missing) throw new RenderError(err.message);
    throw err;
  });
  const bytes = filtered.stdout;
  const speech = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~3)),
  ); // [samples]
  if (speech.length < MIN_SPEECH_SECONDS * sampleRate || !speech.some((x) => Math.abs(x) > 1e-4)) {
    throw new RenderError(`${synthWav}: the synthesiser produced no speech (${speech.length} samples)`);
  }
  const samples = finishSamples(speech, augment, sampleRate, noiseRng);
  const partial = `${outPath}.partial`;
  try {
    const pcm = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    await run(
      'sox',
      ['-D', '-V1', ...RAW_F32, '-r', String(sampleRate), '-', '-t', 'flac', '-b', '16', partial],
      {
        input: pcm,
      },
    );
    await rename(partial, outPath);
  } finally {
    await rm(partial, { force: true });
  }
  return samples.length;
}
