// Decodes cached log-probs (lm-logprobs.ts) greedily or with a word language model at given settings, and
// scores the transcripts as `attune eval` does: WER and CER over the set, with the counts kept so sets can
// be pooled exactly.
import type { Alphabet } from '../src-main/speech/alphabet.js';
import {
  beamSearch,
  DEFAULT_BEAM_SEARCH,
  LM_BEAM_WIDTH,
  type LmDecoding,
} from '../src-main/speech/beam-search.js';
import { greedyDecode } from '../src-main/speech/decode.js';
import { CorpusScorer } from '../src-main/speech/metrics.js';
import { vocabularyTrie, WordLm } from '../src-main/speech/word-lm.js';
import type { ScoredUtterance } from './lm-logprobs.js';

/** How finals are decoded: greedy, or a beam search with a language model at these settings. */
export interface LmSettings {
  lmWeight: number;
  wordBonus: number;
  beamWidth: number; // LM_BEAM_WIDTH, as dictation, transcribe and eval use
  /** Words may end without a written word break (beam-search.ts); unset: the decoder's default. */
  impliedWordBreaks?: boolean;
  /** Share of the model's class priors taken off (class-priors.ts); unset: the model's own. */
  priorScale?: number;
}

/** The decoder's defaults (DEFAULT_BEAM_SEARCH at the LM beam width), for a model without its own decoding. */
export const DEFAULT_SETTINGS: LmSettings = {
  lmWeight: DEFAULT_BEAM_SEARCH.lmWeight,
  wordBonus: DEFAULT_BEAM_SEARCH.wordBonus,
  beamWidth: LM_BEAM_WIDTH,
};

/** How dictation decodes finals with this model: its own decoding (config.json) where it has one. */
export function modelSettings(alphabet: Alphabet): LmSettings {
  const own = alphabet.decoding;
  return own
    ? {
        lmWeight: own.lmWeight,
        wordBonus: own.wordBonus,
        priorScale: own.priorScale,
        beamWidth: LM_BEAM_WIDTH,
      }
    : DEFAULT_SETTINGS;
}

/** Error counts of a set: rates are errors / reference length, and pooling adds counts. */
export interface SetScore {
  utterances: number;
  wordErrors: number;
  words: number;
  charErrors: number;
  chars: number;
}

export const wer = (s: SetScore) => s.wordErrors / s.words;
export const cer = (s: SetScore) => s.charErrors / s.chars;

export function pool(scores: readonly SetScore[]): SetScore {
  const sum = (f: (s: SetScore) => number) => scores.reduce((n, s) => n + f(s), 0);
  return {
    utterances: sum((s) => s.utterances),
    wordErrors: sum((s) => s.wordErrors),
    words: sum((s) => s.words),
    charErrors: sum((s) => s.charErrors),
    chars: sum((s) => s.chars),
  };
}

/** Language models loaded once, with their vocabulary over the model's alphabet. */
const loaded = new Map<string, LmDecoding>();
export function lmDecoding(path: string, alphabet: Alphabet): LmDecoding {
  // By the alphabet too: a letter model and a phone model spell the same LM's words differently.
  const key = `${path}\0${alphabet.tokens.join('\n')}`;
  let d = loaded.get(key);
  if (!d) {
    const lm = [...loaded.entries()].find(([k]) => k.startsWith(`${path}\0`))?.[1].lm ?? WordLm.load(path);
    d = { lm, vocabulary: vocabularyTrie(lm, alphabet) };
    loaded.set(key, d);
  }
  return d;
}

/** Decodes and scores a set; `lm` null decodes greedily (the acoustic model alone). */
export function scoreSet(
  utterances: readonly ScoredUtterance[],
  alphabet: Alphabet,
  lm: LmDecoding | null,
  settings: LmSettings,
): SetScore {
  const scorer = new CorpusScorer();
  for (const u of utterances) {
    const hyp = lm
      ? beamSearch(u.logProbs, u.frames, alphabet, null, settings, lm).text
      : greedyDecode(u.logProbs, u.frames, alphabet).text;
    scorer.add(u.ref, hyp);
  }
  const w = scorer.wer;
  const c = scorer.cer;
  return {
    utterances: utterances.length,
    wordErrors: w.substitutions + w.insertions + w.deletions,
    words: w.refLength,
    charErrors: c.substitutions + c.insertions + c.deletions,
    chars: c.refLength,
  };
}
