import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComputeHost } from '../compute/host-server.js';
import { isModelFolder } from '../model/checkpoint.js';
import { writeJsonAtomic } from '../process/atomic-write.js';
import type { GuardMetrics } from './guard.js';
import type { LexiconEffect } from './lexicon-eval.js';
import type { PersonalizeConfig } from './personalize-config.js';
import type { SourceUtterance } from './prepare.js';

// One personal fine-tuning job: what it is given, what it reports, and the folder it lives in.

/** Everything one run needs; written to the job folder so a restarted run does exactly the same. */
export interface PersonalizeJob {
  /** The job's folder: checkpoint, log and result (kept until the caller records the result). */
  workDir: string;
  /** The model fine-tuned from: the current personal model, or the base. */
  parentDir: string;
  /** The model folder holding the replay set (the base model); default parentDir. */
  replayDir?: string;
  /** Where the promoted model is written (atomically). */
  outDir: string;
  /** Version label stored in the new model (e.g. "personal 3"). */
  label: string;
  /** Corrected clips to learn from: audio and the text it really says. */
  train: SourceUtterance[];
  /** Corrected clips held back to measure on. */
  heldOut: SourceUtterance[];
  /** Words of the user's personal lexicon: their effect on decoding is measured apart from the model's. */
  lexicon?: string[];
  /**
   * The word language model dictation decodes finals with (ARPA file; absent: greedy finals): the guard
   * decodes with it, and the lexicon is measured with it too.
   */
  languageModel?: string;
  config?: Partial<PersonalizeConfig>;
}

export interface PersonalizeProgress {
  phase: 'preparing' | 'training' | 'evaluating' | 'saving';
  step: number;
  steps: number;
  /** Training loss of the last step (0 before the first). */
  loss: number;
  /** Seconds until training ends at this pace (0 when unknown). */
  etaSec: number;
}

export interface PersonalizeResult {
  status: 'promoted' | 'rejected' | 'cancelled';
  /** Why, in plain words. */
  reason: string;
  /** The new model folder (only when promoted). */
  outDir: string | null;
  label: string;
  metrics: GuardMetrics | null;
  /**
   * The lexicon-boosted beam search against greedy decoding, on the held-back corrections with the model
   * in use after this run (null without lexicon words or held-back corrections).
   */
  lexicon: LexiconEffect | null;
  training: {
    steps: number;
    bestStep: number;
    stopped: 'finished' | 'early' | 'cancelled';
    /** The recipe the amount of speech chose (recipe.ts), before the job's own settings. */
    recipe: string;
    /** Speech in the clips trained on, s. */
    speechSeconds: number;
    userUtterances: number;
    replayUtterances: number;
    /**
     * The share of the trained change in the model the guard judged last (the promoted one when promoted;
     * see PersonalizeConfig.backOff). Absent while training has not finished.
     */
    kept?: number;
  };
  /** Clips that could not be used, with why. */
  skipped: { id: string; reason: string }[];
  /** Things worth knowing that did not stop the run (e.g. no replay set). */
  warnings: string[];
}

/** What fine-tuning did, as the job folder records it once training has finished. */
export type TrainingSummary = PersonalizeResult['training'];

export interface PersonalizeHooks {
  onProgress?: (p: PersonalizeProgress) => void;
  /** Cancels between steps; the job folder stays, resumable, until the caller removes it. */
  signal?: AbortSignal;
  /** Awaited before every step and before measuring: training waits here while the user dictates. */
  beforeStep?: () => Promise<void>;
  /**
   * Training threads, each computing its share of every batch (TrainConfig.threads): a matter of the
   * machine, not of the job, so a resumed job may use another count. Default 1.
   */
  threads?: number;
  /** A compute host (WebGPU) to train on; the caller opens and closes it (TrainHooks.host). */
  host?: ComputeHost | null;
  /** Told once, in words for the user, when training leaves the GPU for the CPU. */
  onNotice?: (message: string) => void;
}

const RESULT_FILE = 'result.json';
const TRAINED_FILE = 'trained.json';
const JOB_FILE = 'job.json';

/** The training run's folder inside a job folder: its checkpoint, log and best model (`best`). */
export function jobRunDir(workDir: string): string {
  return join(workDir, 'run');
}

/** Saves a job in its folder (what a restarted trainer reads back). */
export function saveJob(job: PersonalizeJob): void {
  mkdirSync(job.workDir, { recursive: true });
  writeJsonAtomic(join(job.workDir, JOB_FILE), job);
}

/** The job saved in a folder, or null when there is none. */
export function readJob(workDir: string): PersonalizeJob | null {
  const path = join(workDir, JOB_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PersonalizeJob;
  } catch (err) {
    throw new Error(`${path}: not a readable training job (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Why a job folder cannot be resumed, or null when it can (or there is none). A job folder that was being
 * deleted when the process was killed (older versions deleted it in place), or that was edited by hand, can
 * hold any part of a job: e.g. its trained.json without the run/best model that says training is done. Such a
 * folder is not resumable; the caller removes it and starts afresh.
 */
export function jobFolderProblem(workDir: string): string | null {
  if (!existsSync(workDir)) return null;
  if (!existsSync(join(workDir, JOB_FILE))) return `${JOB_FILE} is missing`;
  try {
    readJob(workDir);
    if (readResult(workDir)) return null; // finished: only the result is needed
  } catch (err) {
    return (err as Error).message;
  }
  const runDir = jobRunDir(workDir);
  if (existsSync(join(workDir, TRAINED_FILE)) && !isModelFolder(join(runDir, 'best')))
    return `${TRAINED_FILE} says training finished, but its best model (run/best) is missing`;
  const checkpoint = join(runDir, 'checkpoint');
  const parts = [
    'trainer.json',
    'optimizer.safetensors',
    join('model', 'config.json'),
    join('model', 'model.safetensors'),
  ];
  if (existsSync(checkpoint) && !parts.every((p) => existsSync(join(checkpoint, p))))
    return 'its training checkpoint (run/checkpoint) is incomplete';
  return null;
}

/** The finished result in a job folder, or null. */
export function readResult(workDir: string): PersonalizeResult | null {
  const path = join(workDir, RESULT_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PersonalizeResult;
  } catch (err) {
    throw new Error(`${path}: not a readable training result (${(err as Error).message})`, { cause: err });
  }
}

/** Records the finished result: from now on the job only reports it. */
export function writeResult(workDir: string, result: PersonalizeResult): void {
  writeJsonAtomic(join(workDir, RESULT_FILE), result);
}

/** What finished training recorded in a job folder, or null while training has not finished. */
export function readTrained(workDir: string): TrainingSummary | null {
  const path = join(workDir, TRAINED_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TrainingSummary) : null;
}

/** Records that training has finished, so a later session of the job goes straight to the guard. */
export function writeTrained(workDir: string, training: TrainingSummary): void {
  writeJsonAtomic(join(workDir, TRAINED_FILE), training);
}
