import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src-main/speech/audio.js';
import { decodeFlac } from '../../src-main/speech/flac.js';
import { frameHeaderLength, splitFlacFrames } from '../../src-main/speech/flac-frames.js';
import { runSox, sine, soxReference } from './audio-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attune-flac-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Encodes mono 16 kHz samples to a 16-bit FLAC with sox, as the corpus generator does. */
async function soxFlac(name: string, samples: Float32Array): Promise<{ path: string; bytes: Uint8Array }> {
  const wav = join(dir, `${name}.wav`);
  await writeFile(wav, encodeWav(samples, 16000));
  const path = join(dir, `${name}.flac`);
  const r = runSox(['-D', wav, '-b', '16', path]);
  if (r.status !== 0) throw new Error(`sox could not make ${path}: ${r.stderr}`);
  return { path, bytes: new Uint8Array(await readFile(path)) };
}

/** Offset of the first frame of a file sox wrote: the first valid frame header after the metadata. */
function firstFrame(bytes: Uint8Array): number {
  for (let i = 4; i < bytes.length; i++) if (frameHeaderLength(bytes, i) !== null) return i;
  throw new Error('no frame header');
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('decodeFlac', () => {
  // 48,832 samples = 11 blocks of 4,096 and a last block of 3,776: the last block holds the end of
  // the sound, as the end of the last word in a recording.
  it('decodes the last, short block, sample for sample as sox does', async () => {
    const { path, bytes } = await soxFlac('short-last-block', sine(300, 16000, 48832 / 16000, 0.4));
    const decoded = await decodeFlac(bytes);
    expect(decoded).not.toBeNull();
    const ref = soxReference(path);
    expect(ref.length).toBe(48832);
    expect(decoded!.samplesDecoded).toBe(48832);
    expect(decoded!.declaredSamples).toBe(48832);
    expect(decoded!.lastFrameDropped).toBe(false);
    const got = decoded!.channelData[0];
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    expect(maxDiff).toBeLessThan(1 / 32768 + 1e-6); // at most one 16-bit step apart
    expect(Math.max(...got.subarray(45056).map(Math.abs))).toBeGreaterThan(0.35);
  });

  it('keeps a last block of digital silence, a frame of a dozen bytes', async () => {
    const samples = concat(sine(500, 16000, 2, 0.4), new Float32Array(3000));
    const { bytes } = await soxFlac('silent-tail', samples);
    const frames = splitFlacFrames(bytes, firstFrame(bytes));
    expect(frames.complete.at(-1)!.length).toBeLessThan(20);
    expect(frames.partial).toBeNull();
    expect((await decodeFlac(bytes))!.samplesDecoded).toBe(samples.length);
  });

  it('splits into frames that each end in a valid header or the end of the data', async () => {
    const { bytes } = await soxFlac('frames', sine(440, 16000, 3.3, 0.3));
    const start = firstFrame(bytes);
    const frames = splitFlacFrames(bytes, start);
    expect(frames.complete).toHaveLength(Math.ceil((3.3 * 16000) / 4096));
    expect(start + frames.complete.reduce((n, f) => n + f.length, 0)).toBe(bytes.length);
    for (const f of frames.complete) expect(frameHeaderLength(f, 0)).not.toBeNull();
  });

  it('decodes the whole frames of a cut-off file and says the last one was left out', async () => {
    const { bytes } = await soxFlac('cut', sine(440, 16000, 2, 0.5));
    const decoded = await decodeFlac(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(decoded!.lastFrameDropped).toBe(true);
    expect(decoded!.samplesDecoded % 4096).toBe(0);
    expect(decoded!.samplesDecoded).toBeGreaterThan(8192);
    expect(decoded!.samplesDecoded).toBeLessThan(32000);
  });

  it('ignores a tag appended after the last frame', async () => {
    const samples = sine(440, 16000, 1.7, 0.5);
    const { bytes } = await soxFlac('tagged', samples);
    const tag = new TextEncoder().encode('TAG' + 'x'.repeat(125)); // an ID3v1 tag's 128 bytes
    const tagged = new Uint8Array(bytes.length + tag.length);
    tagged.set(bytes);
    tagged.set(tag, bytes.length);
    const decoded = await decodeFlac(tagged);
    expect(decoded!.samplesDecoded).toBe(samples.length);
    expect(decoded!.lastFrameDropped).toBe(false);
  });

  it('returns null for bytes that are not FLAC, so another decoder can try', async () => {
    expect(await decodeFlac(new TextEncoder().encode('fLaC but nothing else of one'))).toBeNull();
    expect(await decodeFlac(new Uint8Array(100))).toBeNull();
  });
});

describe('frameHeaderLength', () => {
  it('accepts a real header and rejects it with one bit of its CRC-8 flipped or a reserved value', async () => {
    const { bytes } = await soxFlac('header', sine(440, 16000, 0.5, 0.5));
    const at = firstFrame(bytes);
    const length = frameHeaderLength(bytes, at)!;
    expect(length).toBeGreaterThanOrEqual(6);
    const flipped = bytes.slice();
    flipped[at + length - 1] ^= 0x01;
    expect(frameHeaderLength(flipped, at)).toBeNull();
    const reserved = bytes.slice();
    reserved[at + 3] = (reserved[at + 3] & 0x0f) | 0xb0; // channel assignment 0b1011 is reserved
    expect(frameHeaderLength(reserved, at)).toBeNull();
    expect(frameHeaderLength(bytes, at + 1)).toBeNull();
  });
});
