import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFolder } from '../model/checkpoint.js';
import { DEFAULT_OPTIMIZER } from './optimizer.js';
import { adaptedParameters, type PersonalizeConfig } from './personalize-config.js';
import {
  jobRunDir,
  type PersonalizeHooks,
  type PersonalizeJob,
  type PersonalizeProgress,
  type TrainingSummary,
  writeTrained,
} from './personalize-job.js';
import type { TrainingMix } from './personalize-mix.js';
import { train, type TrainConfig, type TrainEvent } from './train.js';

/**
 * Fine-tunes the parent's adapted layers on the mix (resuming from the job's checkpoint when a killed run
 * left one) and records in the job folder that training finished, with the best model in `run/best`.
 * A cancelled run records nothing and returns `stopped: 'cancelled'`.
 */
export async function fineTune(
  job: PersonalizeJob,
  parent: ModelFolder,
  mix: TrainingMix,
  hooks: PersonalizeHooks = {},
): Promise<TrainingSummary> {
  const runDir = jobRunDir(job.workDir);
  const progress = trainingProgress((p) => hooks.onProgress?.(p));
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'fallback') hooks.onNotice?.(fallbackNotice(e));
    progress(e);
  };
  // Early stopping watches the training mixture itself (scored without augmentation): the held-back
  // corrections stay untouched until the guard, so its verdict is not biased by the choice of step.
  const r = await train(
    { train: mix.train, dev: mix.train },
    fineTuneConfig(runDir, job.parentDir, parent, mix.config, hooks.threads ?? 1),
    { onEvent, signal: hooks.signal, beforeStep: hooks.beforeStep, host: hooks.host },
  );
  r.model.dispose();
  // train() checkpoints before it returns, cancelled or not: the step reached is on disk.
  const reached = (
    JSON.parse(readFileSync(join(runDir, 'checkpoint', 'trainer.json'), 'utf8')) as { step: number }
  ).step;
  const cancelled = hooks.signal?.aborted ?? false;
  const summary: TrainingSummary = {
    steps: reached,
    bestStep: r.bestStep,
    stopped: cancelled ? 'cancelled' : reached < mix.config.steps ? 'early' : 'finished',
    userUtterances: mix.user.items.length,
    replayUtterances: mix.replay.items.length,
    recipe: mix.recipe,
    speechSeconds: mix.speechSeconds,
  };
  if (!cancelled) writeTrained(job.workDir, summary);
  return summary;
}

/** The training loop's settings for fine-tuning `parent` (from the folder `parentDir`) in `runDir`. */
export function fineTuneConfig(
  runDir: string,
  parentDir: string,
  parent: ModelFolder,
  cfg: PersonalizeConfig,
  threads: number,
): Partial<TrainConfig> {
  return {
    runDir,
    acoustic: parent.acoustic,
    initFrom: parentDir,
    trainable: adaptedParameters(parent.acoustic.blocks, cfg),
    optimizer: {
      ...DEFAULT_OPTIMIZER,
      learningRate: cfg.learningRate,
      warmupSteps: cfg.warmupSteps,
      decay: 'constant',
      totalSteps: cfg.steps,
      // Decay pulls weights towards zero, not towards the parent's: it has no place in fine-tuning.
      weightDecay: 0,
      anchorDecay: cfg.anchorDecay,
    },
    batches: cfg.batches,
    augment: cfg.augment,
    steps: cfg.steps,
    evalEvery: cfg.evalEvery,
    checkpointEvery: cfg.evalEvery,
    devUtterances: cfg.devUtterances,
    seed: cfg.seed,
    patience: cfg.patience,
    threads,
  };
}

/** Turns the training loop's step events into progress, with the time left at the pace of the last 10 steps. */
export function trainingProgress(onProgress: (p: PersonalizeProgress) => void): (e: TrainEvent) => void {
  const recent: number[] = [];
  return (e) => {
    if (e.type !== 'step') return;
    recent.push(e.stepSeconds);
    if (recent.length > 10) recent.shift();
    const perStep = recent.reduce((a, b) => a + b, 0) / recent.length;
    onProgress({
      phase: 'training',
      step: e.step,
      steps: e.steps,
      loss: e.loss,
      etaSec: Math.round(perStep * (e.steps - e.step)),
    });
  };
}

/** A training run's move off the GPU, in words for the user. */
export function fallbackNotice(e: Extract<TrainEvent, { type: 'fallback' }>): string {
  return `Training moved from the GPU (WebGPU) to the CPU (${e.to}) at step ${e.step}: ${e.reason}`;
}
