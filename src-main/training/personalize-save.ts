import type { AcousticModel } from '../model/acoustic.js';
import { type ModelFolder, type ModelInfo, saveModelFolder } from '../model/checkpoint.js';
import { checkpointFromModel } from '../model/model-io.js';
import type { GuardMetrics } from './guard.js';
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
  judged: Pick<Judgement, 'verdict' | 'kept' | 'lexicon' | 'warnings'>,
): PersonalizeResult {
  const { verdict } = judged;
  return {
    status: verdict.promoted ? 'promoted' : 'rejected',
    reason: verdict.reason,
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

/** Writes a promoted model as a model folder at `job.outDir` (atomically), with what it records. */
export function savePersonalModel(
  job: PersonalizeJob,
  parent: ModelFolder,
  model: AcousticModel,
  config: PersonalizeConfig,
  result: PersonalizeResult,
): void {
  if (result.status !== 'promoted' || !result.metrics)
    throw new Error(`only a promoted model is saved (this one was ${result.status})`);
  const info = personalModelInfo(job, config, result.metrics, result.training);
  saveModelFolder(job.outDir, checkpointFromModel(model, parent.alphabet, info, parent.features));
}
