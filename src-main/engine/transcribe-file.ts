import * as tf from '@tensorflow/tfjs-core';
import type { LoadedModel } from '../model/model-io.js';
import { outputFrameMs } from '../model/config.js';
import { alignTranscript } from '../speech/align.js';
import { readAudio } from '../speech/audio.js';
import { beamSearch, DEFAULT_BEAM_SEARCH, LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import { type DecodedWord, greedyDecode } from '../speech/decode.js';
import { minSamples } from '../speech/features.js';
import { computeFeatures } from '../speech/front-end.js';

export interface FileTranscript {
  file: string;
  text: string;
  words: DecodedWord[];
  durationSec: number;
  /** Wall-clock seconds spent recognising (after decoding the file). */
  computeSec: number;
  warnings: string[];
}

/** How a file's text is decoded: greedy, or with a word language model's beam search. */
export interface FileDecoding {
  lm: LmDecoding | null;
  beamWidth: number; // LM_BEAM_WIDTH, as dictation's finals
}

/** Offline recognition of one audio file with a loaded model (any format audio.ts reads). */
export async function transcribeFile(
  file: string,
  m: LoadedModel,
  decoding: FileDecoding = { lm: null, beamWidth: LM_BEAM_WIDTH },
): Promise<FileTranscript> {
  const audio = await readAudio(file, { sampleRate: m.features.sampleRate });
  const t0 = performance.now();
  const warnings = [...(audio.warnings ?? [])];
  if (audio.samples.length < minSamples(m.features)) {
    return {
      file,
      text: '',
      words: [],
      durationSec: audio.durationSec,
      computeSec: 0,
      warnings: [...warnings, 'too short to contain speech'],
    };
  }
  const feats = computeFeatures(audio.samples, m.features, m.dir); // [T, F]
  const x = tf.tensor3d(feats.data, [1, feats.frames, feats.bins]); // [1, T, F]
  const { logProbs, lengths } = m.model.logProbs(x, [feats.frames]);
  x.dispose();
  const lp = logProbs.dataSync() as Float32Array; // [1, T', V]
  logProbs.dispose();
  const rows = lp.subarray(0, lengths[0] * m.alphabet.size);
  const frameMs = outputFrameMs(m.model.config);
  let r = greedyDecode(rows, lengths[0], m.alphabet, { frameMs });
  if (decoding.lm && lengths[0] > 0) {
    const beam = { ...DEFAULT_BEAM_SEARCH, beamWidth: decoding.beamWidth };
    const { text } = beamSearch(rows, lengths[0], m.alphabet, null, beam, decoding.lm);
    if (text !== r.text) r = alignTranscript(rows, lengths[0], m.alphabet, text, frameMs);
  }
  return {
    file,
    text: r.text,
    words: r.words,
    durationSec: audio.durationSec,
    computeSec: (performance.now() - t0) / 1000,
    warnings,
  };
}
