import { join, resolve } from 'node:path';
import type { AcousticModel } from '../model/acoustic.js';
import { loadModelFolder, type ModelFolder } from '../model/checkpoint.js';
import { interpolateWeights } from '../model/interpolate.js';
import { loadCheckpointModel } from '../model/model-io.js';
import type { Alphabet } from '../speech/alphabet.js';
import { beamSearch, LM_BEAM_WIDTH, type LmDecoding } from '../speech/beam-search.js';
import { vocabularyTrie, WordLm } from '../speech/word-lm.js';
import { type DecodingTune, tuneDecoding } from './decoding-tune.js';
import { evalItemsOf, guard, type GuardDecoding, type GuardScores, type GuardVerdict } from './guard.js';
import { lexiconEffect, type LexiconEffect } from './lexicon-eval.js';
import { checkBackOff, type PersonalizeConfig } from './personalize-config.js';
import { jobRunDir, type PersonalizeJob } from './personalize-job.js';
import type { TrainingMix } from './personalize-mix.js';
import type { FeatureSource } from './train.js';

/** The guard's decision on a job's trained model, and what the job measured with it. */
export interface Judgement {
  /** The verdict on the share kept; its reason also names the larger shares that forgot too much. */
  verdict: GuardVerdict;
  /** The share of the trained change in the model judged last (PersonalizeConfig.backOff). */
  kept: number;
  /** The personal lexicon's effect with the model in use after the run (see PersonalizeResult.lexicon). */
  lexicon: LexiconEffect | null;
  /** The model judged last, which is saved when promoted; the caller disposes it. */
  candidate: AcousticModel;
  /** The word search's weights tuned on the held-back clips for the promoted model (null: its own kept). */
  decodingTune: DecodingTune | null;
  /** E.g. that the language model could not be read. */
  warnings: string[];
}

/**
 * Judges the job's trained model (`run/best`) against the parent with the back-off, decoding as dictation
 * writes finals, and measures the lexicon with the model in use afterwards.
 */
export async function judgeTrained(
  job: PersonalizeJob,
  parent: ModelFolder,
  mix: TrainingMix,
  beforeStep?: () => Promise<void>,
): Promise<Judgement> {
  const trained = loadModelFolder(join(jobRunDir(job.workDir), 'best'));
  const current = loadCheckpointModel(parent);
  // Forgetting counts from the base model (the replay set's owner) when the current model is a personal one.
  const baseDir =
    job.replayDir !== undefined && resolve(job.replayDir) !== resolve(job.parentDir) ? job.replayDir : null;
  const base = mix.replayEval && baseDir ? loadCheckpointModel(loadModelFolder(baseDir)) : null;
  let candidate: AcousticModel | null = null;
  try {
    const warnings: string[] = [];
    const lm = jobLanguageModel(job, parent.alphabet, warnings);
    const judged = await judgeWithBackOff(
      { current, base, parent, trained },
      { heldOut: mix.heldOut, replay: mix.replayEval },
      mix.config,
      guardDecoding(lm, parent.alphabet),
      beforeStep,
    );
    candidate = judged.candidate;
    const words = job.lexicon ?? [];
    const inUse = judged.verdict.promoted ? candidate : current;
    const lexicon =
      words.length > 0 && mix.heldOut.items.length > 0
        ? lexiconEffect(inUse, parent.alphabet, evalItemsOf(mix.heldOut), words, {}, lm)
        : null;
    let decodingTune: DecodingTune | null = null;
    if (judged.verdict.promoted && lm) {
      // Tuning searches the held-back clips nine times over: it waits, like every step, while the user dictates.
      await beforeStep?.();
      decodingTune = tuneDecoding(candidate, parent.alphabet, mix.heldOut, lm);
    }
    return { ...judged, lexicon, decodingTune, warnings };
  } catch (err) {
    candidate?.dispose();
    throw err;
  } finally {
    current.dispose();
    base?.dispose();
  }
}

/** The models the guard compares: the current one, and the base the margin on general speech counts from. */
export interface JudgedModels {
  current: AcousticModel;
  /** Null when the current model is the base. */
  base: AcousticModel | null;
  /** The current model's folder, the start of the line to the trained one. */
  parent: ModelFolder;
  trained: ModelFolder;
}

/**
 * Judges candidates on the straight line from the parent to the trained model, at each share of
 * `config.backOff` in turn, until one does not forget too much general speech (or none is left). The
 * current and base models are scored once, however many candidates are judged.
 */
export async function judgeWithBackOff(
  models: JudgedModels,
  sets: { heldOut: FeatureSource; replay: FeatureSource | null },
  config: Pick<PersonalizeConfig, 'guard' | 'backOff'>,
  decoding: GuardDecoding,
  beforeStep?: () => Promise<void>,
): Promise<{ verdict: GuardVerdict; kept: number; candidate: AcousticModel }> {
  checkBackOff(config.backOff);
  const { current, base, parent, trained } = models;
  const scores: GuardScores = new Map();
  const forgotten: string[] = [];
  let verdict: GuardVerdict | null = null;
  let kept = 1;
  let candidate: AcousticModel | null = null;
  try {
    for (const share of config.backOff) {
      await beforeStep?.();
      candidate?.dispose(); // the previous share, which forgot too much
      candidate = null;
      candidate = loadCheckpointModel(share === 1 ? trained : interpolateWeights(parent, trained, share));
      kept = share;
      verdict = guard(
        current,
        candidate,
        parent.alphabet,
        sets.heldOut,
        sets.replay,
        config.guard,
        base,
        decoding,
        scores,
      );
      if (!verdict.forgot) break;
      forgotten.push(`${pctOf(share)}: ${pctOf(verdict.metrics.replay!.after.wer)}`);
    }
  } catch (err) {
    candidate?.dispose();
    throw err;
  }
  verdict = verdict!;
  // Say what was stepped back from: the replay WER of each larger share, which forgot too much.
  const earlier = verdict.forgot ? forgotten.slice(0, -1) : forgotten;
  const steppedBack =
    earlier.length > 0
      ? ` (with ${pctOf(kept)} of the fine-tuning's change; more of it forgot too much general speech, replay word errors with ${earlier.join(', ')})`
      : '';
  return { verdict: { ...verdict, reason: verdict.reason + steppedBack }, kept, candidate: candidate! };
}

const pctOf = (x: number) => `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;

/**
 * The job's language model, for the guard and the lexicon measurement; one that cannot be read is a
 * warning, not a failure (both then measure greedy decoding).
 */
export function jobLanguageModel(
  job: Pick<PersonalizeJob, 'languageModel'>,
  alphabet: Alphabet,
  warnings: string[],
): LmDecoding | null {
  if (!job.languageModel) return null;
  try {
    const lm = WordLm.load(job.languageModel);
    return { lm, vocabulary: vocabularyTrie(lm, alphabet) };
  } catch (err) {
    warnings.push(`measured without the language model: ${(err as Error).message}`);
    return null;
  }
}

/** The guard decodes as dictation writes finals: with the LM when there is one (without the lexicon,
 *  whose effect is measured apart). */
export function guardDecoding(lmDecoding: LmDecoding | null, alphabet: Alphabet): GuardDecoding {
  if (!lmDecoding) return { kind: 'greedy' };
  const beam = { beamWidth: LM_BEAM_WIDTH };
  return {
    kind: 'language model',
    decode: (logProbs, T) => beamSearch(logProbs, T, alphabet, null, beam, lmDecoding).text,
  };
}
