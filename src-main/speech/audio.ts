// Audio files in and out. WAV is read natively (wav.ts); every other format, and all resampling, goes
// through the sox program, whose `rate` effect is a proper band-limited resampler. sox is already a system
// dependency of the app (microphone capture), so this adds no new one.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { decodeFlac } from './flac.js';
import { AudioError, encodeWav, isRiffWave, parseWav, type EncodeWavOptions, type WavData } from './wav.js';

export {
  AudioError,
  encodeWav,
  float32ToPcm16,
  parseWav,
  pcm16ToFloat32,
  Pcm16ChunkDecoder,
  type AudioErrorCode,
  type EncodeWavOptions,
  type WavData,
} from './wav.js';

/**
 * Bumped whenever a change here changes the samples a file decodes to, so that anything computed from
 * decoded audio and stored (training feature caches) is recomputed. 2: FLAC's last block is kept.
 */
export const AUDIO_READER_VERSION = 2;

export interface AudioReadConfig {
  /** Rate every result is resampled to, in Hz. */
  sampleRate: number; // 16000
  /** The sox program: a name looked up on PATH, or a full path. */
  soxPath: string; // 'sox'
}

export const DEFAULT_AUDIO_READ_CONFIG: Readonly<AudioReadConfig> = { sampleRate: 16000, soxPath: 'sox' };

/** What the file held before decoding. */
export interface AudioSource {
  /** Container: 'wav', 'flac', 'mp3', 'ogg', ... */
  format: string;
  /** Sample encoding as stored, e.g. 'signed-integer', 'floating-point', '8-bit u-law', 'Vorbis'. */
  encoding: string;
  sampleRate: number; // Hz, as stored
  channels: number;
  /** Sample precision as stored, where the format has one. */
  bitsPerSample?: number;
}

export interface AudioData {
  samples: Float32Array; // [sampleRate * durationSec] mono, in [-1, 1]
  sampleRate: number; // Hz, always the requested rate
  durationSec: number;
  source: AudioSource;
  /** What was tolerated while reading (e.g. a recording cut off mid-write); empty for a clean file. */
  warnings: string[];
}

const SOX_INSTALL_HINT = 'install it with `apt-get install sox libsox-fmt-all` (macOS: `brew install sox`)';
/** Extensions that are audio even when this sox build has no handler for them. */
const AUDIO_EXTENSIONS = new Set(['.aac', '.m4a', '.mp4', '.opus', '.wma', '.webm', '.mka', '.ape', '.alac']);
/** sox's raw output (and raw input for resampling): mono 32-bit little-endian float. */
export const RAW_F32 = ['-t', 'raw', '-L', '-e', 'floating-point', '-b', '32', '-c', '1'];

/**
 * Reads an audio file as mono float samples at `sampleRate` (16 kHz by default). WAV is decoded natively;
 * other formats, and WAV encodings such as µ-law, are decoded by sox. Channels are averaged. Errors are
 * AudioErrors whose message names the file.
 */
export async function readAudio(path: string, opts: Partial<AudioReadConfig> = {}): Promise<AudioData> {
  const config = resolveConfig(opts);
  const { file } = await statAudioFile(path);
  const decodeFile = (unsupported?: AudioError) => decodeWithSox(file, path, config, unsupported);
  const head = await readHead(file, 12, path);
  if (isFlac(head)) {
    // FLAC (what speech corpora ship) decodes in-process: no sox process per file.
    const buf = await readFile(file).catch((err: unknown) => {
      throw fsError(err, path, 'read');
    });
    const native = await fromFlac(buf, path, config);
    return native ?? decodeFile();
  }
  if (!looksLikeWav(head)) return decodeFile();
  const buf = await readFile(file).catch((err: unknown) => {
    throw fsError(err, path, 'read');
  });
  return fromWav(buf, path, config, decodeFile);
}

/**
 * Decodes an audio file held in memory (an upload); `name` is its file name, used for messages and, for
 * non-WAV data, to tell sox the format by its extension. Same result and errors as readAudio.
 */
export async function decodeAudioBuffer(
  buf: Buffer,
  name: string,
  opts: Partial<AudioReadConfig> = {},
): Promise<AudioData> {
  const config = resolveConfig(opts);
  if (buf.length === 0) throw new AudioError('EMPTY', `${name}: the file is empty (0 bytes)`, name);
  // sox needs a seekable file to detect most formats, so hand it a private temporary copy.
  const decodeCopy = (unsupported?: AudioError) =>
    withTempCopy(buf, name, (file) => decodeWithSox(file, name, config, unsupported));
  if (isFlac(buf)) return (await fromFlac(buf, name, config)) ?? decodeCopy();
  if (!looksLikeWav(buf)) return decodeCopy();
  return fromWav(buf, name, config, decodeCopy);
}

