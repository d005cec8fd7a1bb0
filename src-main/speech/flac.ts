// FLAC decoding in-process, with the WebAssembly build of libFLAC (@wasm-audio-decoders/flac).
//
// Why frames are split here rather than by the decoder's own `decodeFile`: the frame splitter it uses
// (codec-parser 2.5) finds the end of a frame by looking for the next frame's header, and when that
// search runs into the end of the data it either drops the stream's last frame or glues it onto the
// one before, which libFLAC then decodes alone. Either way the last block was lost: up to 4,096
// samples (256 ms at 16 kHz), often the end of the last word, in almost every file. Splitting needs
// only the two checksums FLAC defines (flac-frames.ts), and the end of the data ends the last frame.

import { splitFlacFrames } from './flac-frames.js';

export interface FlacDecoded {
  /** One array per channel, each `samplesDecoded` long. */
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth: number;
  /** Samples STREAMINFO declares, or null when it does not say (0 = unknown in FLAC). */
  declaredSamples: number | null;
  /** True when the data ends in part of a frame (a cut-off file), which was left out. */
  lastFrameDropped: boolean;
}

interface WasmFlacDecoder {
  ready: Promise<void>;
  reset(): Promise<void>;
  decodeFrames(frames: Uint8Array[]): Promise<{
    channelData: Float32Array[];
    samplesDecoded: number;
    sampleRate: number;
    bitDepth: number;
    errors: unknown[];
  }>;
}

let decoder: Promise<WasmFlacDecoder> | null = null;
let queue: Promise<void> = Promise.resolve();

/**
 * Decodes a whole FLAC file. Returns null when the bytes are not a FLAC stream this decoder can
 * read (no frames, or frames libFLAC reports errors in), so the caller can try another decoder.
 */
export async function decodeFlac(bytes: Uint8Array): Promise<FlacDecoded | null> {
  const audioStart = firstFrameOffset(bytes);
  if (audioStart === null) return null;
  const frames = splitFlacFrames(bytes, audioStart);
  if (frames.complete.length === 0) return null;

  decoder ??= import('@wasm-audio-decoders/flac').then(async (m) => {
    const d = new m.FLACDecoder() as unknown as WasmFlacDecoder;
    await d.ready;
    return d;
  });
  const d = await decoder;
  // One decoder instance holds stream state: decodes take turns.
  const turn = queue.then(async () => {
    await d.reset();
    return d.decodeFrames(frames.complete);
  });
  queue = turn.then(
    () => undefined,
    () => undefined,
  );
  const out = await turn;
  if (out.errors.length > 0 || out.channelData.length === 0 || out.samplesDecoded === 0) return null;
  const declared = declaredSamples(bytes);
  // A final frame is decoded whole; STREAMINFO's count is where the stream really ends.
  const keep = declared !== null ? Math.min(declared, out.samplesDecoded) : out.samplesDecoded;
  return {
    channelData: out.channelData.map((ch) => ch.subarray(0, keep)),
    samplesDecoded: keep,
    sampleRate: out.sampleRate,
    bitDepth: out.bitDepth,
    declaredSamples: declared,
    // A cut-off file ends in part of a frame, which cannot be decoded.
    lastFrameDropped: frames.partial !== null,
  };
}

/** Byte offset of the first audio frame: after "fLaC" and the metadata blocks, or null if malformed. */
function firstFrameOffset(bytes: Uint8Array): number | null {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'fLaC') return null;
  let at = 4;
  for (;;) {
    if (at + 4 > bytes.length) return null;
    // Block header: 1 bit "last block", 7 bits type, 24 bits length.
    const last = (bytes[at] & 0x80) !== 0;
    const length = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    at += 4 + length;
    if (last) return at <= bytes.length ? at : null;
  }
}

/** STREAMINFO (the first metadata block) declares the total sample count in 36 bits at bytes 21–25. */
function declaredSamples(bytes: Uint8Array): number | null {
  if (bytes.length < 26) return null;
  const total =
    (bytes[21] & 0x0f) * 2 ** 32 +
    ((bytes[22] << 24) >>> 0) +
    (bytes[23] << 16) +
    (bytes[24] << 8) +
    bytes[25];
  return total > 0 ? total : null;
}
