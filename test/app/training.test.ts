// Personal training in the running app: corrections of the user's clips start fine-tuning by themselves,
// the trainer process reports progress, holds while the user dictates, and its model is measured, made
// active and swapped into the engine; rollback, cancellation and a killed app resuming its job.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src-main/app/app.js';
import type { MethodArgs, MethodName, MethodResults, TrainingStatus } from '../../src-main/ipc/contract.js';
import { BASE_LM_PATH } from '../../src-main/model/paths.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { readJob } from '../../src-main/training/personalize.js';
import type { SourceUtterance } from '../../src-main/training/prepare.js';
import { type FifoMic, startFifoMic } from '../engine/fifo-mic.js';
import { type PersonalFixture, personalFixture, TINY_PERSONALIZE } from '../training/personal-fixture.js';
import { startTestApp, type TestApp } from './app-helpers.js';

let f: PersonalFixture;
let t: TestApp;
let app: App;
let mic: FifoMic;
const statuses: TrainingStatus[] = [];

/** The tiny model forgets more general speech than the shipped margin allows: a margin it can meet. */
const TRAINING = {
  personalize: {
    ...TINY_PERSONALIZE,
    guard: { minUserWerGain: 0, replayMarginRelative: 0, replayMarginWer: 0.5 },
  },
  backend: 'wasm',
  threads: 1,
  progressIntervalMs: 0,
};

function call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]> {
  return app.router.call(method, args) as Promise<MethodResults[M]>;
}

function listen(a: App): void {
  a.router.events.on('training.status', (s: TrainingStatus) => statuses.push(s));
}

/** Waits for the run going on now to end (an idle status after a busy one), up to `ms`. */
async function runEnds(ms = 90_000): Promise<TrainingStatus> {
  const from = statuses.length;
  await expect
    .poll(() => statuses.slice(from).some((s) => s.state === 'idle' || s.state === 'error'), {
      timeout: ms,
      interval: 100,
    })
    .toBe(true);
  return statuses.slice(from).find((s) => s.state === 'idle' || s.state === 'error')!;
}

/** One session of segments, each with a user clip as its audio; returns the segment ids. */
async function record(clips: SourceUtterance[]): Promise<number[]> {
  const { store } = app;
  const session = store.sessions.create({ title: 'Dictated', device: 'default' });
  const ids: number[] = [];
  for (const [i, u] of clips.entries()) {
    const audio = await readAudio(u.audioPath);
    const seg = await store.appendSegment(
      session.id,
      { startMs: i * 3000, endMs: i * 3000 + Math.round(audio.durationSec * 1000), rawText: 'mumble' },
      { samples: audio.samples, sampleRate: 16000 },
    );
    ids.push(seg.id);
  }
  store.sessions.end(session.id);
  return ids;
}

/** Corrects each segment to the clip's true text. */
async function correct(ids: number[], clips: SourceUtterance[]): Promise<void> {
  for (const [i, id] of ids.entries()) await call('segments.correct', { segmentId: id, text: clips[i].text });
}

beforeAll(async () => {
  f = await personalFixture();
  mic = startFifoMic();
  // The shipped English language model: the guard decodes as dictation does, and the test app's own tiny LM
  // knows none of the user's words.
  t = await startTestApp({
    baseModelDir: f.baseDir,
    training: TRAINING,
    capture: { env: mic.env },
    languageModel: BASE_LM_PATH,
  });
  app = t.app;
  listen(app);
}, 120_000);

afterAll(async () => {
  await t?.close();
  mic?.close();
});

