import { mkdirSync } from 'node:fs';
import { loadModelFolder } from '../model/checkpoint.js';
import {
  type PersonalizeHooks,
  type PersonalizeJob,
  type PersonalizeProgress,
  type PersonalizeResult,
  readResult,
  readTrained,
  writeResult,
} from './personalize-job.js';
import { judgeTrained } from './personalize-judge.js';
import { buildTrainingMix } from './personalize-mix.js';
import { cancelledResult, judgedResult, savePersonalModel } from './personalize-save.js';
import { fineTune } from './personalize-train.js';

export {
  adaptedParameters,
  type AdaptedLayers,
  checkAdaptedLayers,
  checkBackOff,
  DEFAULT_PERSONALIZE,
  type PersonalizeConfig,
} from './personalize-config.js';
export {
  jobFolderProblem,
  type PersonalizeHooks,
  type PersonalizeJob,
  type PersonalizeProgress,
  type PersonalizeResult,
  readJob,
  readResult,
  saveJob,
} from './personalize-job.js';

/**
 * Runs (or resumes, or just reports) one personal fine-tuning job, in its phases: mix the user's clips with
 * replayed general speech (personalize-mix.ts), fine-tune on them (personalize-train.ts), judge the trained
 * model against the current one, stepping back towards it while it forgets too much (personalize-judge.ts),
 * and write the result: the promoted model folder and the job's result (personalize-save.ts). Each phase
 * leaves its work in the job folder, so a run killed anywhere carries on from there.
 */
export async function personalize(
  job: PersonalizeJob,
  hooks: PersonalizeHooks = {},
): Promise<PersonalizeResult> {
  const done = readResult(job.workDir);
  if (done) return done;
  const progress = (phase: PersonalizeProgress['phase'], step = 0, steps = 0) =>
    hooks.onProgress?.({ phase, step, steps, loss: 0, etaSec: 0 });
  progress('preparing');
  mkdirSync(job.workDir, { recursive: true });
  const parent = loadModelFolder(job.parentDir);
  const mix = await buildTrainingMix(job, parent);
  // Training is skipped when a previous session of this job already finished it.
  const trained = readTrained(job.workDir) ?? (await fineTune(job, parent, mix, hooks));
  if (trained.stopped === 'cancelled') return cancelledResult(job, mix, trained);

  await hooks.beforeStep?.();
  progress('evaluating', trained.steps, mix.config.steps);
  const judged = await judgeTrained(job, parent, mix, hooks.beforeStep);
  const result = judgedResult(job, mix, trained, judged);
  try {
    if (result.status === 'promoted') {
      progress('saving', trained.steps, mix.config.steps);
      savePersonalModel(job, parent, judged.candidate, mix.config, result, judged.decodingTune?.decoding);
    }
  } finally {
    judged.candidate.dispose();
  }
  writeResult(job.workDir, result);
  return result;
}
