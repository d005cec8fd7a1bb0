import type { PersonalizeProgress, PersonalizeResult } from '../training/personalize.js';

/**
 * Messages between the main process and the trainer process (the process that fine-tunes the personal
 * model). The job itself is a folder on disk (see training/personalize-job.ts): the trainer is told where it
 * is, so a restarted trainer needs nothing else to resume.
 */
export type ToTrainer =
  /** Run (or resume) the job in this folder; the process exits when it is done. */
  | { type: 'run'; workDir: string; backend?: string; threads?: number }
  /** Hold before the next step (the user is dictating). */
  | { type: 'pause' }
  | { type: 'resume' }
  /** Stop between steps; the result says 'cancelled'. */
  | { type: 'cancel' };

export type FromTrainer =
  | { type: 'started'; backend: string; threads: number }
  | ({ type: 'progress' } & PersonalizeProgress)
  | { type: 'result'; result: PersonalizeResult }
  | { type: 'error'; message: string };
