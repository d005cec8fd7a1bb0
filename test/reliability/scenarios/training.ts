// Personal training killed at every stage: while it trains, while the guard measures the new model, while the
// model is saved, and while the app activates and records it. The app is the stand-in (app-child.ts: the app
// with a tiny base model and a training recipe sized for it). Stages inside the trainer's own work are
// power cuts (app, engine and trainer killed at once: the trainer is the process doing the work); the others
// kill the app alone, and its children must end by themselves. After each kill nothing the user corrected is
// lost and no half-saved model is visible; at the next start the interrupted job resumes, or is recorded
// from its result, or is reported — and a version is never recorded twice.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TrainingStatus } from '../../../src-main/ipc/contract.js';
import { readAudio } from '../../../src-main/speech/audio.js';
import { Store } from '../../../src-main/store/store.js';
import type { PersonalTrainingConfig } from '../../../src-main/personal/personal-training.js';
import { jobFolderProblem, readJob, readResult } from '../../../src-main/training/personalize.js';
import { type PersonalFixture, personalFixture, TINY_PERSONALIZE } from '../../training/personal-fixture.js';
import { killProblems, query, restartProblems } from '../app-checks.js';
import { launchApp, nextEvent, type RunningApp, withApp } from '../app-process.js';
import { type CrashScenario, type PointResult, sleep } from '../crash-scenario.js';
import { modelFolderProblems } from '../invariants.js';
import { seedDataFolder } from '../seed-data.js';

export interface TrainingCrashConfig {
  /** Optimizer steps of each job: with the tiny model about 20 ms each, so a job takes seconds. */
  steps: number; // 60
  /**
   * How long the guard is taken to last, in ms: a guard kill comes that far into it at the most. The tiny
   * model's guard takes some 40 ms here; a kill that comes after it lands in the save or the activation.
   */
  guardMs: number; // 60
  /** How long a stage may take to come, in ms. */
  stageTimeoutMs: number; // 120_000
}

export const DEFAULT_TRAINING_CRASH: TrainingCrashConfig = {
  steps: 60,
  guardMs: 60,
  stageTimeoutMs: 120_000,
};

const STAGES = ['training', 'guard', 'save', 'activation'] as const;
type Stage = (typeof STAGES)[number];

/**
 * The stand-in's training: TINY_PERSONALIZE cut short, and a guard that promotes whatever it measures, so that
 * every job goes on to the save and the activation (a rejection is recorded by the same step as a promotion,
 * where the activation's kill points stop it).
 */
function trainingConfig(steps: number): Partial<PersonalTrainingConfig> {
  return {
    personalize: {
      ...TINY_PERSONALIZE,
      steps,
      evalEvery: Math.max(5, Math.floor(steps / 3)),
      guard: { minUserWerGain: -100, replayMarginRelative: 0, replayMarginWer: 100 },
    },
    backend: 'wasm',
    threads: 1,
    progressIntervalMs: 0,
    // Each job also trains on what earlier ones learnt: a cap keeps the twentieth job as quick as the first.
    maxLearnt: 36,
  };
}

/** A dictated session of the user's clips, each corrected to what was said; returns the correction ids. */
async function addCorrections(dataDir: string, f: PersonalFixture): Promise<number[]> {
  const store = Store.open({ dataDir });
  try {
    const session = store.sessions.create({ title: 'Dictated', device: 'default' });
    const ids: number[] = [];
    for (const [i, u] of f.user.entries()) {
      const audio = await readAudio(u.audioPath);
      const seg = await store.appendSegment(
        session.id,
        { startMs: i * 3000, endMs: i * 3000 + Math.round(audio.durationSec * 1000), rawText: 'mumble' },
        { samples: audio.samples, sampleRate: 16000 },
      );
      ids.push(store.corrections.add(seg.id, u.text).id);
    }
    store.sessions.end(session.id);
    return ids;
  } finally {
    store.close();
  }
}