/**
 * Writes mono samples as a WAV file (16-bit PCM by default, clipped; or 32-bit float), atomically: the
 * bytes go to a temporary file in the same folder, are flushed to disk, then renamed over the target. A
 * failure leaves neither the temporary file nor a partial target behind; an existing target stays intact.
 */
export async function writeWav(
  path: string,
  samples: Float32Array,
  sampleRate: number,
  opts: EncodeWavOptions = {},
): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = encodeWav(samples, sampleRate, opts);
  } catch (err) {
    if (err instanceof AudioError)
      throw new AudioError(err.code, `${path}: ${err.message}`, path, { cause: err });
    throw err;
  }
  await writeFileAtomic(resolve(path), bytes, path);
}

/** The absolute path and size of an audio file to read; refuses a missing, empty or non-regular one. */
export async function statAudioFile(path: string): Promise<{ file: string; size: number }> {
  const file = resolve(path);
  const info = await stat(file).catch((err: unknown) => {
    throw fsError(err, path, 'read');
  });
  if (info.isDirectory()) throw new AudioError('EISDIR', `${path}: is a folder, not an audio file`, path);
  if (!info.isFile()) throw new AudioError('IO_ERROR', `${path}: not a regular file`, path);
  if (info.size === 0) throw new AudioError('EMPTY', `${path}: the file is empty (0 bytes)`, path);
  return { file, size: info.size };
}

export function resolveConfig(opts: Partial<AudioReadConfig>): AudioReadConfig {
  const config = { ...DEFAULT_AUDIO_READ_CONFIG, ...opts };
  if (!Number.isInteger(config.sampleRate) || config.sampleRate <= 0) {
    throw new AudioError(
      'BAD_ARGUMENT',
      `sampleRate must be a positive whole number of Hz, got ${config.sampleRate}`,
    );
  }
  return config;
}

/** RIFF/WAVE, or a file too short to tell that starts like one (parseWav then reports it truncated). */
export function looksLikeWav(head: Buffer): boolean {
  return isRiffWave(head) || (head.length < 12 && 'RIFF'.startsWith(head.toString('latin1', 0, 4)));
}

function isFlac(head: Buffer): boolean {
  return head.length >= 4 && head.toString('latin1', 0, 4) === 'fLaC';
}

/**
 * Decodes FLAC in-process (flac.ts). Returns null when that decoder cannot read the stream, so sox
 * gets a go (and reports the problem if it fails too).
 */
