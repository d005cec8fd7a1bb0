// The whole-file path transcribeFile replaced, kept as the reference it is measured against: the file read
// whole, its features as one tensor through the offline model, one decode of every frame.
import * as tf from '@tensorflow/tfjs-core';
import type { FileDecoding } from '../../src-main/engine/transcribe-file.js';
import { outputFrameMs } from '../../src-main/model/config.js';
import type { LoadedModel } from '../../src-main/model/model-io.js';
import { alignSearchResult } from '../../src-main/speech/align.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { beamSearch } from '../../src-main/speech/beam-search.js';
import { type DecodedWord, greedyDecode } from '../../src-main/speech/decode.js';
import { computeFeatures } from '../../src-main/speech/front-end.js';

export async function transcribeWhole(
  file: string,
  m: LoadedModel,
  decoding: FileDecoding,
): Promise<{ text: string; words: DecodedWord[]; durationSec: number }> {
  const audio = await readAudio(file, { sampleRate: m.features.sampleRate });
  const feats = computeFeatures(audio.samples, m.features, m.dir); // [T, F]
  const x = tf.tensor3d(feats.data, [1, feats.frames, feats.bins]); // [1, T, F]
  const { logProbs, lengths } = m.model.logProbs(x, [feats.frames]);
  x.dispose();
  const lp = logProbs.dataSync() as Float32Array; // [1, T', V]
  logProbs.dispose();
  const T = lengths[0];
  const rows = lp.subarray(0, T * m.alphabet.size);
  const frameMs = outputFrameMs(m.model.config);
  let r = greedyDecode(rows, T, m.alphabet, { frameMs });
  if (decoding.lm && T > 0) {
    const beam = { beamWidth: decoding.beamWidth };
    const result = beamSearch(rows, T, m.alphabet, null, beam, decoding.lm);
    if (result.text !== r.text) r = alignSearchResult(rows, T, m.alphabet, result, frameMs);
  }
  return { text: r.text, words: r.words, durationSec: audio.durationSec };
}
