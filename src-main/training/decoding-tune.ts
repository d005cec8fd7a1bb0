import type { AcousticModel } from '../model/acoustic.js';
import { type Alphabet, normalizeText } from '../speech/alphabet.js';
import { beamSearch, LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import type { ClassDecoding } from '../speech/class-priors.js';
import { CorpusScorer } from '../speech/metrics.js';
import { DEFAULT_EVAL, forEachLogProbs } from './evaluate.js';
import { evalItemsOf } from './guard.js';
import type { FeatureSource } from './train.js';

/**
 * The word search's weights, tuned to the user's voice. A model's prior scale and language-model weight
 * are measured on many voices (bench/lm-tune.ts); after training on one voice the model is surer of it,
 * and its best weights move, towards a larger prior scale and LM weight (bench/ENROLMENT.md). The user's
 * held-back clips choose among a few pairs; the model's own pair stays unless another wins clearly, as a
 * handful of clips cannot tell weights a word apart.
 */
export interface DecodingTuneConfig {
  /** Prior scales tried (share of each class's log-prior taken from its log-probabilities). */
  priorScales: number[]; // [0.4, 0.6, 0.8]: the shipped model's 0.4 and above it
  /** Language model weights tried at each scale. */
  lmWeights: number[]; // [1.2, 1.6, 2.0]: the shipped model's 1.2 and above it
  /** Words in the held-back clips needed to tune at all: fewer cannot tell the pairs apart. */
  minWords: number; // 100 (about 15 read sentences; 5 minutes of enrolment hold back about 20)
  /** Word error rate (absolute) a pair must gain over the model's own to replace it. */
  minGain: number; // 0.02
}

export const DEFAULT_DECODING_TUNE: DecodingTuneConfig = {
  priorScales: [0.4, 0.6, 0.8],
  lmWeights: [1.2, 1.6, 2.0],
  minWords: 100,
  minGain: 0.02,
};

/** The note a tuned decoding's source ends with (a later round's replaces it). */
const TUNED_NOTE = /; prior scale and LM weight tuned on .*$/;

/** What tuning chose: the decoding to keep with the model, and the held-back WER with the old and new. */
export interface DecodingTune {
  decoding: ClassDecoding;
  /** Held-back word error rate with the model's own weights, and with the chosen ones. */
  before: number;
  after: number;
  /** Held-back clips and words the pairs were compared on. */
  clips: number;
  words: number;
}

/**
 * Tunes the weights of a model whose alphabet carries its decoding (class priors) on held-back clips; null
 * when there is nothing to tune (no priors, too few words) or no pair beats the model's own by minGain.
 */
export function tuneDecoding(
  model: AcousticModel,
  alphabet: Alphabet,
  heldOut: FeatureSource,
  lm: LmDecoding,
  cfg: DecodingTuneConfig = DEFAULT_DECODING_TUNE,
): DecodingTune | null {
  const own = alphabet.decoding;
  if (!own) return null;
  const items = evalItemsOf(heldOut);
  const refs = items.map((it) => normalizeText(it.text, alphabet));
  const words = refs.reduce((n, r) => n + r.split(' ').filter((w) => w !== '').length, 0);
  if (words < cfg.minWords) return null;
  const pairs = [{ priorScale: own.priorScale, lmWeight: own.lmWeight }];
  for (const priorScale of cfg.priorScales)
    for (const lmWeight of cfg.lmWeights)
      if (priorScale !== own.priorScale || lmWeight !== own.lmWeight) pairs.push({ priorScale, lmWeight });
  const scorers = pairs.map(() => new CorpusScorer());
  // The model runs once; each pair only searches its log-probabilities again.
  forEachLogProbs(model, items, DEFAULT_EVAL.maxBatchFrames, (k, logProbs, T) => {
    pairs.forEach((pair, p) => {
      const beam = { beamWidth: LM_BEAM_WIDTH, ...pair };
      scorers[p].add(refs[k], beamSearch(logProbs, T, alphabet, null, beam, lm).text);
    });
  });
  const wers = scorers.map((s) => s.wer.rate);
  const best = wers.indexOf(Math.min(...wers));
  if (!(wers[0] - wers[best] >= cfg.minGain)) return null;
  const { priorScale, lmWeight } = pairs[best];
  const source = `${own.source.replace(TUNED_NOTE, '')}; prior scale and LM weight tuned on ${items.length} held-back clips of the user's voice`;
  return {
    decoding: { ...own, priorScale, lmWeight, source },
    before: wers[0],
    after: wers[best],
    clips: items.length,
    words,
  };
}