describe('personal training in the app', () => {
  it('starts by itself after N corrections, then uses the better model it proved', async () => {
    await call('settings.set', { patch: { autoTrainAfter: 18 } });
    const ids = await record(f.user);
    await correct(ids.slice(0, 17), f.user.slice(0, 17));
    expect(app.training.busy).toBe(false);
    expect((await call('training.status', {})).pendingCorrections).toBe(17);

    await correct(ids.slice(17), f.user.slice(17));
    expect(app.training.busy).toBe(true);
    const end = await runEnds();
    expect(end.error).toBeNull();
    expect(end.lastResult).toMatchObject({ promoted: true });
    expect(end.lastResult!.after).toBeLessThan(end.lastResult!.before);
    console.log(`app: ${end.lastResult!.reason}`);

    // Progress came over the contract: steps, loss and ETA, then measuring.
    const training = statuses.filter((s) => s.state === 'training' && s.progress?.phase === 'training');
    expect(training.length).toBeGreaterThan(10);
    expect(training.every((s) => s.progress!.loss > 0 && s.progress!.etaSec >= 0)).toBe(true);
    expect(statuses.some((s) => s.state === 'evaluating')).toBe(true);

    // The loss curve came with the status: every step's loss, in order; it stays as the last run's.
    const curve = end.lossCurve!;
    expect(curve).toEqual(
      training
        .map((s) => ({ step: s.progress!.step, loss: s.progress!.loss }))
        .filter((p, i, all) => i === 0 || p.step !== all[i - 1].step),
    );
    expect(curve.length).toBeGreaterThan(10);
    expect((await call('training.status', {})).lossCurve).toEqual(curve);

    // The new version is active, in the store and in the engine, with its metrics.
    const [v] = await call('models.list', {});
    expect(v).toMatchObject({
      label: 'personal 1',
      status: 'active',
      dir: join(t.dataDir, 'models', 'personal-1'),
    });
    expect(v.reason).toMatch(/^promoted: /);
    expect(v.metrics).toMatchObject({
      user: { before: { utterances: 4 } },
      training: { userUtterances: 14 },
    });
    expect(v.metrics.lossCurve).toEqual(curve);
    expect((await call('system.info', {})).model).toMatchObject({ label: 'personal 1', dir: v.dir });
    expect(app.store.corrections.counts()).toEqual({ pending: 0, trained: 14, 'held-out': 4 });
    expect(existsSync(join(t.dataDir, 'personal', 'job'))).toBe(false);

    // The corrections' new words went into the personal lexicon, whose effect was measured on its own.
    expect(app.training.lexicon()).toEqual(
      expect.arrayContaining(['hello', 'world', 'morning', 'door', 'thank', 'later']),
    );
    expect(app.training.lexicon()).not.toContain('mumble');
    expect(v.metrics.lexicon).toMatchObject({
      words: app.training.lexicon().length,
      greedy: { utterances: 4 },
    });

    // Nothing new to learn from: refused, with why.
    await expect(call('training.start', {})).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: 'there are no new corrections with audio to learn from',
    });

    // Rollback and back again are instant model swaps.
    expect(await call('models.resetToBase', {})).toMatchObject({ label: 'base', status: 'active' });
    expect(app.models.runningDir).toBe(f.baseDir);
    expect(await call('models.activate', { id: v.id })).toMatchObject({ status: 'active' });
    expect(app.models.runningDir).toBe(v.dir);
  }, 180_000);

  it('holds while the user dictates and goes on afterwards; cancelling leaves nothing behind', async () => {
    const clips = f.user.slice(0, 6);
    await correct(await record(clips), clips);
    const started = await call('dictation.start', {});
    expect(started.state).toBe('listening');
    const from = statuses.length;
    // The user's choice of how much it may forget other voices is the guard's margin for this job.
    await call('settings.set', { patch: { replayMargin: 0.25 } });
    const status = await call('training.start', {});
    expect(status.state).toBe('waiting');
    expect(readJob(join(t.dataDir, 'personal', 'job'))!.config!.guard!.replayMarginRelative).toBe(0.25);
    await mic.silence(2500);
    expect(statuses.at(-1)!.state).toBe('waiting');
    expect(statuses.slice(from).filter((s) => (s.progress?.step ?? 0) > 0)).toHaveLength(0);
    await call('dictation.stop', {});
    await expect.poll(() => statuses.at(-1)?.progress?.step ?? 0, { timeout: 60_000 }).toBeGreaterThan(5);

    const versions = (await call('models.list', {})).length;
    const cancelled = await call('training.cancel', {});
    expect(cancelled.state).toBe('idle');
    expect(cancelled.progress).toBeNull();
    expect(existsSync(join(t.dataDir, 'personal', 'job'))).toBe(false);
    expect(readdirSync(join(t.dataDir, 'models'))).toEqual(['personal-1']);
    expect(await call('models.list', {})).toHaveLength(versions);
    expect(app.store.corrections.counts().pending).toBeGreaterThan(0);
  }, 120_000);

  it('says when the trainer process crashed, keeps its job, and resumes it from its checkpoint', async () => {
    // The corrections the last test left pending make the job; its cancelled run must not block this one.
    await call('training.start', {});
    await expect.poll(() => statuses.at(-1)?.progress?.step ?? 0, { timeout: 60_000 }).toBeGreaterThan(30);
    const trainers = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'trainer-process'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(Number);
    expect(trainers).toHaveLength(1);
    process.kill(trainers[0], 'SIGKILL');
    const crashed = await runEnds();
    expect(crashed.state).toBe('error');
    expect(crashed.error).toMatch(
      /^the trainer stopped unexpectedly \(.+\); start training again to resume$/,
    );
    expect(existsSync(join(t.dataDir, 'personal', 'job', 'job.json'))).toBe(true);

    const from = statuses.length;
    await call('training.start', {});
    await expect
      .poll(() => statuses.slice(from).find((s) => s.progress?.phase === 'training' && s.progress.step > 0), {
        timeout: 60_000,
      })
      .toBeDefined();
    const first = statuses.slice(from).find((s) => s.progress?.phase === 'training' && s.progress.step > 0)!;
    expect(first.progress!.step).toBeGreaterThan(25); // from the checkpoint, not from the start
    expect(first.error).toBeNull();
    expect((await call('training.cancel', {})).state).toBe('idle');
  }, 120_000);

  it('resumes a job after the app was closed mid-run, and records a rejected model with its reason', async () => {
    // A reckless learning rate: whatever it makes must not replace the current model.
    await app.close();
    app = await startApp({
      dataDir: t.dataDir,
      baseModelDir: f.baseDir,
      backend: 'wasm',
      training: { ...TRAINING, personalize: { ...TRAINING.personalize, learningRate: 0.5, warmupSteps: 1 } },
    });
    listen(app);
    // The user fixes the text of a held-back segment again: that fix is held back too, never learnt.
    const held = app.store.corrections.heldOut()[0];
    await call('segments.correct', { segmentId: held.segmentId, text: `${held.text} again` });
    await call('training.start', {});
    expect(app.store.corrections.pending().map((i) => i.segmentId)).not.toContain(held.segmentId);
    // The job learns the new clips and, again, those personal 1 learnt; never a held-back one.
    const job = readJob(join(t.dataDir, 'personal', 'job'))!;
    const trainIds = new Set(job.train.map((u) => u.id));
    const learnt = app.store.corrections.learnt();
    expect(learnt).toHaveLength(14);
    for (const i of learnt) expect(trainIds.has(`segment-${i.segmentId}`)).toBe(true);
    for (const i of app.store.corrections.heldOut())
      expect(trainIds.has(`segment-${i.segmentId}`)).toBe(false);
    expect(job.train.length).toBeGreaterThan(learnt.length);
    await expect.poll(() => statuses.at(-1)?.progress?.step ?? 0, { timeout: 60_000 }).toBeGreaterThan(30);
    await app.close();
    expect(existsSync(join(t.dataDir, 'personal', 'job', 'job.json'))).toBe(true);

    const from = statuses.length;
    app = await startApp({
      dataDir: t.dataDir,
      baseModelDir: f.baseDir,
      backend: 'wasm',
      training: TRAINING,
    });
    listen(app);
    const end = await runEnds();
    const steps = statuses
      .slice(from)
      .flatMap((s) => (s.progress?.phase === 'training' ? [s.progress.step] : []));
    expect(steps[0]).toBeGreaterThan(25); // from the checkpoint, not from the start
    expect(end.lastResult).toMatchObject({ promoted: false });
    expect(end.lastResult!.reason).toMatch(/^kept the current model: /);
    const [rejected, ...rest] = await call('models.list', {});
    expect(rejected).toMatchObject({
      label: 'personal 2',
      status: 'rejected',
      reason: end.lastResult!.reason,
    });
    expect(rest.find((v) => v.status === 'active')?.label).toBe('personal 1');
    expect(app.models.runningDir).toBe(join(t.dataDir, 'models', 'personal-1'));
    expect(existsSync(rejected.dir)).toBe(false);
    await app.close();
  }, 180_000);
});
