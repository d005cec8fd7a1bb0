import { englishAlphabet, normalizeText } from '../../speech/alphabet.js';
import { DEFAULT_SENTENCE_CONFIG, sentenceSet, type SentenceConfig } from './sentences.js';
import { readWordNetDefinitions, readWordNetExamples, readWordNetLemmas, WORDNET_DIR } from './wordnet.js';

/**
 * Text for the base language model from WordNet: its example sentences (only those `attune corpus`
 * puts in its training split: the dev and test sentences are held out by the same hash, so the
 * corpus's held-out sets stay unseen by the LM too), its definitions (about 170,000 phrases of ordinary
 * English prose), and its single-word lemmas as extra vocabulary.
 */
export interface LanguageModelText {
  sentences: string[];
  /** Dictionary words the text may not contain. */
  words: string[];
  /** Sentences left out because they are a held-out sentence or one of `exclude`. */
  heldOut: number;
}

export function wordNetLanguageModelText(
  options: {
    dir?: string;
    /** Same hold-out fractions as the corpus the model is evaluated on. */
    sentenceConfig?: Pick<SentenceConfig, 'devFraction' | 'testFraction'>;
    /** Normalised sentences that must not be in the text (e.g. every transcript of a test set). */
    exclude?: ReadonlySet<string>;
  } = {},
): LanguageModelText {
  const dir = options.dir ?? WORDNET_DIR;
  const cfg = options.sentenceConfig ?? DEFAULT_SENTENCE_CONFIG;
  const exclude = options.exclude ?? new Set<string>();
  const alphabet = englishAlphabet();
  const sentences: string[] = [];
  const heldOutExamples = new Set<string>();
  let heldOut = 0;
  for (const example of readWordNetExamples(dir)) {
    const s = normalizeText(example, alphabet);
    if (s === '') continue;
    if (sentenceSet(s, cfg) !== 'train' || exclude.has(s)) {
      heldOutExamples.add(s);
      heldOut++;
    } else sentences.push(s);
  }
  for (const definition of readWordNetDefinitions(dir)) {
    const s = normalizeText(definition, alphabet);
    if (s === '') continue;
    // A definition identical to a held-out example would leak it.
    if (heldOutExamples.has(s) || exclude.has(s)) heldOut++;
    else sentences.push(s);
  }
  return { sentences, words: readWordNetLemmas(dir), heldOut };
}
