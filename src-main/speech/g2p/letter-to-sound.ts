import type { PronouncingDictionary } from '../pronouncing-dictionary.js';
import type { BackoffNgram } from './backoff-ngram.js';
import { searchGraphones } from './graphone-search.js';
import { estimateKneserNey } from './kneser-ney.js';
import {
  DEFAULT_LETTER_ALIGNMENT,
  LetterAlignment,
  type LetterAlignmentConfig,
  type SpeltPronunciation,
} from './letter-alignment.js';
import { NgramCountTrie } from './ngram-count-trie.js';
import { GraphoneVocabulary } from './graphone-vocabulary.js';
import {
  type LetterToSoundJson,
  LetterToSoundFormatError,
  readLetterToSound,
  roundLogsAsStored,
  writeLetterToSound,
} from './letter-to-sound-json.js';
import { hasLetter, spellingOf } from './spelling.js';

/**
 * Letter-to-sound rules learned from a pronouncing dictionary: a joint-sequence ("graphone") model in the
 * manner of Bisani & Ney (2008) and Phonetisaurus. EM aligns each dictionary word's letters to its phones,
 * one chunk of 0–2 phones per letter; each word then becomes a sequence of graphones — letter:chunk pairs
 * like x:K S or g: — and an n-gram model with Kneser–Ney smoothing learns which graphones follow which. To
 * pronounce a word, a beam search picks the graphone sequence the model finds most likely among those that
 * spell it, and reads off the phones.
 *
 * A joint model sees letters and phones together, so each choice is conditioned on the letters and phones
 * already chosen ("c" after "s" before "e"), and the search weighs how later letters fit each choice,
 * which is how it learns "magic e" and silent letters without hand-written rules.
 */
export interface LetterToSoundConfig {
  alignment: LetterAlignmentConfig;
  /**
   * n-gram order over graphones: how many letters (with their phones) each choice is conditioned on, itself
   * included. English spelling needs a wide view ("-ough", "-tion", "-ight"); on CMUdict 7 is where the
   * gain in held-out words stops while the model keeps growing (bench/G2P.md).
   */
  order: number;
  /**
   * Minimum count of an n-gram of each order to be kept (index 0 = unigrams; see KneserNeyConfig): 7-grams
   * seen once are dropped, which shrinks the model at no measurable loss; dropping 6-grams seen once too costs
   * words (bench/G2P.md).
   */
  minCounts: number[];
  /**
   * Hypotheses kept per letter in the search: narrower loses words, wider gains almost none for more time
   * (bench/G2P.md).
   */
  beamWidth: number;
}

export const DEFAULT_LETTER_TO_SOUND: LetterToSoundConfig = {
  alignment: DEFAULT_LETTER_ALIGNMENT,
  order: 7,
  minCounts: [1, 1, 1, 1, 1, 1, 2],
  beamWidth: 16,
};

export { LetterToSoundFormatError };

export class LetterToSound {
  private constructor(
    private readonly vocabulary: GraphoneVocabulary,
    readonly model: BackoffNgram,
    readonly beamWidth: number,
  ) {}

  /**
   * Learns from every pronunciation of every word spelt only with letters and apostrophes. Entries with
   * other characters are mostly initialisms ("a.m.", "u.s.") spoken as letter names, which would teach
   * the model wrong sounds for ordinary letters.
   */
  static learn(
    dict: PronouncingDictionary,
    config: LetterToSoundConfig = DEFAULT_LETTER_TO_SOUND,
  ): LetterToSound {
    if (!(Number.isInteger(config.beamWidth) && config.beamWidth >= 1))
      throw new RangeError(`beam width must be a whole number ≥ 1, not ${config.beamWidth}`);
    const entries: SpeltPronunciation[] = [];
    for (const word of dict.words()) {
      if (!/^[a-z']+$/.test(word)) continue;
      for (const phones of dict.pronunciations(word)!) entries.push({ spelling: word, phones });
    }
    const alignment = LetterAlignment.learn(entries, config.alignment);
    const chunkSeqs: { letters: string; chunks: Int32Array }[] = [];
    for (const e of entries) {
      const chunks = alignment.alignChunks(e.spelling, e.phones);
      if (chunks) chunkSeqs.push({ letters: e.spelling, chunks });
    }
    const { vocabulary, sequences } = GraphoneVocabulary.fromAlignments(chunkSeqs, alignment.chunks);
    const trie = new NgramCountTrie(vocabulary.size, config.order);
    for (const s of sequences) trie.addSequence(s);
    const model = estimateKneserNey(trie, GraphoneVocabulary.BOS, { minCounts: config.minCounts });
    roundLogsAsStored(model);
    return new LetterToSound(vocabulary, model, config.beamWidth);
  }

  /**
   * The predicted phones of a word (the dictionary is not consulted). Characters other than a–z and the
   * apostrophe are ignored, and so are letters the dictionary never used (none, for a full English one). The
   * result is empty only for a word without such letters: the search keeps no wholly silent pronunciation.
   */
  pronounce(word: string): string[] {
    const spelling = [...spellingOf(word)].filter((ch) => this.vocabulary.knows(ch));
    if (!spelling.some((ch) => hasLetter(ch))) return [];
    const lo: number[] = [];
    const hi: number[] = [];
    let speakBy = -1;
    spelling.forEach((ch, i) => {
      const [a, b] = this.vocabulary.range(ch);
      lo.push(a);
      hi.push(b);
      if (this.vocabulary.canSpeak(ch)) speakBy = i;
    });
    const input = { lo, hi, speaks: this.vocabulary.speaks, speakBy };
    const bos = GraphoneVocabulary.BOS;
    const eos = GraphoneVocabulary.EOS;
    const tokens = searchGraphones(this.model, bos, eos, input, this.beamWidth) ?? [];
    return tokens.flatMap((t) => this.vocabulary.phonesOf(t));
  }

  /** The model as a plain JSON-able object (see letter-to-sound-json.ts). */
  toJSON(): LetterToSoundJson {
    return writeLetterToSound(this.vocabulary, this.model, this.beamWidth);
  }

  /** A model from `toJSON()`'s object; throws LetterToSoundFormatError naming what is wrong. */
  static fromJSON(obj: unknown): LetterToSound {
    const { vocabulary, model, beamWidth } = readLetterToSound(obj);
    return new LetterToSound(vocabulary, model, beamWidth);
  }
}
