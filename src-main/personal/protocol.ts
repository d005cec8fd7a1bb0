import type { HostWindowReply, HostWindowRequest } from '../compute/contract.js';
import type { PersonalizeProgress, PersonalizeResult } from '../training/personalize.js';

/**
 * Messages between the main process and the trainer process (the process that fine-tunes the personal
 * model). The job itself is a folder on disk (see training/personalize-job.ts): the trainer is told where it
 * is, so a restarted trainer needs nothing else to resume.
 */
export type ToTrainer =
  /**
   * Run (or resume) the job in this folder; the process exits when it is done. `hostWindow`: the parent
   * opens compute host pages in hidden windows of its own (the desktop app); otherwise the trainer starts
   * headless Chromium for them.
   */
  | { type: 'run'; workDir: string; backend?: string; threads?: number; hostWindow?: boolean }
  /** Hold before the next step (the user is dictating). */
  | { type: 'pause' }
  | { type: 'resume' }
  /** Stop between steps; the result says 'cancelled'. */
  | { type: 'cancel' }
  /** Answers to openHost. */
  | HostWindowReply;

export type FromTrainer =
  /** `description`: the backend ladder with each rung's reason (`attune info`'s text). */
  | { type: 'started'; backend: string; threads: number; description: string }
  | ({ type: 'progress' } & PersonalizeProgress)
  | { type: 'result'; result: PersonalizeResult }
  | { type: 'error'; message: string }
  /** Something the user should be told once, e.g. that training left the GPU. */
  | { type: 'notice'; message: string }
  /** Open the compute host page at this loopback address in a hidden window (run with hostWindow). */
  | HostWindowRequest;
