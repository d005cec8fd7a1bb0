import { EventEmitter } from 'node:events';
import { type ChildLink, entryBeside, forkNode } from '../process/child-process.js';
import type { PersonalizeProgress, PersonalizeResult } from '../training/personalize.js';
import type { FromTrainer, ToTrainer } from './protocol.js';

/** The trainer child process: Node's fork here, Electron's utilityProcess in the app. */
export type TrainerChild = ChildLink<ToTrainer, FromTrainer>;

export type TrainerLauncher = (entry: string) => TrainerChild;

/** Path of the trainer process entry next to this file. */
export function trainerEntry(): string {
  return entryBeside(import.meta.url, 'trainer-process');
}

/** Starts the trainer as a Node child process; killing it is immediate (its checkpoints make that safe). */
export const nodeTrainerLauncher: TrainerLauncher = (entry) =>
  forkNode<ToTrainer, FromTrainer>(entry, 'SIGKILL');

export interface TrainerRunEvents {
  started: [{ backend: string; threads: number; description: string }];
  progress: [PersonalizeProgress];
  result: [PersonalizeResult];
  error: [string];
  /** Something the user should be told once (training left the GPU). */
  notice: [string];
  /** Always last: after 'result' or 'error', or alone when the process died. */
  exit: [number | null];
}

/** One run of the trainer process on one job folder. */
export class TrainerRun extends EventEmitter<TrainerRunEvents> {
  private exited = false;

  private constructor(private readonly child: TrainerChild) {
    super();
  }

  static start(
    workDir: string,
    opts: { launcher?: TrainerLauncher; backend?: string; threads?: number; paused?: boolean } = {},
  ): TrainerRun {
    const child = (opts.launcher ?? nodeTrainerLauncher)(trainerEntry());
    const run = new TrainerRun(child);
    child.onMessage((msg) => {
      switch (msg.type) {
        case 'started':
          run.emit('started', { backend: msg.backend, threads: msg.threads, description: msg.description });
          break;
        case 'progress': {
          const { type: _t, ...p } = msg;
          run.emit('progress', p);
          break;
        }
        case 'result':
          run.emit('result', msg.result);
          break;
        case 'error':
          run.emit('error', msg.message);
          break;
        case 'notice':
          run.emit('notice', msg.message);
          break;
      }
    });
    child.onExit((code) => {
      run.exited = true;
      run.emit('exit', code);
    });
    if (opts.paused) child.send({ type: 'pause' });
    child.send({ type: 'run', workDir, backend: opts.backend, threads: opts.threads });
    return run;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  pause(): void {
    this.child.send({ type: 'pause' });
  }

  resume(): void {
    this.child.send({ type: 'resume' });
  }

  /** Asks the trainer to stop between steps; it answers with a 'cancelled' result and exits. */
  cancel(): void {
    this.child.send({ type: 'cancel' });
  }

  /** Ends the process at once (the job folder stays and resumes next time). */
  kill(): void {
    if (!this.exited) this.child.kill();
  }

  /** Resolves when the process has exited. */
  exitedPromise(): Promise<number | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => this.once('exit', resolve));
  }
}
