import * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from '../model/acoustic.js';
import { outputFrameMs } from '../model/config.js';
import { type Alphabet, normalizeText } from '../speech/alphabet.js';
import { beamSearch, type BeamSearchConfig, LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import { greedyDecode } from '../speech/decode.js';
import { Lexicon } from '../speech/lexicon.js';
import { vocabularyTrie } from '../speech/word-lm.js';
import { CorpusScorer } from '../speech/metrics.js';
import type { EvalItem } from './evaluate.js';
import type { SetScore } from './guard.js';

/**
 * The personal lexicon's own effect, apart from the acoustic model's: one model's log-probabilities on
 * the user's held-back corrections, decoded greedily and by the lexicon-boosted beam search; and, given
 * the word language model, as dictation decodes finals: with the LM alone and with the LM and the lexicon.
 */
export interface LexiconEffect {
  words: number;
  greedy: SetScore;
  boosted: SetScore;
  languageModel?: { plain: SetScore; boosted: SetScore };
}

export function lexiconEffect(
  model: AcousticModel,
  alphabet: Alphabet,
  items: readonly EvalItem[],
  words: readonly string[],
  config: Partial<BeamSearchConfig> = {},
  /** The LM with its own vocabulary (as the caller may already decode with it); the lexicon's is added here. */
  lm: LmDecoding | null = null,
): LexiconEffect {
  const lexicon = new Lexicon(alphabet, words);
  const lmCfg = { ...config, beamWidth: LM_BEAM_WIDTH };
  const greedy = new CorpusScorer();
  const boosted = new CorpusScorer();
  const withLm = lm
    ? {
        plain: { scorer: new CorpusScorer(), decoding: lm },
        boosted: {
          scorer: new CorpusScorer(),
          decoding: { lm: lm.lm, vocabulary: vocabularyTrie(lm.lm, alphabet, lexicon.words) },
        },
      }
    : null;
  const F = model.config.featureBins;
  for (const it of items) {
    const x = tf.tensor3d(it.features(), [1, it.frames, F]); // [1, T, F]
    const { logProbs, lengths } = model.logProbs(x, [it.frames]);
    x.dispose();
    const rows = logProbs.dataSync() as Float32Array; // [1, T', V]
    logProbs.dispose();
    const ref = normalizeText(it.text, alphabet);
    greedy.add(ref, greedyDecode(rows, lengths[0], alphabet, { frameMs: outputFrameMs(model.config) }).text);
    boosted.add(ref, beamSearch(rows, lengths[0], alphabet, lexicon, config).text);
    if (withLm) {
      const { plain, boosted: both } = withLm;
      plain.scorer.add(ref, beamSearch(rows, lengths[0], alphabet, null, lmCfg, plain.decoding).text);
      both.scorer.add(ref, beamSearch(rows, lengths[0], alphabet, lexicon, lmCfg, both.decoding).text);
    }
  }
  const score = (s: CorpusScorer): SetScore => ({
    wer: s.wer.rate,
    cer: s.cer.rate,
    utterances: s.words.utterances,
  });
  return {
    words: lexicon.size,
    greedy: score(greedy),
    boosted: score(boosted),
    ...(withLm
      ? { languageModel: { plain: score(withLm.plain.scorer), boosted: score(withLm.boosted.scorer) } }
      : {}),
  };
}
