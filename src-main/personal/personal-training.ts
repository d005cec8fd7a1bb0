import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LossPoint, TrainingStatus } from '../ipc/contract.js';
import {
  recoverModelFolders,
  removeFolder,
  removeFolderLeftovers,
  removeTrashIn,
} from '../model/folder-recovery.js';
import { killPoint } from '../model/kill-point.js';
import type { Store } from '../store/store.js';
import type { Correction, ModelVersion, TrainingItem } from '../store/types.js';
import { englishAlphabet, loadTokens } from '../speech/alphabet.js';
import { introducedWords } from '../speech/lexicon.js';
import { splitHeldOut } from '../training/holdout.js';
import {
  DEFAULT_PERSONALIZE,
  jobFolderProblem,
  type PersonalizeConfig,
  type PersonalizeJob,
  type PersonalizeProgress,
  type PersonalizeResult,
  readJob,
  readResult,
  saveJob,
} from '../training/personalize.js';
import type { SourceUtterance } from '../training/prepare.js';
import { type TrainerLauncher, TrainerRun } from './trainer-client.js';
import { writeFileAtomic, writeJsonAtomic } from '../process/atomic-write.js';

/**
 * The app's side of personal training: turns the store's corrections into a job, runs it in the
 * trainer process, pauses it while the user dictates, and records what came of it — a promoted version
 * (made active, the engine swapped to it) or a rejected one with the reason. Jobs live in
 * dataDir/personal/job until their result is recorded, so a killed app resumes the job at its next start.
 */

/** The personal lexicon file: one word per line, the words the user's corrections introduced. */
export function lexiconPath(dataDir: string): string {
  return join(dataDir, 'personal', 'lexicon.txt');
}
export interface PersonalTrainingConfig {
  /** Fine-tuning settings passed to every job (defaults: DEFAULT_PERSONALIZE). */
  personalize: Partial<PersonalizeConfig>;
  /** Held-back corrections the guard measures on, newest first (older ones have been measured enough). */
  maxHeldOut: number;
  /**
   * Corrections learnt by earlier versions that each new version trains on again, newest first. 300 clips
   * of a few seconds are about what the default 200 steps see once.
   */
  maxLearnt: number;
  /** Status events during training at most this often, in ms (each step would be too many). */
  progressIntervalMs: number;
  /** How long a cancelled trainer may take to stop before it is ended, in ms. */
  cancelWaitMs: number;
  /**
   * Compute backend of the trainer process, and its training threads (each a copy of the model with its
   * share of every batch; one leaves a core to dictation).
   */
  backend: string;
  threads: number;
}

export const DEFAULT_PERSONAL_TRAINING: PersonalTrainingConfig = {
  personalize: {},
  maxHeldOut: 100,
  maxLearnt: 300,
  progressIntervalMs: 500,
  cancelWaitMs: 10_000,
  backend: 'auto',
  threads: 1,
};

/** What personal training needs of the app's model activation. */
export interface ActiveModel {
  /** The model folder the engine runs now: what the next version is fine-tuned from. */
  readonly runningDir: string;
  /** Loads a version in the engine and records it as active (the same path as choosing it by hand). */
  activate(version: ModelVersion, reason: string): Promise<unknown>;
}

export interface PersonalTrainingDeps {
  store: Store;
  dataDir: string;
  baseModelDir: string;
  /** The model the engine runs, and how a promoted version becomes the active one. */
  models: ActiveModel;
  /** Sends the status to every renderer. */
  emit: (status: TrainingStatus) => void;
  /** The word language model finals are decoded with (null: none): the lexicon is measured with it. */
  languageModelPath?: string | null;
  launcher?: TrainerLauncher;
}

/** A request the trainer cannot carry out now (the message says why). */
export class TrainingRefused extends Error {
  override readonly name = 'TrainingRefused';
}

