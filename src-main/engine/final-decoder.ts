import { alignTranscript } from '../speech/align.js';
import type { Alphabet } from '../speech/alphabet.js';
import {
  beamSearch,
  type BeamSearchConfig,
  DEFAULT_BEAM_SEARCH,
  LM_BEAM_WIDTH,
  type LmDecoding,
} from '../speech/beam-search.js';
import type { DecodeResult } from '../speech/decode.js';
import { Lexicon } from '../speech/lexicon.js';
import { vocabularyTrie, type VocabularyTrie, type WordLm } from '../speech/word-lm.js';

/**
 * Vocabulary tries by language model, shared by every decoder: the engine makes a new recogniser for each
 * dictation, and a trie for the shipped LM takes ~90 ms to build.
 */
const vocabularies = new WeakMap<WordLm, { key: string; vocabulary: VocabularyTrie }>();

/**
 * How a segment's final text is decoded once its endpoint is reached. Partials stay greedy (instant, and
 * they never change behind the cursor); the final is decoded again over the segment's whole log-probs
 * with a beam search that uses the word language model (when one is loaded: finals are then spelled with
 * real words, in likely order) and boosts the personal lexicon, so a word the user taught by correcting
 * it comes out right when the model nearly hears it.
 */
export interface FinalDecoderConfig {
  /** Boost the personal lexicon's words in finals. Off, or with no words: greedy finals. */
  lexiconBoost: boolean; // true (the setting's default)
  /**
   * Beam search for finals. It runs once per segment, after the endpoint's trailing silence, so its time
   * adds to the final's latency and should stay well under that silence (300 ms). At width 8 (8 classes a
   * frame) it takes about 3.7 ms per second of audio on one core of a 2-core x86 server — 56 ms for a
   * 15 s segment, the longest, with 40 ms model frames and 210 lexicon words; about twice that with 20 ms
   * frames. Width 16 took 60% longer and width 4 recovered fewer lexicon words.
   */
  beam: BeamSearchConfig;
  /** Beam width when a language model is used (see LM_BEAM_WIDTH). */
  lmBeamWidth: number; // 32
}

export const DEFAULT_FINAL_DECODER: FinalDecoderConfig = {
  lexiconBoost: true,
  beam: DEFAULT_BEAM_SEARCH,
  lmBeamWidth: LM_BEAM_WIDTH,
};

export class FinalDecoder {
  readonly cfg: FinalDecoderConfig;
  private words: readonly string[] = [];
  /** The words as a trie over the current model's alphabet (rebuilt when either changes). */
  private lexicon: Lexicon | null = null;
  private lm: WordLm | null = null;

  constructor(config: Partial<Omit<FinalDecoderConfig, 'beam'>> & { beam?: Partial<BeamSearchConfig> } = {}) {
    this.cfg = {
      ...DEFAULT_FINAL_DECODER,
      ...config,
      beam: { ...DEFAULT_FINAL_DECODER.beam, ...config.beam },
    };
  }

  /** Replaces the lexicon's words (raw words; normalised with the model's alphabet). */
  setWords(words: readonly string[]): void {
    this.words = [...words];
    this.lexicon = null;
  }

  /** The word language model finals are decoded with; null decodes without one. */
  setLanguageModel(lm: WordLm | null): void {
    this.lm = lm;
  }

  get languageModel(): WordLm | null {
    return this.lm;
  }

  setBoost(on: boolean): void {
    this.cfg.lexiconBoost = on;
  }

  /** Words the lexicon holds for this alphabet (those it can spell). */
  size(alphabet: Alphabet): number {
    return this.lexiconFor(alphabet).size;
  }

  /**
   * The final result of a segment: `greedy` as it is when there is neither a language model nor a lexicon
   * to boost; else the beam search's transcript of `logProbs` [T, V], with word times and confidences from
   * its forced alignment (see align.ts). Where the beam agrees with greedy decoding, greedy's own result is
   * kept, so the search changes nothing but the words it changes.
   */
  decode(
    logProbs: Float32Array,
    T: number,
    alphabet: Alphabet,
    frameMs: number,
    greedy: DecodeResult,
  ): DecodeResult {
    if (T === 0) return greedy;
    const lexicon = this.cfg.lexiconBoost ? this.lexiconFor(alphabet) : null;
    const boost = lexicon !== null && lexicon.size > 0;
    if (!boost && !this.lm) return greedy;
    const lm = this.lmDecodingFor(alphabet);
    const beam = lm ? { ...this.cfg.beam, beamWidth: this.cfg.lmBeamWidth } : this.cfg.beam;
    const { text } = beamSearch(logProbs, T, alphabet, boost ? lexicon : null, beam, lm);
    if (text === greedy.text) return greedy;
    return alignTranscript(logProbs, T, alphabet, text, frameMs);
  }

  /**
   * Builds what finals will need for this alphabet now (the vocabulary trie takes ~90 ms for the shipped
   * LM), so the first final after a start, a new lexicon or a new model does not wait for it.
   */
  prepare(alphabet: Alphabet): void {
    this.lexiconFor(alphabet);
    this.lmDecodingFor(alphabet);
  }

  /** The LM with its vocabulary and the lexicon's words over this alphabet (built again when any changes). */
  private lmDecodingFor(alphabet: Alphabet): LmDecoding | null {
    if (!this.lm) return null;
    const words = this.lexiconFor(alphabet).words;
    // By the alphabet's tokens, not its object: a swapped-in model of the same alphabet keeps the trie.
    const key = `${alphabet.tokens.join('\n')}\0${words.join('\n')}`;
    let hit = vocabularies.get(this.lm);
    if (hit?.key !== key) {
      hit = { key, vocabulary: vocabularyTrie(this.lm, alphabet, words) };
      vocabularies.set(this.lm, hit);
    }
    return { lm: this.lm, vocabulary: hit.vocabulary };
  }

  private lexiconFor(alphabet: Alphabet): Lexicon {
    if (this.lexicon?.alphabet !== alphabet) this.lexicon = new Lexicon(alphabet, this.words);
    return this.lexicon;
  }
}
