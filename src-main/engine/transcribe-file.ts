import * as tf from '@tensorflow/tfjs-core';
import type { LoadedModel } from '../model/model-io.js';
import { outputFrameMs } from '../model/config.js';
import { readAudio } from '../speech/audio.js';
import { type DecodedWord, greedyDecode } from '../speech/decode.js';
import { logMel, minSamples } from '../speech/features.js';

export interface FileTranscript {
  file: string;
  text: string;
  words: DecodedWord[];
  durationSec: number;
  /** Wall-clock seconds spent recognising (after decoding the file). */
  computeSec: number;
  warnings: string[];
}

/** Offline recognition of one audio file with a loaded model (any format audio.ts reads). */
export async function transcribeFile(file: string, m: LoadedModel): Promise<FileTranscript> {
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
  const feats = logMel(audio.samples, m.features.sampleRate, m.features);
  const x = tf.tensor3d(feats.data, [1, feats.frames, feats.bins]); // [1, T, F]
  const { logProbs, lengths } = m.model.logProbs(x, [feats.frames]);
  x.dispose();
  const lp = logProbs.dataSync() as Float32Array; // [1, T', V]
  logProbs.dispose();
  const r = greedyDecode(lp.subarray(0, lengths[0] * m.alphabet.size), lengths[0], m.alphabet, {
    frameMs: outputFrameMs(m.model.config),
  });
  return {
    file,
    text: r.text,
    words: r.words,
    durationSec: audio.durationSec,
    computeSec: (performance.now() - t0) / 1000,
    warnings,
  };
}
