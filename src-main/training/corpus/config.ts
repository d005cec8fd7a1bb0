import { DEFAULT_AUGMENT_CONFIG, type AugmentConfig, type Range } from './augment.js';
import { DEFAULT_SENTENCE_CONFIG, type SentenceConfig } from './sentences.js';
import type { Engine } from './voices.js';
import { WORDNET_DIR } from './wordnet.js';

/** The corpus's splits, as LibriSpeech-style folder names. */
export type CorpusSplit = 'train' | 'dev' | 'test-seen' | 'test-unseen';
export const CORPUS_SPLITS: readonly CorpusSplit[] = ['train', 'dev', 'test-seen', 'test-unseen'];
export type EvalSplit = Exclude<CorpusSplit, 'train'>;

/** Everything that decides what a synthetic corpus contains. Same config + same tools → same corpus. */
export interface CorpusConfig {
  /** Folder the corpus is written into (created if missing; an existing corpus there is resumed). */
  outDir: string;
  /**
   * Total audio across all splits, in hours. Planned from each utterance's estimated length; the
   * manifest records the measured total.
   */
  hours: number;
  /** Seed for every random choice (sentence order, voice, rate, augmentation). */
  seed: number;
  /**
   * Batches synthesised at once; each runs one program at a time, so this caps concurrent
   * processes. Does not change the output.
   */
  jobs: number;
  /** Voices to use, as name patterns (`*` = anything); only installed, catalogued voices are ever used. */
  voices: string[];
  /** Voices kept out of training: they speak only the test-unseen split. */
  heldOutVoices: string[];
  /** Share of utterances per engine; renormalised over the engines that have voices in a split. */
  engineShare: Record<Engine, number>;
  /** Utterances per evaluation split (fewer for small corpora, see evalMaxShare). */
  evalUtterances: Record<EvalSplit, number>;
  /** Most of `hours` any one evaluation split may take, so a tiny corpus is still mostly training data. */
  evalMaxShare: number;
  /** Utterances per chapter folder (LibriSpeech chapters hold tens to a hundred or so). */
  chapterUtterances: number;
  /** Speaking-rate factor drawn per utterance and passed to the synthesiser (1 = the voice's own pace). */
  rate: Range;
  /** espeak-ng base pitch drawn per utterance (0–99; 50 is its default). */
  espeakPitch: Range;
  /**
   * Estimated seconds of speech per character of spoken text at rate 1 (measured on WordNet
   * sentences); used only to plan `hours`.
   */
  secondsPerChar: Record<Engine, number>;
  /** Sentence filtering and held-out sentence fractions. */
  sentences: SentenceConfig;
  /** Post-synthesis augmentation ranges and probabilities. */
  augment: AugmentConfig;
  /** WordNet 3.0 database folder holding the example sentences. */
  wordnetDir: string;
  /** Output sample rate in Hz (mono, 16-bit FLAC). */
  sampleRate: number;
}

export const DEFAULT_CORPUS_CONFIG: Readonly<CorpusConfig> = Object.freeze({
  outDir: 'corpora/synth',
  hours: 25,
  seed: 1,
  jobs: 2,
  voices: ['flite-*', 'festival-*', 'espeak-*'],
  // An unseen US male voice of good quality, and one whole espeak-ng accent with all its variants.
  heldOutVoices: ['flite-rms', 'espeak-en-us-nyc*'],
  // flite and festival voices sound far more like people than espeak-ng's, so they carry most of it.
  engineShare: { flite: 0.4, festival: 0.35, espeak: 0.25 },
  evalUtterances: { dev: 200, 'test-seen': 200, 'test-unseen': 200 },
  evalMaxShare: 0.05,
  chapterUtterances: 50,
  rate: [0.85, 1.2],
  espeakPitch: [25, 75],
  secondsPerChar: { flite: 0.066, festival: 0.07, espeak: 0.061 },
  sentences: DEFAULT_SENTENCE_CONFIG,
  augment: DEFAULT_AUGMENT_CONFIG,
  wordnetDir: WORDNET_DIR,
  sampleRate: 16000,
} satisfies CorpusConfig);

/** What callers pass: an output folder, and any defaults they want to change. */
export type CorpusOptions = Partial<Omit<CorpusConfig, 'sentences' | 'augment'>> & {
  outDir: string;
  sentences?: Partial<SentenceConfig>;
  augment?: Partial<AugmentConfig>;
};

export class CorpusConfigError extends Error {
  override readonly name = 'CorpusConfigError';
}

/** Fills in defaults and checks the numbers make sense. */
export function resolveCorpusConfig(options: CorpusOptions): CorpusConfig {
  const d = DEFAULT_CORPUS_CONFIG;
  const config: CorpusConfig = {
    ...d,
    ...options,
    engineShare: { ...d.engineShare, ...options.engineShare },
    evalUtterances: { ...d.evalUtterances, ...options.evalUtterances },
    secondsPerChar: { ...d.secondsPerChar, ...options.secondsPerChar },
    sentences: { ...d.sentences, ...options.sentences },
    augment: { ...d.augment, ...options.augment },
  };
  const positive: [string, number][] = [
    ['hours', config.hours],
    ['jobs', config.jobs],
    ['chapterUtterances', config.chapterUtterances],
    ['sampleRate', config.sampleRate],
  ];
  for (const [name, value] of positive) {
    if (!(Number.isFinite(value) && value > 0))
      throw new CorpusConfigError(`${name} must be a positive number, got ${value}`);
  }
  if (!(Number.isInteger(config.chapterUtterances) && config.chapterUtterances <= 10_000)) {
    // Utterance numbers within a chapter are four digits, as in LibriSpeech.
    throw new CorpusConfigError(
      `chapterUtterances must be a whole number up to 10000, got ${config.chapterUtterances}`,
    );
  }
  if (!Number.isInteger(config.seed))
    throw new CorpusConfigError(`seed must be an integer, got ${config.seed}`);
  if (!Number.isInteger(config.jobs))
    throw new CorpusConfigError(`jobs must be a whole number, got ${config.jobs}`);
  if (!(config.evalMaxShare >= 0 && config.evalMaxShare < 0.34)) {
    throw new CorpusConfigError(`evalMaxShare must be in [0, 0.34), got ${config.evalMaxShare}`);
  }
  const { devFraction, testFraction } = config.sentences;
  if (!(devFraction > 0 && testFraction > 0 && devFraction + testFraction < 1)) {
    throw new CorpusConfigError(`sentence dev/test fractions must be positive and sum below 1`);
  }
  return config;
}