interface SavedState {
  /** Pending corrections left when the last run ended: new ones are counted from there. */
  pendingAtLastRun: number;
  lastResult: TrainingStatus['lastResult'];
  /** Training loss by step of the last run that ended (absent from state saved by older versions). */
  lossCurve?: LossPoint[];
}

/** Loss points kept per run: longer runs keep every other point, so a status stays small. */
const MAX_CURVE_POINTS = 500;

/** Prefix of personal versions' labels and folders ("personal 3" in dataDir/models/personal-3). */
const LABEL = 'personal';

export class PersonalTraining {
  private readonly cfg: PersonalTrainingConfig;
  private readonly root: string;
  private readonly workDir: string;
  private readonly modelsDir: string;
  private run: TrainerRun | null = null;
  private state: TrainingStatus['state'] = 'idle';
  private progress: TrainingStatus['progress'] = null;
  private error: string | null = null;
  /** What the running (or last) job told the user once, e.g. that it left the GPU. */
  private notice: string | null = null;
  /** Where the running (or last) job computes, with the ladder's reasons. */
  private backend: TrainingStatus['backend'] = null;
  private dictating = false;
  private lastEmit = 0;
  private finishing: Promise<void> | null = null;
  /** Loss by step of the running run, or of the last one this process saw. */
  private curve: LossPoint[] = [];

