import { alignSearchResult } from '../speech/align.js';
import type { Alphabet } from '../speech/alphabet.js';
import { BeamSearch, type BeamSearchConfig, LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import type { DecodeResult } from '../speech/decode.js';
import { searchLm } from '../speech/dictionary-lm.js';
import { Lexicon } from '../speech/lexicon.js';
import { vocabularyTrie, type VocabularyTrie, type WordLm } from '../speech/word-lm.js';

/**
 * Vocabulary tries by language model, shared by every decoder: the engine makes a new recogniser for each
 * dictation, and a trie for the shipped LM takes ~90 ms to build.
 */
const vocabularies = new WeakMap<WordLm, { key: string; vocabulary: VocabularyTrie }>();

/**
 * How a segment's final text is decoded once its endpoint is reached. A letter model's partials stay greedy
 * (instant, and they never change behind the cursor); the final is decoded again over the segment's whole
 * log-probs with a beam search that uses the word language model (when one is loaded: finals are then
 * spelled with real words, in likely order) and boosts the personal lexicon, so a word the user taught by
 * correcting it comes out right when the model nearly hears it. A phone model's greedy output is phones, so
 * its partials are this search's words so far, and without a language model it searches its dictionary's.
 */
export interface FinalDecoderConfig {
  /** Boost the personal lexicon's words in finals (off or without words, a letter model with no LM writes greedy finals). */
  lexiconBoost: boolean; // true (the setting's default)
  /**
   * Beam search for finals. It follows the segment as it is spoken (FinalDecoder.follow), so at the
   * endpoint only the frames since the last chunk remain: its cost is spread over the segment's chunks,
   * and only a settings change mid-segment costs a whole segment's search at once. The width trades the
   * lexicon words a search recovers against its time per second of audio (the language-model search's widths:
   * bench/BEAM-WIDTH.md).
   */
  beam: Partial<BeamSearchConfig>;
  /** Beam width when a language model is used (see LM_BEAM_WIDTH). */
  lmBeamWidth: number; // LM_BEAM_WIDTH
}

export const DEFAULT_FINAL_DECODER: FinalDecoderConfig = {
  lexiconBoost: true,
  beam: {}, // and a model's own decoding with a language model
  lmBeamWidth: LM_BEAM_WIDTH,
};

/**
 * A segment's final search, fed while the segment is spoken (see FinalDecoder.follow): at the endpoint only
 * the last frames remain to search, so the final's latency does not grow with the segment's length.
 */
export interface FinalSearch {
  readonly search: BeamSearch;
  /** The decoder's settings it was begun under (words, language model, boosting) and its alphabet. */
  readonly version: number;
  readonly alphabet: Alphabet;
}

export class FinalDecoder {
  readonly cfg: FinalDecoderConfig;
  private words: readonly string[] = [];
  /** The words as a trie over the current model's alphabet (rebuilt when either changes). */
  private lexicon: Lexicon | null = null;
  private lm: WordLm | null = null;
  /** Bumped whenever what finals are searched with changes: searches begun before are begun again. */
  private version = 0;

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
    this.version++;
  }

  /** The word language model finals are decoded with; null decodes without one. */
  setLanguageModel(lm: WordLm | null): void {
    this.lm = lm;
    this.version++;
  }

  get languageModel(): WordLm | null {
    return this.lm;
  }

  setBoost(on: boolean): void {
    this.cfg.lexiconBoost = on;
    this.version++;
  }

  /** Words the lexicon holds for this alphabet (those it can spell). */
  size(alphabet: Alphabet): number {
    return this.lexiconFor(alphabet).size;
  }

  /**
   * Brings a segment's search up to date with its log-probs so far, `logProbs` [T, V]: the frames it has
   * not seen are searched, and a search begun under other settings (or none yet) is begun again from the
   * segment's first frame. Null when finals are greedy (neither a language model nor lexicon words).
   */
  follow(
    search: FinalSearch | null,
    logProbs: Float32Array,
    T: number,
    alphabet: Alphabet,
  ): FinalSearch | null {
    const lexicon = this.cfg.lexiconBoost ? this.lexiconFor(alphabet) : null;
    const boost = lexicon !== null && lexicon.size > 0;
    // A phone model searches words even without an LM (lmDecodingFor): its greedy output is phones.
    if (!boost && !this.lm && !alphabet.phones?.dictionary) return null;
    if (search?.version !== this.version || search.alphabet !== alphabet || search.search.frames > T) {
      const lm = this.lmDecodingFor(alphabet);
      const beam = lm ? { ...this.cfg.beam, beamWidth: this.cfg.lmBeamWidth } : this.cfg.beam;
      search = {
        search: new BeamSearch(alphabet, boost ? lexicon : null, beam, lm),
        version: this.version,
        alphabet,
      };
    }
    const done = search.search.frames;
    const V = alphabet.size;
    if (T > done) search.search.push(logProbs.subarray(done * V, T * V), T - done);
    return search;
  }

  /**
   * The final result of a segment: `greedy` as it is when there is neither a language model nor a lexicon
   * to boost; else the beam search's transcript of `logProbs` [T, V] (continuing `search` when it was fed
   * the segment's first frames under the current settings), with word times and confidences from its
   * forced alignment (see align.ts). Where the beam agrees with greedy decoding, greedy's own result is
   * kept, so the search changes nothing but the words it changes.
   */
  decode(
    logProbs: Float32Array,
    T: number,
    alphabet: Alphabet,
    frameMs: number,
    greedy: DecodeResult,
    search: FinalSearch | null = null,
  ): DecodeResult {
    if (T === 0) return greedy;
    const followed = this.follow(search, logProbs, T, alphabet);
    if (!followed) return greedy;
    const result = followed.search.result();
    if (result.text === greedy.text) return greedy;
    return alignSearchResult(logProbs, T, alphabet, result, frameMs);
  }

  /**
   * Builds what finals will need for this alphabet now (the vocabulary trie takes ~90 ms for the shipped
   * LM), so the first final after a start, a new lexicon or a new model does not wait for it.
   */
  prepare(alphabet: Alphabet): void {
    this.lexiconFor(alphabet);
    this.lmDecodingFor(alphabet);
  }

  /**
   * The LM with its vocabulary and the lexicon's words over this alphabet (built again when any changes). A
   * phone model without a language model searches its dictionary's words (dictionary-lm.ts): its greedy
   * output is phones, not text.
   */
  private lmDecodingFor(alphabet: Alphabet): LmDecoding | null {
    const lm = searchLm(this.lm, alphabet);
    if (!lm) return null;
    const words = this.lexiconFor(alphabet).words;
    // By the alphabet's tokens, not its object: a swapped-in model of the same alphabet keeps the trie.
    const key = `${alphabet.tokens.join('\n')}\0${words.join('\n')}`;
    let hit = vocabularies.get(lm);
    if (hit?.key !== key) {
      hit = { key, vocabulary: vocabularyTrie(lm, alphabet, words) };
      vocabularies.set(lm, hit);
    }
    return { lm, vocabulary: hit.vocabulary };
  }

  private lexiconFor(alphabet: Alphabet): Lexicon {
    if (this.lexicon?.alphabet !== alphabet) this.lexicon = new Lexicon(alphabet, this.words);
    return this.lexicon;
  }
}
