import { drawAugmentation, type Augmentation } from './augment.js';
import {
  CORPUS_SPLITS,
  CorpusConfigError,
  type CorpusConfig,
  type CorpusSplit,
  type EvalSplit,
} from './config.js';
import { rngFor, shuffled, type Rng } from './random.js';
import type { Sentence, SentenceSet } from './sentences.js';
import type { SynthParams } from './synthesize.js';
import { ENGINES, matchesAny, type Engine, type Voice } from './voices.js';

/** One utterance of the corpus, fully decided before any audio is made. */
export interface PlannedUtterance {
  /** LibriSpeech id `<speaker>-<chapter>-<utt4>`. */
  id: string;
  split: CorpusSplit;
  speaker: number;
  chapter: number;
  /** Voice name (see voices.ts). */
  voice: string;
  /** The sentence as written in the source. */
  sentence: string;
  /** The transcript line's text: the spoken form, upper-cased as LibriSpeech writes it. */
  transcript: string;
  /** What the synthesiser is given. */
  synthText: string;
  synth: SynthParams;
  augment: Augmentation;
  /** Planning estimate of the final length, in seconds. */
  estimatedSeconds: number;
}

export interface VoiceRoles {
  train: Voice[];
  heldOut: Voice[];
}

/** Splits the selected voices into training voices and held-out (test-unseen) voices. */
export function assignVoiceRoles(installed: readonly Voice[], config: CorpusConfig): VoiceRoles {
  const selected = installed.filter((v) => matchesAny(v.name, config.voices));
  const heldOut = selected.filter((v) => matchesAny(v.name, config.heldOutVoices));
  const train = selected.filter((v) => !heldOut.includes(v));
  const names = installed.map((v) => v.name).join(', ') || 'none';
  if (train.length === 0) {
    throw new CorpusConfigError(
      `no training voices: voices ${JSON.stringify(config.voices)} minus held-out leave none (installed: ${names})`,
    );
  }
  if (heldOut.length === 0) {
    throw new CorpusConfigError(
      `held-out voices ${JSON.stringify(config.heldOutVoices)} match none of the selected voices (installed: ${names})`,
    );
  }
  return { train, heldOut };
}

/** Split folder → sentence set it reads and the voices that speak it. */
const SPLIT_SOURCES: Record<CorpusSplit, { set: SentenceSet; heldOutVoices: boolean }> = {
  train: { set: 'train', heldOutVoices: false },
  dev: { set: 'dev', heldOutVoices: false },
  'test-seen': { set: 'test', heldOutVoices: false },
  'test-unseen': { set: 'test', heldOutVoices: true },
};
/** First digit of a chapter id, so chapter folders say which split they are in. */
const SPLIT_CODE: Record<CorpusSplit, number> = { train: 1, dev: 2, 'test-seen': 3, 'test-unseen': 4 };
const CHAPTERS_PER_SPLIT = 10_000;

/**
 * Decides every utterance: which sentence, which voice, how fast, which augmentation, and where it
 * goes. Utterance k of a split draws from its own generator seeded by (seed, split, k), and
 * sentences are taken in a seeded order, cycling when a split needs more utterances than it has
 * sentences. test-seen and test-unseen read the same sentences in the same order, so the two test
 * sets differ only in who speaks.
 */
