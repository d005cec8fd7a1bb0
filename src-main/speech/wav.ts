// WAV bytes in and out, plus the raw-PCM helpers used for live microphone audio.
// Pure and synchronous: no file system, no child processes. File I/O, other formats and
// resampling live in audio.ts.

/** Why reading or writing audio failed. Codes are stable; messages name the file. */
export type AudioErrorCode =
  | 'ENOENT' // no such file, or the folder to write into does not exist
  | 'EISDIR' // a folder where a file was expected
  | 'EACCES' // no permission
  | 'IO_ERROR' // any other operating-system failure
  | 'EMPTY' // zero bytes, or a well-formed file holding no audio frames
  | 'TRUNCATED' // the file ends inside its header, or before its first complete frame
  | 'BAD_HEADER' // header present but self-contradictory (0 channels, 0 Hz, bad chunk sizes)
  | 'UNSUPPORTED_FORMAT' // recognised container, sample format that cannot be decoded
  | 'NOT_AUDIO' // not an audio file at all (text, image, ...)
  | 'NO_SOX' // the sox program is needed but not installed
  | 'DECODE_FAILED' // sox started but failed part-way
  | 'BAD_ARGUMENT'; // the caller passed something unusable (NaN samples, a 0 Hz rate, ...)

export class AudioError extends Error {
  override readonly name = 'AudioError';
  constructor(
    readonly code: AudioErrorCode,
    message: string,
    /** The file (or upload name) concerned, when there is one. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** WAVE_FORMAT_* tags this module knows by name (others are reported by number). */
const FORMAT_NAMES: Record<number, string> = {
  0x0001: 'PCM',
  0x0002: 'MS ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0055: 'MPEG layer 3',
  0xfffe: 'extensible',
};
const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 carry the format tag. */
const KSDATAFORMAT_SUBTYPE_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');
/** Streaming writers put this in the data size when the length was unknown at header time. */
const UNKNOWN_SIZE = 0xffffffff;

export type SampleEncoding = 'unsigned-integer' | 'signed-integer' | 'floating-point';

/** A natively decoded WAV, still at its own sample rate. */
export interface WavData {
  /** Channel average of every frame, in [-1, 1]. */
  mono: Float32Array; // [frames]
  sampleRate: number; // Hz, as stored in the file
  channels: number;
  bitsPerSample: number; // container size of one sample
  encoding: SampleEncoding;
  /** The effective WAVE_FORMAT tag (the sub-format for WAVE_FORMAT_EXTENSIBLE). */
  formatTag: number;
  extensible: boolean;
  /** Things that were repaired or tolerated, e.g. a data chunk shorter than declared. */
  warnings: string[];
}

/** Is this buffer a RIFF/WAVE file (by its first 12 bytes)? */
export function isRiffWave(buf: Buffer): boolean {
  return (
    buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE'
  );
}

interface FmtChunk {
  formatTag: number;
  channels: number;
  sampleRate: number;
  /** Declared bytes per second (rate × blockAlign for PCM and float). */
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  extensible: boolean;
}

/**
 * Float data may hold a stray NaN or infinity (a glitch in whoever wrote it): those frames are set to 0 with a
 * warning. More than this many frames, plus this share of all frames, means the data is not the floats the
 * header says (e.g. a header edited to claim 32-bit float over 16-bit samples): the file is refused rather than
 * transcribed from noise.
 */
const NON_FINITE_ALLOWANCE = 64;
const NON_FINITE_SHARE = 0.001;

/** Where a WAV file's audio lies and how it is encoded: what parseWavHeader reads before any sample. */
export interface WavLayout {
  sampleRate: number; // Hz, as stored in the file
  channels: number;
  bitsPerSample: number; // container size of one sample
  blockAlign: number; // bytes per frame (all channels)
  encoding: SampleEncoding;
  formatTag: number;
  extensible: boolean;
  /** Byte offset of the first frame in the file. */
  dataStart: number;
  /** Complete frames of audio (what the data chunk holds, or the file still has when it was cut off). */
  frames: number;
  /** Things that were repaired or tolerated in the layout, e.g. a data chunk shorter than declared. */
  warnings: string[];
}

/**
 * Decodes a RIFF/WAVE file held in memory: PCM 8 (unsigned), 16, 24 and 32-bit integer, 32 and
 * 64-bit float, plain or WAVE_FORMAT_EXTENSIBLE, any channel count (averaged to mono).
 *
 * Tolerates what real recordings contain: unknown chunks (LIST, bext, ...), missing pad bytes after
 * odd-sized chunks, and a data chunk whose declared size is unknown (0xFFFFFFFF), too large, or 0 from a
 * writer that never came back to fill it in; in those cases the audio runs to the last complete frame and a
 * warning says so. A header that ends before the data chunk is a TRUNCATED error; a header that contradicts
 * itself or its data (a byte rate that is not rate × frame size, float data that is mostly NaN) is BAD_HEADER.
 *
 * Other sample formats (A-law, µ-law, ADPCM, 12-bit, ...) throw UNSUPPORTED_FORMAT; audio.ts then hands
 * the file to sox. `name` is used in error messages only.
 */
export function parseWav(buf: Buffer, name: string): WavData {
  const layout = parseWavHeader(buf, name)!; // the whole file is here: never null
  const { mono, nonFinite } = decodeWavFrames(buf.subarray(layout.dataStart), layout, layout.frames);
  checkNonFinite(nonFinite, layout.frames, layout, name);
  const warnings = [...layout.warnings];
  if (nonFinite > 0) warnings.push(nonFiniteWarning(nonFinite));
  const { sampleRate, channels, bitsPerSample, encoding, formatTag, extensible } = layout;
  return { mono, sampleRate, channels, bitsPerSample, encoding, formatTag, extensible, warnings };
}

/**
 * Reads a WAV file's header from `buf`, the file's first bytes (the whole file, or a prefix of a file of
 * fileBytes bytes that is read piece by piece): where the audio starts, how many frames it holds, how they
 * are encoded. Returns null when the header goes on past the prefix (read more and call again). Errors as
 * parseWav's.
 */
export function parseWavHeader(buf: Buffer, name: string, fileBytes = buf.length): WavLayout | null {
  if (buf.length === 0) throw new AudioError('EMPTY', `${name}: the file is empty (0 bytes)`, name);
  if (buf.length < 12) {
    if (buf.length < fileBytes) return null;
    if ('RIFF'.startsWith(buf.toString('latin1', 0, Math.min(4, buf.length))))
      throw new AudioError('TRUNCATED', `${name}: WAV file cut off inside its 12-byte RIFF header`, name);
    throw new AudioError('NOT_AUDIO', `${name}: not a WAV file (${buf.length} bytes, no RIFF header)`, name);
  }
  if (!isRiffWave(buf))
    throw new AudioError('NOT_AUDIO', `${name}: not a WAV file (no RIFF/WAVE header)`, name);

  const warnings: string[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // True when bytes up to `end` are needed but only a prefix of the file is here.
  const beyondPrefix = (end: number) => end > buf.length && buf.length < fileBytes;
  let fmt: FmtChunk | undefined;
  let dataStart = -1;
  let dataBytes = 0;
  let dataNote = ''; // why the data runs to the end of the file instead of its declared size
  let pos = 12;

  while (dataStart < 0 || !fmt) {
    if (beyondPrefix(pos + 8)) return null;
    if (pos + 8 > buf.length) {
      const missing = !fmt ? 'fmt chunk' : 'data chunk';
      throw new AudioError(
        'TRUNCATED',
        `${name}: WAV header ends before the ${missing} (file cut off?)`,
        name,
      );
    }
    const id = buf.toString('latin1', pos, pos + 4);
    const size = view.getUint32(pos + 4, true);
    const bodyStart = pos + 8;
    const available = fileBytes - bodyStart;

    if (id === 'data') {
      if (dataStart >= 0) throw new AudioError('BAD_HEADER', `${name}: WAV file has two data chunks`, name);
      dataStart = bodyStart;
      if (size === UNKNOWN_SIZE) {
        dataNote = 'data size unknown (0xFFFFFFFF, streamed recording)';
        dataBytes = available;
      } else if (size > available) {
        dataNote = `data chunk declares ${size} bytes but only ${available} are present (file cut off)`;
        dataBytes = available;
      } else if (size === 0 && fmt && available >= fmt.blockAlign) {
        if (beyondPrefix(bodyStart + 8)) return null;
        if (!looksLikeChunk(buf, bodyStart)) {
          // Some recorders write 0 and never come back to fix the header; the audio follows regardless.
          dataNote = 'data size written as 0 but audio follows (unfinished recording)';
          dataBytes = available;
        }
      } else {
        dataBytes = size;
      }
      if (dataBytes === available) break; // nothing can follow; a missing fmt is reported below
    } else if (id === 'fmt ') {
      if (size > available)
        throw new AudioError('TRUNCATED', `${name}: WAV file cut off inside its fmt chunk`, name);
      if (beyondPrefix(bodyStart + size)) return null;
      fmt = readFmt(buf, view, bodyStart, size, name);
    } else if (!/^[\x20-\x7e]{4}$/.test(id)) {
      if (dataStart >= 0) break; // trailing junk after the audio: ignore it
      throw new AudioError(
        'BAD_HEADER',
        `${name}: corrupt WAV header (chunk id ${JSON.stringify(id)} at byte ${pos})`,
        name,
      );
    }
    // Chunks are word-aligned: odd sizes are followed by a pad byte, which some writers forget.
    pos = bodyStart + size;
    if (size % 2 === 1) {
      if (beyondPrefix(pos + 9)) return null;
      if (!(looksLikeChunk(buf, pos) && !looksLikeChunk(buf, pos + 1))) pos += 1;
    }
  }
  if (!fmt) throw new AudioError('BAD_HEADER', `${name}: WAV file has no fmt chunk before its audio`, name);
  return layoutOf(fmt, dataStart, dataBytes, dataNote, warnings, name);
}

/** The layout of the audio once fmt and data are found; refuses formats and headers that cannot be read. */
function layoutOf(
  fmt: FmtChunk,
  dataStart: number,
  dataBytes: number,
  dataNote: string,
  warnings: string[],
  name: string,
): WavLayout {
  const { channels, sampleRate, bitsPerSample, blockAlign } = fmt;
  const described = describeFormat(fmt);
  const bytesPerSample = bitsPerSample / 8;
  const encoding = nativeEncoding(fmt);
  if (!encoding || blockAlign !== channels * bytesPerSample) {
    throw new AudioError(
      'UNSUPPORTED_FORMAT',
      `${name}: unsupported WAV sample format (${described}); supported natively: ` +
        'PCM 8/16/24/32-bit integer and 32/64-bit float',
      name,
    );
  }
  // For PCM and float the byte rate is rate × frame size by definition: a header that says otherwise was
  // edited or written wrong, and its channels, rate or format cannot be trusted to match the data.
  if (fmt.byteRate !== sampleRate * blockAlign) {
    throw new AudioError(
      'BAD_HEADER',
      `${name}: the WAV header contradicts itself: ${channels} channel(s) of ${described} at ${sampleRate} Hz ` +
        `make ${sampleRate * blockAlign} bytes a second, but it declares ${fmt.byteRate}`,
      name,
    );
  }

  const frames = Math.floor(dataBytes / blockAlign);
  if (frames === 0) {
    if (dataBytes === 0)
      throw new AudioError('EMPTY', `${name}: WAV file holds no audio (empty data chunk)`, name);
    throw new AudioError('TRUNCATED', `${name}: WAV data ends before the first complete frame`, name);
  }
  const partial = dataBytes % blockAlign;
  if (dataNote || partial) {
    const dropped = partial ? `, dropped ${partial} bytes of an incomplete frame` : '';
    warnings.push(`${dataNote || 'data ends mid-frame'}: read ${frames} complete frames${dropped}`);
  }
  const { formatTag, extensible } = fmt;
  return {
    sampleRate,
    channels,
    bitsPerSample,
    blockAlign,
    encoding,
    formatTag,
    extensible,
    dataStart,
    frames,
    warnings,
  };
}

/**
 * Decodes `frames` frames from `bytes` (starting at a frame boundary) to their channel average in [-1, 1].
 * NaN and infinite frames become 0 and are counted.
 */
export function decodeWavFrames(
  bytes: Buffer,
  layout: Pick<WavLayout, 'channels' | 'bitsPerSample' | 'encoding'>,
  frames: number,
): { mono: Float32Array; nonFinite: number } {
  const { channels, bitsPerSample, encoding } = layout;
  const bytesPerSample = bitsPerSample / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mono = new Float32Array(frames); // [frames]
  const read = sampleReader(view, encoding, bitsPerSample);
  let nonFinite = 0;
  for (let f = 0, at = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += bytesPerSample) sum += read(at);
    let v = sum / channels;
    if (!Number.isFinite(v)) {
      nonFinite++;
      v = 0;
    }
    // Float files may exceed full scale; everything downstream expects [-1, 1].
    mono[f] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return { mono, nonFinite };
}

/** Refuses float data with more NaN or infinite frames than a glitch explains (see NON_FINITE_ALLOWANCE). */
export function checkNonFinite(
  nonFinite: number,
  frames: number,
  layout: Pick<WavLayout, 'channels' | 'bitsPerSample'>,
  name: string,
): void {
  if (nonFinite <= NON_FINITE_ALLOWANCE + NON_FINITE_SHARE * frames) return;
  throw new AudioError(
    'BAD_HEADER',
    `${name}: ${nonFinite} of ${frames} frames decode to NaN or infinity: the data is not the ` +
      `${layout.channels}-channel ${layout.bitsPerSample}-bit float audio its header declares`,
    name,
  );
}

export function nonFiniteWarning(nonFinite: number): string {
  return `${nonFinite} frames held NaN or infinite samples and were set to 0`;
}

/** True when 8 bytes at `pos` plausibly start a RIFF chunk (printable id). */
function looksLikeChunk(buf: Buffer, pos: number): boolean {
  if (pos + 8 > buf.length) return false;
  for (let i = pos; i < pos + 4; i++) if (buf[i] < 0x20 || buf[i] > 0x7e) return false;
  return true;
}

function readFmt(buf: Buffer, view: DataView, at: number, size: number, name: string): FmtChunk {
  if (size < 16) throw new AudioError('BAD_HEADER', `${name}: WAV fmt chunk too short (${size} bytes)`, name);
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const byteRate = view.getUint32(at + 8, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (channels === 0) throw new AudioError('BAD_HEADER', `${name}: WAV header declares 0 channels`, name);
  if (sampleRate === 0)
    throw new AudioError('BAD_HEADER', `${name}: WAV header declares a sample rate of 0 Hz`, name);

  const extensible = formatTag === WAVE_FORMAT_EXTENSIBLE;
  if (extensible) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) subFormat GUID(16) after the 16 basic bytes.
    const cbSize = size >= 18 ? view.getUint16(at + 16, true) : 0;
    if (size < 40 || cbSize < 22) {
      throw new AudioError(
        'BAD_HEADER',
        `${name}: WAVE_FORMAT_EXTENSIBLE fmt chunk too short (${size} bytes)`,
        name,
      );
    }
    const guid = buf.subarray(at + 24, at + 40);
    // Not a KSDATAFORMAT_SUBTYPE GUID: keep 0xFFFE so the format reads as unsupported.
    if (guid.subarray(2).equals(KSDATAFORMAT_SUBTYPE_TAIL)) formatTag = guid.readUInt16LE(0);
  }
  return { formatTag, channels, sampleRate, byteRate, blockAlign, bitsPerSample, extensible };
}

function nativeEncoding({ formatTag, bitsPerSample }: FmtChunk): SampleEncoding | undefined {
  if (formatTag === WAVE_FORMAT_PCM) {
    if (bitsPerSample === 8) return 'unsigned-integer';
    if (bitsPerSample === 16 || bitsPerSample === 24 || bitsPerSample === 32) return 'signed-integer';
  }
  if (formatTag === WAVE_FORMAT_IEEE_FLOAT && (bitsPerSample === 32 || bitsPerSample === 64))
    return 'floating-point';
  return undefined;
}

function describeFormat({ formatTag, bitsPerSample, extensible, channels, blockAlign }: FmtChunk): string {
  const tag = FORMAT_NAMES[formatTag] ?? `format tag 0x${formatTag.toString(16).padStart(4, '0')}`;
  const parts = [`${tag}${extensible && formatTag !== WAVE_FORMAT_EXTENSIBLE ? ' (extensible)' : ''}`];
  parts.push(`${bitsPerSample}-bit`);
  if (bitsPerSample % 8 === 0 && blockAlign !== (channels * bitsPerSample) / 8) {
    parts.push(`block align ${blockAlign} for ${channels} channels`);
  }
  return parts.join(', ');
}

/** Reads one sample at a byte offset and scales it to [-1, 1] (sox's convention: divide by 2^(bits-1)). */
function sampleReader(view: DataView, encoding: SampleEncoding, bits: number): (at: number) => number {
  if (encoding === 'floating-point') {
    return bits === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true);
  }
  switch (bits) {
    case 8:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, true) / 32768;
    case 24:
      return (at) => ((view.getInt8(at + 2) << 16) | view.getUint16(at, true)) / 8388608;
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

export interface EncodeWavOptions {
  /** 16 = PCM integer, clipped to full scale (default); 32 = IEEE float, stored unclipped. */
  bitsPerSample?: 16 | 32;
}

/** Largest payload a RIFF file can describe with its 32-bit sizes. */
const MAX_RIFF_BYTES = 0xffffffff - 64;

/** Encodes mono samples as a WAV file: 16-bit PCM (default) or 32-bit float. */
export function encodeWav(samples: Float32Array, sampleRate: number, opts: EncodeWavOptions = {}): Buffer {
  const bits = opts.bitsPerSample ?? 16;
  if (bits !== 16 && bits !== 32)
    throw new AudioError('BAD_ARGUMENT', `bitsPerSample must be 16 or 32, got ${bits}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new AudioError(
      'BAD_ARGUMENT',
      `sample rate must be a positive whole number of Hz, got ${sampleRate}`,
    );
  }
  assertFinite(samples);
  const isFloat = bits === 32;
  const bytesPerSample = bits / 8;
  const dataBytes = samples.length * bytesPerSample;
  // Float WAVs carry the extended fmt (cbSize = 0) and a fact chunk, as the format requires for non-PCM.
  const fmtBytes = isFloat ? 18 : 16;
  const factChunkBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factChunkBytes + 8;
  if (headerBytes + dataBytes > MAX_RIFF_BYTES) {
    throw new AudioError(
      'BAD_ARGUMENT',
      `${samples.length} samples are too many for one WAV file (4 GiB limit)`,
    );
  }

  const buf = Buffer.alloc(headerBytes + dataBytes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  const tag = (s: string) => {
    buf.write(s, at, 'latin1');
    at += 4;
  };
  const u32 = (v: number) => {
    view.setUint32(at, v, true);
    at += 4;
  };
  const u16 = (v: number) => {
    view.setUint16(at, v, true);
    at += 2;
  };

  tag('RIFF');
  u32(buf.length - 8);
  tag('WAVE');
  tag('fmt ');
  u32(fmtBytes);
  u16(isFloat ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM);
  u16(1); // channels
  u32(sampleRate);
  u32(sampleRate * bytesPerSample); // byte rate
  u16(bytesPerSample); // block align
  u16(bits);
  if (isFloat) {
    u16(0); // cbSize
    tag('fact');
    u32(4);
    u32(samples.length); // frames
  }
  tag('data');
  u32(dataBytes);
  if (isFloat) {
    for (let i = 0; i < samples.length; i++, at += 4) view.setFloat32(at, samples[i], true);
  } else {
    writePcm16(samples, view, at);
  }
  return buf;
}

function assertFinite(samples: Float32Array): void {
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new AudioError('BAD_ARGUMENT', `sample ${i} is ${samples[i]}: audio must be finite numbers`);
    }
  }
}

/** Scales by 32768 (as sox does), so 16-bit values survive a round trip exactly; clips at full scale. */
function writePcm16(samples: Float32Array, view: DataView, at: number): void {
  for (let i = 0; i < samples.length; i++, at += 2) {
    const v = Math.round(samples[i] * 32768);
    view.setInt16(at, v > 32767 ? 32767 : v < -32768 ? -32768 : v, true);
  }
}

/** Little-endian signed 16-bit PCM (mono, or interleaved as it comes) → float samples in [-1, 1). */
export function pcm16ToFloat32(buf: Buffer): Float32Array {
  if (buf.length % 2 !== 0) {
    throw new AudioError(
      'BAD_ARGUMENT',
      `16-bit PCM needs an even number of bytes, got ${buf.length} (use Pcm16ChunkDecoder for stream chunks)`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Float32Array(buf.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** Float samples → little-endian signed 16-bit PCM, clipped to full scale. Non-finite samples are an error. */
export function float32ToPcm16(samples: Float32Array): Buffer {
  assertFinite(samples);
  const buf = Buffer.alloc(samples.length * 2);
  writePcm16(samples, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), 0);
  return buf;
}

/**
 * Converts a stream of 16-bit PCM chunks whose boundaries may fall mid-sample (as pipes deliver them):
 * an odd trailing byte is kept and joined to the next chunk instead of shifting every later sample.
 */
export class Pcm16ChunkDecoder {
  private carry: Buffer | null = null;

  push(chunk: Buffer): Float32Array {
    const joined = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = joined.length - (joined.length % 2);
    this.carry = whole < joined.length ? Buffer.from(joined.subarray(whole)) : null;
    return pcm16ToFloat32(joined.subarray(0, whole));
  }

  /** Bytes held back waiting for their other half (0 or 1). */
  get pendingBytes(): number {
    return this.carry?.length ?? 0;
  }

  reset(): void {
    this.carry = null;
  }
}