async function fromFlac(buf: Buffer, name: string, config: AudioReadConfig): Promise<AudioData | null> {
  const decoded = await decodeFlac(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  if (!decoded) return null;
  const channels = decoded.channelData.length;
  let mono = decoded.channelData[0].subarray(0, decoded.samplesDecoded);
  if (channels > 1) {
    mono = new Float32Array(decoded.samplesDecoded);
    for (const ch of decoded.channelData) for (let i = 0; i < mono.length; i++) mono[i] += ch[i] / channels;
  } else {
    mono = mono.slice();
  }
  const warnings: string[] = [];
  if (decoded.declaredSamples !== null && decoded.samplesDecoded < decoded.declaredSamples) {
    warnings.push(
      `${name}: the file ends early (${decoded.samplesDecoded} of ${decoded.declaredSamples} samples); the audio may be cut short`,
    );
  }
  const samples =
    decoded.sampleRate === config.sampleRate ? mono : await resample(mono, decoded.sampleRate, config, name);
  return {
    samples,
    sampleRate: config.sampleRate,
    durationSec: samples.length / config.sampleRate,
    source: {
      format: 'flac',
      encoding: 'signed-integer',
      sampleRate: decoded.sampleRate,
      channels,
      bitsPerSample: decoded.bitDepth,
    },
    warnings,
  };
}

async function fromWav(
  buf: Buffer,
  name: string,
  config: AudioReadConfig,
  decodeWithSoxInstead: (unsupported: AudioError) => Promise<AudioData>,
): Promise<AudioData> {
  let wav: WavData;
  try {
    wav = parseWav(buf, name);
  } catch (err) {
    if (err instanceof AudioError && err.code === 'UNSUPPORTED_FORMAT') return decodeWithSoxInstead(err);
    throw err;
  }
  const samples =
    wav.sampleRate === config.sampleRate ? wav.mono : await resample(wav.mono, wav.sampleRate, config, name);
  return {
    samples,
    sampleRate: config.sampleRate,
    durationSec: samples.length / config.sampleRate,
    source: {
      format: 'wav',
      encoding: wav.encoding,
      sampleRate: wav.sampleRate,
      channels: wav.channels,
      bitsPerSample: wav.bitsPerSample,
    },
    warnings: wav.warnings,
  };
}

/**
 * Decodes any file sox understands to mono float at the configured rate. `unsupported` is set when the
 * file is a WAV whose sample format wav.ts cannot read; a sox failure then reports that format.
 */
async function decodeWithSox(
  file: string,
  name: string,
  config: AudioReadConfig,
  unsupported?: AudioError,
): Promise<AudioData> {
  // -V3 makes sox describe the input on stderr; -D: no dither, the output is float.
  const args = ['-V3', '-D', file, ...RAW_F32, '-r', String(config.sampleRate), '-'];
  const needs = unsupported ? 'this WAV sample format' : `decoding ${extname(name) || 'this'} files`;
  const run = await runSox(config, args, null, name, needs);
  // sox names the file by the path it was given; say it the way the caller did (not a temporary copy's path).
  const failure = soxFailure(run.stderr)?.replaceAll(file, name);
  const input = parseSoxInput(run.stderr);
  const samples = rawToFloat32(run.stdout);

  if (run.code !== 0 || samples.length === 0) {
    const reason = failure ?? (run.code !== 0 ? `sox exited with ${run.code}` : 'sox produced no audio');
    if (unsupported) {
      throw new AudioError(
        'UNSUPPORTED_FORMAT',
        `${unsupported.message}; sox could not decode it either: ${reason}`,
        name,
      );
    }
    if (!input) {
      const noHandler = /no handler for file extension/.test(reason);
      if (noHandler && AUDIO_EXTENSIONS.has(extname(name).toLowerCase())) {
        throw new AudioError(
          'UNSUPPORTED_FORMAT',
          `${name}: this sox cannot decode ${extname(name)} files (${reason})`,
          name,
        );
      }
      const hint = noHandler ? ' (if it is audio in a format sox knows, install libsox-fmt-all)' : '';
      throw new AudioError('NOT_AUDIO', `${name}: not a readable audio file: ${reason}${hint}`, name);
    }
    if (run.code === 0) throw new AudioError('EMPTY', `${name}: the file holds no audio`, name);
    throw new AudioError('DECODE_FAILED', `${name}: decoding failed: ${reason}`, name);
  }
  if (!input) {
    throw new AudioError(
      'DECODE_FAILED',
      `${name}: sox decoded the file but did not describe its format`,
      name,
    );
  }

  const warnings = failure ? [`decoding stopped early, the audio may be cut short: ${failure}`] : [];
  return {
    samples,
    sampleRate: config.sampleRate,
    durationSec: samples.length / config.sampleRate,
    source: {
      format: unsupported ? 'wav' : (input.type ?? (extname(name).slice(1).toLowerCase() || 'unknown')),
      encoding: input.encoding,
      sampleRate: input.sampleRate,
      channels: input.channels,
      ...(input.bitsPerSample !== undefined && { bitsPerSample: input.bitsPerSample }),
    },
    warnings,
  };
}

/** Band-limited resampling of mono float audio by piping it through sox's `rate` effect. */
async function resample(
  samples: Float32Array,
  fromRate: number,
  config: AudioReadConfig,
  name: string,
): Promise<Float32Array> {
  const args = ['-V1', '-D', ...RAW_F32, '-r', String(fromRate), '-'];
  args.push(...RAW_F32, '-r', String(config.sampleRate), '-', 'rate', '-h');
  const needs = `resampling ${fromRate} Hz audio to ${config.sampleRate} Hz`;
  const run = await runSox(config, args, float32ToRaw(samples), name, needs);
  if (run.code !== 0) {
    const reason = soxFailure(run.stderr) ?? `sox exited with ${run.code}`;
    throw new AudioError('DECODE_FAILED', `${name}: ${needs} failed: ${reason}`, name);
  }
  return rawToFloat32(run.stdout);
}

interface SoxRun {
  code: number | null; // null when killed by a signal
  stdout: Buffer;
  stderr: string;
}

function runSox(
  config: AudioReadConfig,
  args: string[],
  stdin: Buffer | null,
  name: string,
  needs: string,
): Promise<SoxRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(config.soxPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e: NodeJS.ErrnoException) => reject(soxSpawnError(e, config, name, needs)));
    child.on('close', (code) => {
      resolvePromise({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    // If sox exits early a write fails with EPIPE; its exit code already tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? undefined);
  });
}

/** Why sox could not be started, as an AudioError: NO_SOX when it is not installed. */
export function soxSpawnError(
  e: NodeJS.ErrnoException,
  config: AudioReadConfig,
  name: string,
  needs: string,
): AudioError {
  if (e.code === 'ENOENT' || e.code === 'EACCES') {
    const msg = `${name}: ${needs} needs the sox program, which was not found (${config.soxPath}): ${SOX_INSTALL_HINT}`;
    return new AudioError('NO_SOX', msg, name, { cause: e });
  }
  return new AudioError('DECODE_FAILED', `${name}: could not run sox: ${e.message}`, name, { cause: e });
}

/** sox's own one-line reason from its last "sox FAIL <component>: ..." line. */
export function soxFailure(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('sox FAIL'));
  return lines
    .at(-1)
    ?.replace(/^sox FAIL [\w-]+: /, '')
    .trim();
}

