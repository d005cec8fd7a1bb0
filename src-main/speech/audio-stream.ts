// Audio files read a chunk at a time, for files too long to hold in memory (an hour of 16 kHz float is 230 MB,
// on top of the file's own bytes). readAudio (audio.ts) stays the reader of clips; this one gives the same
// samples in pieces:
//  - WAV in a format wav.ts decodes is read from disk frame by frame with the same decoder and the same checks
//    (a lying header is refused); at another rate the frames are piped through the same sox `rate` effect
//    readAudio resamples with, so the samples are the same too.
//  - Any other file up to wholeFileMaxBytes is decoded whole by readAudio (FLAC in-process, its warnings),
//    then handed out in chunks: a small file costs little memory however it is read.
//  - A bigger one is decoded by sox into a pipe that is read as the consumer asks for more.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import {
  AudioError,
  type AudioReadConfig,
  type AudioSource,
  DEFAULT_AUDIO_READ_CONFIG,
  float32ToRaw,
  fsError,
  looksLikeWav,
  parseSoxInput,
  RAW_F32,
  rawToFloat32,
  readAudio,
  readHead,
  resolveConfig,
  soxFailure,
  soxSpawnError,
  statAudioFile,
} from './audio.js';
import { checkNonFinite, decodeWavFrames, nonFiniteWarning, parseWavHeader, type WavLayout } from './wav.js';

export interface AudioStreamConfig extends AudioReadConfig {
  /** Samples (at sampleRate) per chunk handed out: what the consumer holds at a time. */
  chunkSamples: number; // 160_000, 10 s at 16 kHz
  /**
   * Files that wav.ts cannot stream and that are at most this big are decoded whole by readAudio (the same
   * decoders and warnings as every other reader); bigger ones are streamed through sox. 16 MiB is about
   * 15 minutes of 16 kHz FLAC or MP3 at 128 kbit/s: at most ~60 MB of samples.
   */
  wholeFileMaxBytes: number; // 16 MiB
}

export const DEFAULT_AUDIO_STREAM_CONFIG: Readonly<AudioStreamConfig> = {
  ...DEFAULT_AUDIO_READ_CONFIG,
  chunkSamples: 160_000,
  wholeFileMaxBytes: 16 * 2 ** 20,
};

export interface AudioStream {
  source: AudioSource;
  /** Samples (at the configured rate) the stream will give, when known beforehand (for progress). */
  readonly expectedSamples: number | null;
  /** What was tolerated while reading, as readAudio reports it; complete once chunks() has ended. */
  readonly warnings: string[];
  /** The samples, mono in [-1, 1], in chunks of about chunkSamples. Iterate once. */
  chunks(): AsyncGenerator<Float32Array>;
}

/** Opens an audio file for reading in chunks. Errors are readAudio's (AudioErrors naming the file). */
export async function openAudioStream(
  path: string,
  opts: Partial<AudioStreamConfig> = {},
): Promise<AudioStream> {
  const cfg: AudioStreamConfig = { ...DEFAULT_AUDIO_STREAM_CONFIG, ...opts };
  resolveConfig(cfg); // refuses a bad sample rate as readAudio does
  if (!(cfg.chunkSamples >= 1))
    throw new AudioError('BAD_ARGUMENT', `chunkSamples must be at least 1, got ${cfg.chunkSamples}`);
  const { file, size } = await statAudioFile(path);
  if (looksLikeWav(await readHead(file, 12, path))) {
    const wav = await openWavStream(file, size, path, cfg);
    if (wav) return wav;
  }
  if (size <= cfg.wholeFileMaxBytes) return wholeFileStream(path, cfg);
  return soxStream(file, path, cfg);
}

/** A WAV file wav.ts decodes, streamed from disk; null when its sample format needs sox. */
async function openWavStream(
  file: string,
  size: number,
  name: string,
  cfg: AudioStreamConfig,
): Promise<AudioStream | null> {
  let handle: FileHandle | undefined = await open(file, 'r').catch((err: unknown) => {
    throw fsError(err, name, 'read');
  });
  try {
    const layout = await readWavLayout(handle, size, name);
    if (!layout) return null;
    const frames = wavFrames(handle, layout, name, cfg);
    handle = undefined; // the generator owns it now
    const warnings = [...layout.warnings];
    const sameRate = layout.sampleRate === cfg.sampleRate;
    return {
      source: {
        format: 'wav',
        encoding: layout.encoding,
        sampleRate: layout.sampleRate,
        channels: layout.channels,
        bitsPerSample: layout.bitsPerSample,
      },
      expectedSamples: Math.round((layout.frames * cfg.sampleRate) / layout.sampleRate),
      warnings,
      chunks: () => (sameRate ? frames(warnings) : resampled(frames(warnings), layout.sampleRate, name, cfg)),
    };
  } finally {
    await handle?.close();
  }
}