/**
 * The folder the next model save writes (personal-training.ts numbers versions one past any seen): the
 * unfinished job's on disk, else a new job's. A job whose result is on disk is recorded at the start without
 * saving again, and the job after it is the next to save.
 */
function nextOutName(dataDir: string): string {
  const workDir = join(dataDir, 'personal', 'job');
  const job = readJob(workDir);
  const jobName = job ? basename(job.outDir) : undefined;
  if (jobName && !readResult(workDir)) return jobName;
  const numbers = [
    ...query<{ label: string }>(dataDir, 'SELECT label FROM model_versions').map((v) => v.label),
    ...(existsSync(join(dataDir, 'models')) ? readdirSync(join(dataDir, 'models')) : []),
    ...(jobName ? [jobName] : []),
  ].map((name) => Number(/^personal[ -](\d+)$/.exec(name)?.[1] ?? 0));
  return `personal-${Math.max(0, ...numbers) + 1}`;
}

/**
 * Where a stage is caught: a named kill point, or a moment after an event. Sub-moment v ∈ [0, 1). The app's
 * own kill points are used only when the app cannot reach them while it starts (before it can be talked to):
 * it records a job's result at the start when one is on disk, and removes a job folder it cannot resume.
 */
function killPointFor(stage: Stage, v: number, dataDir: string): string | undefined {
  if (stage === 'save') return `save-model:written:${nextOutName(dataDir)}`;
  const workDir = join(dataDir, 'personal', 'job');
  const quietStart = jobFolderProblem(workDir) === null && readResult(workDir) === null;
  if (stage === 'activation' && v >= 1 / 3 && quietStart)
    return v < 2 / 3 ? 'personal-training:recorded' : 'remove-folder:aside:job';
  return undefined;
}

const busy = (s: TrainingStatus) => ['training', 'waiting', 'evaluating'].includes(s.state);
const ended = (s: TrainingStatus) => s.state === 'idle' || s.state === 'error';