export interface SoxInput {
  type?: string; // present when sox detected it from the content rather than the extension
  channels: number;
  sampleRate: number;
  bitsPerSample?: number;
  encoding: string;
  /** Duration in seconds, when the header gives it (sox's "Duration : … = N samples"). */
  durationSec?: number;
}

/** The "Input File" block that `sox -V3` prints once it has opened the input. */
export function parseSoxInput(stderr: string): SoxInput | undefined {
  const start = stderr.indexOf('Input File');
  if (start < 0) return undefined;
  const end = stderr.indexOf('Output File', start);
  const block = stderr.slice(start, end < 0 ? undefined : end);
  const field = (label: string) => new RegExp(`^${label}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1].trim();
  const channels = Number(field('Channels'));
  const sampleRate = Number(field('Sample Rate'));
  if (!(channels > 0) || !(sampleRate > 0)) return undefined;
  const precision = /^(\d+)-bit/.exec(field('Precision') ?? '');
  const samples = /=\s*(\d+) samples/.exec(field('Duration') ?? '');
  return {
    type: /^Input File\s*:\s*'.*' \((\w+)\)\s*$/m.exec(block)?.[1],
    channels,
    sampleRate,
    ...(precision && { bitsPerSample: Number(precision[1]) }),
    encoding: field('Sample Encoding') ?? 'unknown',
    ...(samples && { durationSec: Number(samples[1]) / sampleRate }),
  };
}

export function rawToFloat32(raw: Buffer): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(Math.floor(raw.length / 4)); // [N]
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function float32ToRaw(samples: Float32Array): Buffer {
  const raw = Buffer.alloc(samples.length * 4);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i], true);
  return raw;
}

export async function readHead(file: string, bytes: number, name: string): Promise<Buffer> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    throw fsError(err, name, 'read');
  } finally {
    await handle?.close();
  }
}

async function withTempCopy<T>(buf: Buffer, name: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-audio-'));
  try {
    // Keep a plain extension only: it tells sox the format, and nothing from the name reaches the path.
    const ext = /^\.[A-Za-z0-9]{1,8}$/.test(extname(name)) ? extname(name) : '';
    const file = join(dir, `upload${ext}`);
    await writeFile(file, buf);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeFileAtomic(target: string, bytes: Buffer, name: string): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw fsError(err, name, 'write');
  }
  await syncFolder(dir);
}

/** Makes the rename itself durable. Not possible on every platform (Windows), where it is skipped. */
async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data itself is already on disk.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function fsError(err: unknown, name: string, action: 'read' | 'write'): AudioError {
  const e = err as NodeJS.ErrnoException;
  const verb = action === 'read' ? 'cannot read' : 'cannot write';
  switch (e.code) {
    case 'ENOENT':
      return action === 'read'
        ? new AudioError('ENOENT', `${name}: no such file`, name, { cause: err })
        : new AudioError(
            'ENOENT',
            `${name}: ${verb}: the folder ${dirname(resolve(name))} does not exist`,
            name,
            {
              cause: err,
            },
          );
    case 'EISDIR':
      return new AudioError('EISDIR', `${name}: ${verb}: it is a folder`, name, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new AudioError('EACCES', `${name}: ${verb}: permission denied`, name, { cause: err });
    default:
      return new AudioError('IO_ERROR', `${name}: ${verb}: ${e.message ?? String(err)}`, name, {
        cause: err,
      });
  }
}