/** The WAV header, read in growing prefixes (metadata chunks can come before the audio); null: needs sox. */
async function readWavLayout(handle: FileHandle, size: number, name: string): Promise<WavLayout | null> {
  for (let bytes = 64 * 1024; ; bytes *= 4) {
    const prefix = Buffer.alloc(Math.min(bytes, size));
    const { bytesRead } = await handle.read(prefix, 0, prefix.length, 0);
    try {
      const layout = parseWavHeader(prefix.subarray(0, bytesRead), name, size);
      if (layout || bytesRead >= size) return layout;
    } catch (err) {
      if (err instanceof AudioError && err.code === 'UNSUPPORTED_FORMAT') return null;
      throw err;
    }
  }
}

/** The frames of a WAV file at its own rate, chunk by chunk, checked as parseWav checks them. */
function wavFrames(
  handle: FileHandle,
  layout: WavLayout,
  name: string,
  cfg: AudioStreamConfig,
): (warnings: string[]) => AsyncGenerator<Float32Array> {
  const perChunk = Math.max(1, Math.ceil((cfg.chunkSamples * layout.sampleRate) / cfg.sampleRate));
  return async function* (warnings) {
    let nonFinite = 0;
    try {
      const bytes = Buffer.alloc(perChunk * layout.blockAlign);
      for (let at = 0; at < layout.frames; at += perChunk) {
        const n = Math.min(perChunk, layout.frames - at);
        const position = layout.dataStart + at * layout.blockAlign;
        const { bytesRead } = await handle.read(bytes, 0, n * layout.blockAlign, position).catch((err) => {
          throw fsError(err, name, 'read');
        });
        // The file shrank while it was read: keep what was there, as a cut-off recording is kept.
        const got = Math.floor(bytesRead / layout.blockAlign);
        const chunk = decodeWavFrames(bytes, layout, got);
        nonFinite += chunk.nonFinite;
        // A header that lies shows in its first chunk already: refuse before transcribing noise.
        checkNonFinite(nonFinite, at + got, layout, name);
        if (got > 0) yield chunk.mono;
        if (got < n) {
          warnings.push(
            `the file ended early while it was read: read ${at + got} of ${layout.frames} frames`,
          );
          break;
        }
      }
      if (nonFinite > 0) warnings.push(nonFiniteWarning(nonFinite));
    } finally {
      await handle.close();
    }
  };
}

/** A small file, decoded whole by readAudio and handed out in chunks. */
async function wholeFileStream(path: string, cfg: AudioStreamConfig): Promise<AudioStream> {
  const audio = await readAudio(path, cfg);
  return {
    source: audio.source,
    expectedSamples: audio.samples.length,
    warnings: audio.warnings,
    chunks: async function* () {
      for (let at = 0; at < audio.samples.length; at += cfg.chunkSamples)
        yield audio.samples.subarray(at, at + cfg.chunkSamples);
    },
  };
}

/** A big file of any format sox reads, decoded by sox into a pipe that is read as the consumer goes. */
async function soxStream(file: string, name: string, cfg: AudioStreamConfig): Promise<AudioStream> {
  // -V3 makes sox describe the input on stderr; -D: no dither, the output is float.
  const sox = startSox(cfg, ['-V3', '-D', file, ...RAW_F32, '-r', String(cfg.sampleRate), '-'], name);
  sox.child.stdin.end();
  const warnings: string[] = [];
  // sox describes the input before it writes any audio: wait for that (or for its end) to know what it is.
  await sox.described;
  const input = parseSoxInput(sox.stderr());
  if (!input) {
    const code = await sox.exited;
    const reason = soxFailure(sox.stderr()) ?? `sox exited with ${code}`;
    throw new AudioError('NOT_AUDIO', `${name}: not a readable audio file: ${reason}`, name);
  }
  return {
    source: {
      format: input.type ?? (name.split('.').pop()?.toLowerCase() || 'unknown'),
      encoding: input.encoding,
      sampleRate: input.sampleRate,
      channels: input.channels,
      ...(input.bitsPerSample !== undefined && { bitsPerSample: input.bitsPerSample }),
    },
    expectedSamples: input.durationSec ? Math.round(input.durationSec * cfg.sampleRate) : null,
    warnings,
    chunks: async function* () {
      let samples = 0;
      let read = false;
      try {
        for await (const chunk of sox.output(cfg.chunkSamples)) {
          samples += chunk.length;
          yield chunk;
        }
        read = true;
      } finally {
        // A reader that stops early (an error downstream) ends sox too.
        if (!read) sox.child.kill('SIGKILL');
      }
      const code = await sox.exited;
      const failure = soxFailure(sox.stderr())?.replaceAll(file, name);
      if (samples === 0) {
        const reason = failure ?? (code !== 0 ? `sox exited with ${code}` : 'sox produced no audio');
        throw new AudioError(
          code === 0 ? 'EMPTY' : 'DECODE_FAILED',
          `${name}: decoding failed: ${reason}`,
          name,
        );
      }
      if (failure) warnings.push(`decoding stopped early, the audio may be cut short: ${failure}`);
    },
  };
}

