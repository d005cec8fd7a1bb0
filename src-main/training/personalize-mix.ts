import type { ModelFolder } from '../model/checkpoint.js';
import { frontEndBins } from '../speech/front-end.js';
import { seededRandom } from './batches.js';
import { jobConfig, type PersonalizeConfig } from './personalize-config.js';
import type { PersonalizeJob } from './personalize-job.js';
import { loadUtterances, MemoryFeatures } from './memory-features.js';
import { loadReplay } from './replay.js';

/**
 * What one job trains and measures on: the user's clips (those held back for the guard apart) and replay
 * utterances of the base model's speech, with the settings the amount of the user's speech chose.
 */
export interface TrainingMix {
  config: PersonalizeConfig;
  /** The recipe the amount of speech chose (recipe.ts). */
  recipe: string;
  /** Speech in the user's clips trained on, s. */
  speechSeconds: number;
  /** The user's clips trained on. */
  user: MemoryFeatures;
  /** The user's clips held back for the guard. */
  heldOut: MemoryFeatures;
  /** The replay utterances trained on (none without a replay set). */
  replay: MemoryFeatures;
  /** The replay utterances the guard measures forgetting on (null without a replay set). */
  replayEval: MemoryFeatures | null;
  /** What training sees: the user's clips, then the replay utterances. */
  train: MemoryFeatures;
  /** Clips that could not be used, with why. */
  skipped: { id: string; reason: string }[];
  /** E.g. that the model folder has no replay set. */
  warnings: string[];
}

/** Reads the job's clips and the replay set, and mixes them for training on the parent model's front end. */
export async function buildTrainingMix(job: PersonalizeJob, parent: ModelFolder): Promise<TrainingMix> {
  const user = await loadUtterances(job.train, parent.features);
  const heldOut = await loadUtterances(job.heldOut, parent.features);
  if (user.set.items.length === 0)
    throw new Error(
      `no usable training clips (${job.train.length} given, ${user.skipped.length} unreadable)`,
    );
  const { config, recipe, speechSeconds } = jobConfig(user.set.totalFrames, parent, job.config);
  const { replay, warning } = loadReplay(job.replayDir ?? job.parentDir, parent.features, {
    evalEvery: config.replayEvalEvery,
  });
  const replayTrain = replay
    ? pickReplay(replay.train, user.set.items.length, config)
    : new MemoryFeatures(frontEndBins(parent.features), []);
  return {
    config,
    recipe,
    speechSeconds,
    user: user.set,
    heldOut: heldOut.set,
    replay: replayTrain,
    replayEval: replay?.eval ?? null,
    train: user.set.concat(replayTrain),
    skipped: [...user.skipped, ...heldOut.skipped],
    warnings: warning ? [warning] : [],
  };
}

/**
 * The replay utterances trained on beside `userClips` clips: replayRatio per clip and at least minReplay,
 * as many as the set has. A seeded choice kept in the set's order, so a resumed run trains on the same
 * mixture.
 */
export function pickReplay(
  replay: MemoryFeatures,
  userClips: number,
  config: Pick<PersonalizeConfig, 'replayRatio' | 'minReplay' | 'seed'>,
): MemoryFeatures {
  const want = Math.min(
    replay.items.length,
    Math.max(config.minReplay, Math.ceil(config.replayRatio * userClips)),
  );
  const rand = seededRandom(config.seed);
  const order = replay.items.map((_, i) => ({ i, r: rand() })).sort((a, b) => a.r - b.r);
  return replay.pick(
    order
      .slice(0, want)
      .map((x) => x.i)
      .sort((a, b) => a - b),
  );
}
