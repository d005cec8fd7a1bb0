// Tuning the word search's weights to a voice, on real speech: the shipped model and language model on the
// five LibriVox sentences of Debian's pocketsphinx-testdata, which stand in for a user's held-back clips.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModel, type LoadedModel } from '../../src-main/model/model-io.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { beamSearch, LM_BEAM_WIDTH, type LmDecoding } from '../../src-main/speech/beam-search.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import {
  DEFAULT_DECODING_TUNE,
  type DecodingTuneConfig,
  tuneDecoding,
} from '../../src-main/training/decoding-tune.js';
import { evaluate } from '../../src-main/training/evaluate.js';
import { evalItemsOf } from '../../src-main/training/guard.js';
import { pocketsphinxTestdataItems } from '../../src-main/training/human-testdata.js';
import { loadUtterances, type MemoryFeatures } from '../../src-main/training/memory-features.js';

let base: LoadedModel;
let lm: LmDecoding;
let clips: MemoryFeatures;
/** Four pairs, the model's own (0.4, 1.2) among them; any pair that wins at all is taken. */
const ANY_GAIN: DecodingTuneConfig = {
  priorScales: [0.4, 0.8],
  lmWeights: [1.2, 2.0],
  minWords: 1,
  minGain: 0,
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  base = loadModel(BASE_MODEL_DIR);
  const wordLm = WordLm.load(BASE_LM_PATH);
  lm = { lm: wordLm, vocabulary: vocabularyTrie(wordLm, base.alphabet) };
  const librivox = pocketsphinxTestdataItems().filter((u) => u.speaker === 'librivox');
  const utterances = librivox.map((u) => ({
    id: String(u.index),
    speaker: u.speaker,
    audioPath: u.path,
    text: u.text,
  }));
  clips = (await loadUtterances(utterances, base.features)).set;
}, 120_000);

/** WER of the clips as dictation decodes them with the model's decoding at this pair. */
function werAt(priorScale: number, lmWeight: number): number {
  const alphabet = { ...base.alphabet, decoding: { ...base.alphabet.decoding!, priorScale, lmWeight } };
  const decode = (logProbs: Float32Array, T: number) =>
    beamSearch(logProbs, T, alphabet, null, { beamWidth: LM_BEAM_WIDTH }, lm).text;
  return evaluate(base.model, alphabet, evalItemsOf(clips), { decode }).wer;
}

describe('tuneDecoding', () => {
  it('takes the pair with the fewest word errors, measured as dictation would decode with it', () => {
    const own = base.alphabet.decoding!;
    const wers = ANY_GAIN.priorScales.flatMap((a) => ANY_GAIN.lmWeights.map((w) => werAt(a, w)));
    const ownWer = werAt(own.priorScale, own.lmWeight);
    const tune = tuneDecoding(base.model, base.alphabet, clips, lm, ANY_GAIN);
    // On these clips another pair does better than the model's own (prior scale 0.8, LM weight 2.0).
    expect(Math.min(...wers)).toBeLessThan(ownWer);
    expect(tune).not.toBeNull();
    expect(tune!.before).toBeCloseTo(ownWer, 10);
    expect(tune!.after).toBeCloseTo(Math.min(...wers), 10);
    expect(werAt(tune!.decoding.priorScale, tune!.decoding.lmWeight)).toBeCloseTo(tune!.after, 10);
    expect(tune!.clips).toBe(5);
    expect(tune!.decoding.logPriors).toBe(own.logPriors);
    expect(tune!.decoding.source).toMatch(/tuned on 5 held-back clips of the user's voice$/);
  }, 120_000);

  it('keeps the model’s own pair unless another gains minGain, and needs minWords to tune at all', () => {
    expect(tuneDecoding(base.model, base.alphabet, clips, lm, { ...ANY_GAIN, minGain: 1.01 })).toBeNull();
    const words = clips.items.reduce((n, it) => n + it.text.split(' ').length, 0);
    expect(
      tuneDecoding(base.model, base.alphabet, clips, lm, { ...ANY_GAIN, minWords: words + 1 }),
    ).toBeNull();
    expect(DEFAULT_DECODING_TUNE.minWords).toBeGreaterThan(words); // five sentences are too few by default
  }, 120_000);

  it('has nothing to tune for a model without measured class priors', () => {
    const { decoding: _, ...alphabet } = base.alphabet;
    expect(tuneDecoding(base.model, alphabet, clips, lm, ANY_GAIN)).toBeNull();
  });
});
