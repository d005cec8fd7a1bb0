import type { LoadedModel } from '../model/model-io.js';
import { outputFrameMs } from '../model/config.js';
import { openAudioStream } from '../speech/audio-stream.js';
import { LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import type { DecodedWord } from '../speech/decode.js';
import { minSamples } from '../speech/features.js';
import { frontEndMismatch, StreamingFeatures } from '../speech/front-end.js';
import { DEFAULT_PIECE_DECODER, PieceDecoder, type PieceDecoderConfig } from './piece-decoder.js';

export interface FileTranscript {
  file: string;
  text: string;
  words: DecodedWord[];
  durationSec: number;
  /** Wall-clock seconds spent reading and recognising the file. */
  computeSec: number;
  warnings: string[];
}

/** How a file's text is decoded: greedy, or with a word language model's beam search. */
export interface FileDecoding {
  lm: LmDecoding | null;
  beamWidth: number; // LM_BEAM_WIDTH, as dictation's finals
}

/**
 * How a file goes through the model. Memory is bounded by these, not by the file's length: a file is read,
 * turned into features and pushed through the streaming model a chunk at a time (the model's working memory is
 * sized by the chunk; whole, 20 minutes took 3.7 GB and an hour exhausted WASM's 4 GB), and its log-probs are
 * decoded in pieces (piece-decoder.ts).
 */
export interface FileTranscriptionConfig {
  /** Audio read and pushed through the model at a time, in seconds. */
  chunkSec: number; // 10
  /** Other formats than WAV up to this size are decoded whole; bigger ones are streamed by sox. */
  wholeFileMaxBytes: number; // 16 MiB (audio-stream.ts)
  pieces: PieceDecoderConfig;
}

export const DEFAULT_FILE_TRANSCRIPTION: FileTranscriptionConfig = {
  chunkSec: 10,
  wholeFileMaxBytes: 16 * 2 ** 20,
  pieces: DEFAULT_PIECE_DECODER,
};

/** Seconds of audio recognised so far, and in all when known. */
export type TranscriptionProgress = (doneSec: number, totalSec: number | null) => void;

/**
 * Offline recognition of one audio file of any length with a loaded model (any format audio.ts reads). The
 * streaming model gives the offline model's log-probs (acoustic.ts ModelStream), so a short file is
 * transcribed exactly as a whole; see PieceDecoder for what differs in a long one.
 */
export async function transcribeFile(
  file: string,
  m: LoadedModel,
  decoding: FileDecoding = { lm: null, beamWidth: LM_BEAM_WIDTH },
  config: Partial<FileTranscriptionConfig> = {},
  onProgress?: TranscriptionProgress,
): Promise<FileTranscript> {
  const cfg = { ...DEFAULT_FILE_TRANSCRIPTION, ...config };
  const t0 = performance.now();
  const rate = m.features.sampleRate;
  const mismatch = frontEndMismatch(m.features, m.model.config.featureBins, m.dir);
  if (mismatch) throw new Error(`model ${m.dir}: ${mismatch}`);
  const features = new StreamingFeatures(m.features, m.dir);
  const pieces = new PieceDecoder(m.alphabet, outputFrameMs(m.model.config), decoding, cfg.pieces);
  // Opened last: once open, the stream is read to its end or given up by the loop below (ending its sox).
  const audio = await openAudioStream(file, {
    sampleRate: rate,
    chunkSamples: Math.max(1, Math.round(cfg.chunkSec * rate)),
    wholeFileMaxBytes: cfg.wholeFileMaxBytes,
  });
  const model = m.model.createStream();
  const run = (feats: { data: Float32Array; frames: number }) => {
    if (feats.frames === 0) return;
    const out = model.accept(feats.data, feats.frames); // [frames', V]
    pieces.accept(out.logProbs, out.frames);
  };
  const totalSec = audio.expectedSamples === null ? null : audio.expectedSamples / rate;
  try {
    for await (const chunk of audio.chunks()) {
      run(features.accept(chunk));
      onProgress?.(features.samplesAccepted / rate, totalSec);
    }
    const durationSec = features.samplesAccepted / rate;
    if (features.samplesAccepted < minSamples(m.features)) {
      const warnings = [...audio.warnings, 'too short to contain speech'];
      return { file, text: '', words: [], durationSec, computeSec: 0, warnings };
    }
    run(features.flush());
    const last = model.flush(); // the look-ahead's last frames, padded as the offline model pads
    pieces.accept(last.logProbs, last.frames);
    const { text, words } = pieces.finish();
    const computeSec = (performance.now() - t0) / 1000;
    return { file, text, words, durationSec, computeSec, warnings: [...audio.warnings] };
  } finally {
    model.dispose();
  }
}