/** Frames at `fromRate` through sox's band-limited `rate` effect (as readAudio resamples), as they come. */
async function* resampled(
  input: AsyncGenerator<Float32Array>,
  fromRate: number,
  name: string,
  cfg: AudioStreamConfig,
): AsyncGenerator<Float32Array> {
  const args = ['-V1', '-D', ...RAW_F32, '-r', String(fromRate), '-'];
  args.push(...RAW_F32, '-r', String(cfg.sampleRate), '-', 'rate', '-h');
  const sox = startSox(cfg, args, name);
  // The input is written while the output is read: sox holds only its filter's worth in between.
  let inputError: unknown = null;
  let stopped = false;
  const feeding = (async () => {
    try {
      for await (const chunk of input) {
        if (stopped) break;
        await sox.write(float32ToRaw(chunk));
      }
    } catch (err) {
      inputError = err;
      sox.child.kill('SIGKILL');
    } finally {
      sox.child.stdin.end();
    }
  })();
  try {
    yield* sox.output(cfg.chunkSamples);
    await feeding;
    if (inputError) throw inputError;
    const code = await sox.exited;
    if (code !== 0) {
      const reason = soxFailure(sox.stderr()) ?? `sox exited with ${code}`;
      throw new AudioError(
        'DECODE_FAILED',
        `${name}: resampling to ${cfg.sampleRate} Hz failed: ${reason}`,
        name,
      );
    }
  } finally {
    // A no-op once sox has exited; ends it (and the feeding) when the reader stopped early.
    stopped = true;
    sox.child.kill('SIGKILL');
    await feeding;
  }
}

interface SoxPipe {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once sox has described its input on stderr, or has exited. */
  described: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stderr(): string;
  /** Writes to sox's stdin, waiting while its pipe is full. */
  write(bytes: Buffer): Promise<void>;
  /** sox's raw float output as samples, in chunks of about `samples`. */
  output(samples: number): AsyncGenerator<Float32Array>;
}

function startSox(cfg: AudioStreamConfig, args: string[], name: string): SoxPipe {
  const child = spawn(cfg.soxPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError: AudioError | null = null;
  let stdinClosed = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = soxSpawnError(e, cfg, name, `decoding ${name}`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  const described = new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (stderr.includes('Output File')) resolve();
    });
    void exited.then(() => resolve());
  });
  // If sox exits early a write fails with EPIPE; its exit code already tells the story.
  child.stdin.on('error', () => undefined);
  child.stdin.on('close', () => (stdinClosed = true));
  const failIfUnstarted = () => {
    if (spawnError) throw spawnError;
  };
  return {
    child,
    described: described.then(failIfUnstarted),
    exited: exited.then((code) => {
      failIfUnstarted();
      return code;
    }),
    stderr: () => stderr,
    write: async (bytes) => {
      if (stdinClosed || child.stdin.write(bytes)) return;
      await new Promise<void>((resolve) => {
        child.stdin.once('drain', resolve);
        child.stdin.once('close', resolve);
      });
    },
    output: async function* (samples) {
      let pending: Buffer[] = [];
      let bytes = 0;
      // Whole samples only: a sample split between two reads waits for its other bytes.
      const take = () => {
        const all = Buffer.concat(pending);
        const usable = all.length - (all.length % 4);
        pending = usable < all.length ? [all.subarray(usable)] : [];
        bytes = all.length - usable;
        return rawToFloat32(all.subarray(0, usable));
      };
      for await (const data of child.stdout as AsyncIterable<Buffer>) {
        pending.push(data);
        bytes += data.length;
        if (bytes >= samples * 4) yield take();
      }
      if (bytes >= 4) yield take();
    },
  };
}