export function planCorpus(
  config: CorpusConfig,
  roles: VoiceRoles,
  sentences: readonly Sentence[],
): PlannedUtterance[] {
  const bySet = (set: SentenceSet): Sentence[] =>
    shuffled(
      sentences.filter((s) => s.set === set),
      rngFor(config.seed, 'sentence-order', set),
    );
  const pools: Record<SentenceSet, Sentence[]> = {
    train: bySet('train'),
    dev: bySet('dev'),
    test: bySet('test'),
  };
  for (const [set, pool] of Object.entries(pools)) {
    if (pool.length === 0) throw new CorpusConfigError(`no ${set} sentences: the text source is too small`);
  }
  const totalSeconds = config.hours * 3600;
  const drafts: Omit<PlannedUtterance, 'id' | 'chapter'>[] = [];
  let evalSeconds = 0;
  // Evaluation splits first: they are capped, and training takes what is left.
  for (const split of CORPUS_SPLITS.filter((s): s is EvalSplit => s !== 'train')) {
    const budget = config.evalMaxShare * totalSeconds;
    let seconds = 0;
    for (let k = 0; k < config.evalUtterances[split] && (k === 0 || seconds < budget); k++) {
      const u = draftUtterance(config, roles, pools, split, k);
      drafts.push(u);
      seconds += u.estimatedSeconds;
    }
    evalSeconds += seconds;
  }
  const trainBudget = totalSeconds - evalSeconds;
  for (let k = 0, seconds = 0; k === 0 || seconds < trainBudget; k++) {
    const u = draftUtterance(config, roles, pools, 'train', k);
    drafts.push(u);
    seconds += u.estimatedSeconds;
  }
  return assignChapters(drafts, config.chapterUtterances);
}

function draftUtterance(
  config: CorpusConfig,
  roles: VoiceRoles,
  pools: Record<SentenceSet, Sentence[]>,
  split: CorpusSplit,
  k: number,
): Omit<PlannedUtterance, 'id' | 'chapter'> {
  const source = SPLIT_SOURCES[split];
  const rng = rngFor(config.seed, 'utterance', split, k);
  const voice = pickVoice(rng, source.heldOutVoices ? roles.heldOut : roles.train, config.engineShare);
  const pool = pools[source.set];
  const sentence = pool[k % pool.length];
  const synth: SynthParams = { rate: Number(rng.uniform(...config.rate).toFixed(3)) };
  const pitch = Math.round(rng.uniform(...config.espeakPitch));
  if (voice.engine === 'espeak') synth.pitch = pitch;
  const augment = drawAugmentation(rng, config.augment);
  const speech = (sentence.spoken.length * config.secondsPerChar[voice.engine]) / synth.rate / augment.tempo;
  return {
    split,
    speaker: voice.speaker,
    voice: voice.name,
    sentence: sentence.source,
    transcript: sentence.spoken.toUpperCase(),
    synthText: sentence.synthText,
    synth,
    augment,
    estimatedSeconds: speech + (augment.padStartMs + augment.padEndMs) / 1000,
  };
}

/** An engine by its share (among engines with voices here), then one of its voices uniformly. */
function pickVoice(rng: Rng, voices: readonly Voice[], share: Record<Engine, number>): Voice {
  const weights: Partial<Record<Engine, number>> = {};
  for (const engine of ENGINES) {
    if (voices.some((v) => v.engine === engine)) weights[engine] = share[engine];
  }
  const engine = rng.weighted(weights as Record<Engine, number>);
  return rng.pick(voices.filter((v) => v.engine === engine));
}

/** Numbers utterances into chapters of at most `perChapter`, per (split, speaker), in plan order. */
function assignChapters(
  drafts: Omit<PlannedUtterance, 'id' | 'chapter'>[],
  perChapter: number,
): PlannedUtterance[] {
  const counts = new Map<string, number>();
  return drafts.map((d) => {
    const key = `${d.split}/${d.speaker}`;
    const j = counts.get(key) ?? 0;
    counts.set(key, j + 1);
    const chunk = Math.floor(j / perChapter);
    if (chunk >= CHAPTERS_PER_SPLIT)
      throw new CorpusConfigError(
        `speaker ${d.speaker} needs over ${CHAPTERS_PER_SPLIT} chapters in ${d.split}: raise chapterUtterances`,
      );
    const chapter = SPLIT_CODE[d.split] * CHAPTERS_PER_SPLIT + chunk;
    const index = String(j % perChapter).padStart(4, '0');
    return { ...d, id: `${d.speaker}-${chapter}-${index}`, chapter };
  });
}
