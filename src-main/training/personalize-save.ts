import type { AcousticModel } from '../model/acoustic.js';
import { type ModelFolder, type ModelInfo, saveModelFolder } from '../model/checkpoint.js';
import { checkpointFromModel } from '../model/model-io.js';
import type { ClassDecoding } from '../speech/class-priors.js';
import { type GuardMetrics, pct } from './guard.js';
import type { PersonalizeConfig } from './personalize-config.js';
import type { PersonalizeJob, PersonalizeResult, TrainingSummary } from './personalize-job.js';
import type { Judgement } from './personalize-judge.js';
import type { TrainingMix } from './personalize-mix.js';

/** The result of a job cancelled while training: the current model stays. */
export function cancelledResult(
  job: PersonalizeJob,
  mix: Pick<TrainingMix, 'skipped' | 'warnings'>,
  training: TrainingSummary,
): PersonalizeResult {
  return {
    status: 'cancelled',
    reason: 'training was cancelled; the current model stays',
    outDir: null,
    label: job.label,
    metrics: null,
    lexicon: null,
    training,
    skipped: mix.skipped,
    warnings: mix.warnings,
  };
}

/** The result of a job the guard has judged: promoted (to `job.outDir`) or rejected, and why. */
export function judgedResult(
  job: PersonalizeJob,
  mix: Pick<TrainingMix, 'skipped' | 'warnings'>,
  trained: TrainingSummary,
  judged: Pick<Judgement, 'verdict' | 'kept' | 'lexicon' | 'warnings'> &
    Partial<Pick<Judgement, 'decodingTune'>>,
): PersonalizeResult {
  const { verdict } = judged;
  const tune = verdict.promoted ? judged.decodingTune : null;
  const tuned = tune
    ? `; word search tuned to your voice: prior scale ${tune.decoding.priorScale}, LM weight ${tune.decoding.lmWeight} (word errors on your held-back corrections ${pct(tune.before)} → ${pct(tune.after)})`
    : '';
  return {
    status: verdict.promoted ? 'promoted' : 'rejected',
    reason: verdict.reason + tuned,
    outDir: verdict.promoted ? job.outDir : null,
    label: job.label,
    metrics: verdict.metrics,
    lexicon: judged.lexicon,
    training: { ...trained, kept: judged.kept },
    skipped: mix.skipped,
    warnings: [...mix.warnings, ...judged.warnings],
  };
}

/**
 * What a personal model records of itself: its version and parent, the guard's numbers, and how it was
 * trained (the run's summary and the settings that shape what it learnt).
 */
export function personalModelInfo(
  job: Pick<PersonalizeJob, 'label' | 'parentDir'>,
  config: PersonalizeConfig,
  metrics: GuardMetrics,
  training: TrainingSummary,
): ModelInfo {
  return {
    version: job.label,
    parent: job.parentDir,
    metrics: { ...metrics },
    training: {
      kind: 'personal',
      ...training,
      learningRate: config.learningRate,
      anchorDecay: config.anchorDecay,
      adaptSubsampling: config.adaptSubsampling,
      adaptFirstBlocks: config.adaptFirstBlocks,
      adaptBlocks: config.adaptBlocks,
    },
  };
}

/**
 * Writes a promoted model as a model folder at `job.outDir` (atomically), with what it records, and the word
 * search's weights tuned to the voice when there are any (else the parent's).
 */
export function savePersonalModel(
  job: PersonalizeJob,
  parent: ModelFolder,
  model: AcousticModel,
  config: PersonalizeConfig,
  result: PersonalizeResult,
  decoding: ClassDecoding | null = null,
): void {
  if (result.status !== 'promoted' || !result.metrics)
    throw new Error(`only a promoted model is saved (this one was ${result.status})`);
  const info = personalModelInfo(job, config, result.metrics, result.training);
  const alphabet = decoding ? { ...parent.alphabet, decoding } : parent.alphabet;
  saveModelFolder(job.outDir, checkpointFromModel(model, alphabet, info, parent.features));
}