  constructor(
    private readonly deps: PersonalTrainingDeps,
    config: Partial<PersonalTrainingConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_PERSONAL_TRAINING, ...config };
    this.root = join(deps.dataDir, 'personal');
    this.workDir = join(this.root, 'job');
    this.modelsDir = join(deps.dataDir, 'models');
  }

  status(): TrainingStatus {
    const saved = this.saved();
    return {
      state: this.state,
      pendingCorrections: this.deps.store.corrections.counts().pending,
      autoTrain: this.deps.store.settings.get('autoTrain'),
      progress: this.progress,
      lastResult: saved.lastResult,
      error: this.error,
      notice: this.notice,
      backend: this.backend,
      lossCurve: this.busy || this.curve.length > 0 ? [...this.curve] : (saved.lossCurve ?? []),
    };
  }

  get busy(): boolean {
    return this.run !== null || this.finishing !== null;
  }

  /**
   * Starts fine-tuning on the pending corrections (or resumes an unfinished job). Refused while a run
   * is going on, or when there is nothing to learn from.
   */
  start(): TrainingStatus {
    if (this.busy) throw new TrainingRefused('personal training is already running');
    if (!existsSync(join(this.workDir, 'job.json'))) this.createJob();
    this.launch();
    return this.status();
  }

  /**
   * Called after every correction: adds the words it introduced to the personal lexicon, and starts a
   * run when automatic training is on and enough corrections came in.
   */
  onCorrection(correction: Pick<Correction, 'beforeText' | 'afterText'>): void {
    if (this.deps.store.settings.get('lexiconBoost'))
      this.learnWords(correction.beforeText, correction.afterText);
    if (this.busy || !this.deps.store.settings.get('autoTrain')) return;
    const pending = this.deps.store.corrections.counts().pending;
    if (pending - this.saved().pendingAtLastRun < this.deps.store.settings.get('autoTrainAfter')) return;
    try {
      this.start();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Resumes a job a killed app left behind (called once at start-up). */
  resumeUnfinished(): void {
    if (this.busy) return;
    try {
      // What a killed app or trainer left half done is finished first (folder-recovery.ts).
      recoverModelFolders(this.modelsDir);
      // A model folder being removed (a discarded job's) when the kill came, and the job folder's own.
      removeTrashIn(this.modelsDir);
      removeFolderLeftovers(this.workDir);
      const problem = jobFolderProblem(this.workDir);
      if (problem) {
        removeFolder(this.workDir);
        throw new Error(
          `an interrupted training job could not be resumed (${problem}) and was discarded; ` +
            'your corrections are kept for the next training',
        );
      }
      if (existsSync(join(this.workDir, 'job.json'))) this.launch();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Training holds between steps while the user dictates, and goes on afterwards. */
  setDictating(active: boolean): void {
    if (active === this.dictating) return;
    this.dictating = active;
    if (!this.run) return;
    if (active) this.run.pause();
    else this.run.resume();
    this.setState(active ? 'waiting' : this.progress?.phase === 'evaluating' ? 'evaluating' : 'training');
  }

  /** Stops the run; nothing of it is kept (no model, no checkpoint). */
  async cancel(): Promise<TrainingStatus> {
    const run = this.run;
    if (!run) {
      if (this.finishing) await this.finishing;
      return this.status();
    }
    this.setState('cancelling');
    run.cancel();
    const timer = setTimeout(() => run.kill(), this.cfg.cancelWaitMs);
    await run.exitedPromise();
    clearTimeout(timer);
    if (this.finishing) await this.finishing;
    return this.status();
  }

  /** Ends the trainer process at once; its job stays on disk and resumes at the next start. */
  async close(): Promise<void> {
    const run = this.run;
    if (run) {
      run.removeAllListeners();
      run.kill();
      await run.exitedPromise();
      this.run = null;
    }
  }

  /** The personal lexicon: words the user's corrections introduced, oldest first. */
  lexicon(): string[] {
    const path = lexiconPath(this.deps.dataDir);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((w) => w !== '');
  }

  private learnWords(before: string, after: string): void {
    let alphabet;
    try {
      alphabet = loadTokens(join(this.deps.models.runningDir, 'tokens.txt'));
    } catch {
      alphabet = englishAlphabet();
    }
    const known = new Set(this.lexicon());
    const added = introducedWords(before, after, alphabet).filter((w) => !known.has(w));
    if (added.length === 0) return;
    mkdirSync(this.root, { recursive: true });
    const path = lexiconPath(this.deps.dataDir);
    writeFileAtomic(path, [...known, ...added].join('\n') + '\n');
  }

  // ── Jobs ──────────────────────────────────────────────────────────────────────────────────────

  private createJob(): void {
    const { store } = this.deps;
    const cfg = { ...DEFAULT_PERSONALIZE, ...this.cfg.personalize };
    // A segment held back once stays held back: a later fix of its text is measured on, never learnt.
    const heldSegments = new Set(store.corrections.heldOut({ requireAudio: false }).map((i) => i.segmentId));
    const allPending = store.corrections.pending({ requireAudio: false });
    const fixesOfHeld = allPending.filter((i) => heldSegments.has(i.segmentId));
    if (fixesOfHeld.length > 0) store.corrections.markHeldOut(fixesOfHeld.flatMap((i) => i.correctionIds));
    const pending = allPending.filter((i) => !heldSegments.has(i.segmentId) && i.audioPath !== null);
    const round = store.models.list().filter((v) => v.label.startsWith(`${LABEL} `)).length;
    const split = splitHeldOut(pending, round, cfg.holdout);
    // What earlier versions learnt is trained on again (newest first, up to a cap): the new version starts
    // from the current model, which may be the base again after a reset, and would otherwise drift
    // towards the newest clips and away from the older ones.
    const fresh = new Set(split.train.map((i) => i.segmentId));
    const earlier = store.corrections
      .learnt()
      .filter((i) => i.audioPath !== null && !fresh.has(i.segmentId))
      .slice(-this.cfg.maxLearnt);
    const heldOutBefore = store.corrections.heldOut().length;
    // With no held-back corrections yet, one of these must be held back or nothing can be measured.
    if (pending.length === 0 || (pending.length < 2 && heldOutBefore === 0)) {
      throw new TrainingRefused(
        pending.length === 0
          ? 'there are no new corrections with audio to learn from'
          : 'correct at least one more phrase first: one correction is kept aside to check the new model',
      );
    }
    if (split.heldOut.length > 0)
      store.corrections.markHeldOut(split.heldOut.flatMap((i) => i.correctionIds));
    const heldOut = store.corrections
      .heldOut()
      .filter((i) => i.audioPath !== null)
      .slice(-this.cfg.maxHeldOut);
    const n = this.nextNumber();
    const job: PersonalizeJob = {
      workDir: this.workDir,
      parentDir: this.deps.models.runningDir,
      replayDir: this.deps.baseModelDir,
      outDir: join(this.modelsDir, `${LABEL}-${n}`),
      label: `${LABEL} ${n}`,
      train: [...earlier, ...split.train].map((i) => this.utterance(i)),
      heldOut: heldOut.map((i) => this.utterance(i)),
      lexicon: store.settings.get('lexiconBoost') ? this.lexicon() : [],
      ...(this.deps.languageModelPath && store.settings.get('languageModel')
        ? { languageModel: this.deps.languageModelPath }
        : {}),
      config: {
        ...this.cfg.personalize,
        // How much the user lets the model forget other voices (Settings): the guard's replay margin.
        guard: { ...cfg.guard, replayMarginRelative: store.settings.get('replayMargin') },
        seed: n,
      },
    };
    saveJob(job);
  }

  private utterance(item: TrainingItem): SourceUtterance {
    return {
      id: `segment-${item.segmentId}`,
      speaker: 'user',
      text: item.text,
      audioPath: this.deps.store.clips.absolutePath(item.audioPath!),
    };
  }

  /** The next free version number: one more than any personal version or folder seen. */
  private nextNumber(): number {
    let max = 0;
    for (const v of this.deps.store.models.list()) {
      const m = new RegExp(`^${LABEL} (\\d+)$`).exec(v.label);
      if (m) max = Math.max(max, Number(m[1]));
    }
    if (existsSync(this.modelsDir))
      for (const name of readdirSync(this.modelsDir)) {
        const m = new RegExp(`^${LABEL}-(\\d+)$`).exec(name);
        if (m) max = Math.max(max, Number(m[1]));
      }
    return max + 1;
  }

  private launch(): void {
    // A result already on disk (the app died while recording it) is recorded without a trainer.
    const done = readResult(this.workDir);
    if (done) {
      this.finish(done);
      return;
    }
    this.error = null;
    this.notice = null;
    this.progress = null;
    this.curve = [];
    const run = TrainerRun.start(this.workDir, {
      launcher: this.deps.launcher,
      backend: this.cfg.backend,
      threads: this.cfg.threads,
      paused: this.dictating,
    });
    this.run = run;
    let result: PersonalizeResult | null = null;
    let failure: string | null = null;
    run.on('progress', (p) => this.onProgress(p));
    run.on('result', (r) => (result = r));
    run.on('error', (message) => (failure = message));
    run.on('started', (b) => {
      this.backend = { name: b.backend, description: b.description };
      this.deps.emit(this.status());
    });
    run.on('notice', (message) => {
      this.notice = message;
      this.deps.emit(this.status());
    });
    run.on('exit', (code) => {
      this.run = null;
      if (result) this.finish(result);
      else if (failure !== null) {
        // The job cannot run (e.g. its clips or parent model are gone): drop it, say why.
        removeFolder(this.workDir);
        this.fail(new Error(failure));
      } else if (this.state === 'cancelling') {
        this.discardJob();
        this.progress = null;
        this.setState('idle');
      } else {
        this.fail(
          new Error(`the trainer stopped unexpectedly (exit code ${code}); start training again to resume`),
        );
      }
    });
    this.setState(this.dictating ? 'waiting' : 'training');
  }

  private onProgress(p: PersonalizeProgress): void {
    this.progress = { step: p.step, steps: p.steps, loss: p.loss, etaSec: p.etaSec, phase: p.phase };
    if (p.phase === 'training' && p.step > 0 && this.curve.at(-1)?.step !== p.step) {
      this.curve.push({ step: p.step, loss: p.loss });
      if (this.curve.length > MAX_CURVE_POINTS)
        this.curve = this.curve.filter((_, i, all) => i % 2 === 1 || i === all.length - 1);
    }
    const phaseState = p.phase === 'evaluating' || p.phase === 'saving' ? 'evaluating' : 'training';
    const next = this.dictating ? 'waiting' : phaseState;
    const now = Date.now();
    if (next !== this.state || now - this.lastEmit >= this.cfg.progressIntervalMs) this.setState(next);
  }

  /** Records a job's result in the store, activates a promoted model, then forgets the job. */
  private finish(result: PersonalizeResult): void {
    const finishing = (async () => {
      try {
        if (result.status === 'cancelled') {
          this.discardJob();
          this.progress = null;
          this.setState('idle');
          return;
        }
        const { store } = this.deps;
        const job = readJob(this.workDir);
        const parent = store.models.active();
        const metrics = {
          ...(result.metrics ?? {}),
          lexicon: result.lexicon,
          training: result.training,
          warnings: result.warnings,
          lossCurve: this.curve,
        };
        // A result is recorded once: if the app was killed after recording it but before forgetting the job,
        // the version it created is found again (by label and folder) instead of being created twice.
        const recorded = (dir: string) =>
          store.models.list().find((v) => v.label === result.label && v.dir === dir) ?? null;
        if (result.status === 'promoted' && result.outDir) {
          const version =
            recorded(result.outDir) ??
            store.models.create({
              label: result.label,
              dir: result.outDir,
              parentId: parent?.id ?? null,
              metrics,
              reason: result.reason,
            });
          await this.deps.models.activate(version, result.reason);
          const trained = new Set((job?.train ?? []).map((u) => u.id));
          const ids = store.corrections
            .pending()
            .filter((i) => trained.has(`segment-${i.segmentId}`))
            .flatMap((i) => i.correctionIds);
          if (ids.length > 0) store.corrections.markTrained(ids, version.id);
        } else {
          const dir = job?.outDir ?? join(this.modelsDir, result.label.replace(' ', '-'));
          if (!recorded(dir))
            store.models.create({
              label: result.label,
              dir,
              parentId: parent?.id ?? null,
              metrics,
              status: 'rejected',
              reason: result.reason,
            });
        }
        const user = result.metrics?.user;
        this.save({
          pendingAtLastRun: store.corrections.counts().pending,
          lastResult: {
            promoted: result.status === 'promoted',
            reason: result.reason,
            before: user?.before.wer ?? 0,
            after: user?.after.wer ?? 0,
          },
          lossCurve: this.curve,
        });
        killPoint('personal-training:recorded');
        removeFolder(this.workDir);
        this.progress = null;
        this.error = null;
        this.setState('idle');
      } catch (err) {
        this.fail(err);
      }
    })();
    // Cleared once done, not inside the body: a body that never awaits (a cancelled run) ends before the
    // assignment, and clearing there would leave `busy` true for good.
    this.finishing = finishing;
    void finishing.then(() => {
      if (this.finishing === finishing) this.finishing = null;
    });
  }

  // ── State ─────────────────────────────────────────────────────────────────────────────────────

  private setState(state: TrainingStatus['state']): void {
    this.state = state;
    this.lastEmit = Date.now();
    this.deps.emit(this.status());
  }

  private fail(err: unknown): void {
    this.error = err instanceof Error ? err.message : String(err);
    this.progress = null;
    this.setState('error');
  }

  private saved(): SavedState {
    const path = join(this.root, 'state.json');
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as SavedState;
    } catch {
      return { pendingAtLastRun: 0, lastResult: null };
    }
  }

  private save(state: SavedState): void {
    mkdirSync(this.root, { recursive: true });
    const path = join(this.root, 'state.json');
    writeJsonAtomic(path, state);
  }

  /**
   * Forgets a cancelled job, with the model folder it may have finished writing when it was ended (no
   * version names it yet).
   */
  private discardJob(): void {
    const job = readJob(this.workDir);
    if (job && !this.deps.store.models.list().some((v) => v.dir === job.outDir)) removeFolder(job.outDir);
    removeFolder(this.workDir);
  }
}