export function trainingScenario(config: Partial<TrainingCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_TRAINING_CRASH, ...config };
  let f: PersonalFixture | null = null;
  let dir = '';
  let dataDir = '';
  const corrections: number[] = [];
  let points = 0;
  const standIn = () => ({ baseModelDir: f!.baseDir, training: trainingConfig(cfg.steps) });
  const jobDir = () => join(dataDir, 'personal', 'job');

  /** Waits for the stage's moment (at `killPoint` when given); returns what was seen when the moment came. */
  const stageMoment = async (
    app: RunningApp,
    stage: Stage,
    v: number,
    killPoint?: string,
  ): Promise<string> => {
    const timeout = cfg.stageTimeoutMs;
    const done = nextEvent(app.api, 'training.status', ended, timeout).then(
      (s) => `the job ended first (${s.state})`,
    );
    done.catch(() => {}); // it loses the race whenever the moment comes first
    if (killPoint) return Promise.race([app.reachedKillPoint.then(() => `at ${killPoint}`), done]);
    if (stage === 'training') {
      const s = await Promise.race([
        nextEvent(
          app.api,
          'training.status',
          (t) => t.progress?.phase === 'training' && t.progress.step >= 1,
          timeout,
        ),
        done,
      ]);
      if (typeof s === 'string') return s;
      const delayMs = v * s.progress!.etaSec * 1000;
      await sleep(delayMs);
      return `${(delayMs / 1000).toFixed(2)} s after step ${s.progress!.step} of ${s.progress!.steps}`;
    }
    const trigger =
      stage === 'guard'
        ? nextEvent(app.api, 'training.status', (t) => t.progress?.phase === 'evaluating', timeout)
        : nextEvent(app.api, 'models.changed', () => true, timeout);
    const seen = await Promise.race([trigger, done]);
    if (typeof seen === 'string') return seen;
    if (stage === 'activation') return 'as the new model was made active';
    const delayMs = v * cfg.guardMs;
    await sleep(delayMs);
    return `${delayMs.toFixed(0)} ms into the guard`;
  };

  /** After a restart: a job the kill left resumes, is recorded from its result, or is reported. */
  const resumedProblems = async (app: RunningApp, hadJob: boolean): Promise<string[]> => {
    if (!hadJob) return [];
    const deadline = Date.now() + 15_000;
    for (;;) {
      const s = await app.api.call('training.status', {});
      if (busy(s) || s.error !== null || !existsSync(jobDir())) return [];
      if (Date.now() > deadline)
        return [`the interrupted training job neither resumed nor was reported (state ${s.state})`];
      await sleep(200);
    }
  };

  /** Nothing the user corrected is lost; no version is recorded twice; no kill leftovers after a restart. */
  const storedProblems = (afterRestart: boolean): string[] => {
    const problems: string[] = [];
    const stored = new Set(query<{ id: number }>(dataDir, 'SELECT id FROM corrections').map((c) => c.id));
    const lost = corrections.filter((id) => !stored.has(id));
    if (lost.length > 0) problems.push(`corrections ${lost.join(', ')} are lost`);
    for (const twice of query<{ label: string }>(
      dataDir,
      'SELECT label FROM model_versions GROUP BY label HAVING count(*) > 1',
    ))
      problems.push(`model version "${twice.label}" is recorded more than once`);
    if (afterRestart) {
      problems.push(...modelFolderProblems(join(dataDir, 'models'), false));
      const trash = readdirSync(join(dataDir, 'personal')).filter((n) => /^job\.trash-/.test(n));
      if (trash.length > 0) problems.push(`the restart left ${trash.join(', ')} in personal/`);
    }
    return problems;
  };

  /** What a (re)started app must show: the model runs, a job left on disk resumed, nothing left over. */
  const startProblems = async (app: RunningApp, hadJob: boolean) => [
    ...(await restartProblems(app, dataDir)),
    ...(await resumedProblems(app, hadJob)),
    ...storedProblems(true),
  ];

  return {
    name: 'personal training',
    description:
      'personal training of a tiny model, killed while training, in the guard, saving or activating',
    async setup() {
      f = await personalFixture();
      dir = mkdtempSync(join(tmpdir(), 'attune-crash-training-'));
      dataDir = join(dir, 'data');
      mkdirSync(join(dataDir, 'personal'), { recursive: true });
      seedDataFolder(dataDir);
    },
    async point(v): Promise<PointResult> {
      // The stages in turn, so that a few points cover them all; the moment within each is random.
      const stage = STAGES[points++ % STAGES.length];
      const hadJob = existsSync(join(jobDir(), 'job.json'));
      const pending = query<{ n: number }>(
        dataDir,
        `SELECT count(*) AS n FROM corrections WHERE status = 'pending'`,
      );
      // Fresh corrections whenever none wait, and beside a job on disk: the corrections it trains on stay
      // pending until it is recorded, and when it finishes as it resumes the next job needs new ones.
      if (hadJob || (pending[0]?.n ?? 0) === 0) corrections.push(...(await addCorrections(dataDir, f!)));
      const killPoint = killPointFor(stage, v, dataDir);
      const app = await launchApp({ dataDir, standIn: standIn(), killPoint });
      return withApp(app, async () => {
        const problems = await startProblems(app, hadJob);
        // A job left on disk resumed by itself; otherwise training starts on the pending corrections.
        if (!busy(await app.api.call('training.status', {}))) await app.api.call('training.start', {});
        const seen = await stageMoment(app, stage, v, killPoint);
        const killed = await app.kill({ powerCut: stage === 'guard' || stage === 'save' });
        problems.push(...(await killProblems(killed, dataDir)), ...storedProblems(false));
        return { moment: `${stage}: ${seen}`, problems };
      });
    },
    async finish() {
      const hadJob = existsSync(join(jobDir(), 'job.json'));
      return withApp(await launchApp({ dataDir, standIn: standIn() }), async (app) => [
        ...(await startProblems(app, hadJob)),
        ...(await killProblems(await app.stop(), dataDir)),
      ]);
    },
    async close() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
