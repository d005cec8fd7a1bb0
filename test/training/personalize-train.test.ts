// The fine-tuning phase of personal fine-tuning alone: the training loop's settings, its progress, and a
// short real run on the fixture's tiny base model that is cancelled, resumed and recorded in the job folder.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModelFolder, loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { DEFAULT_OPTIMIZER } from '../../src-main/training/optimizer.js';
import {
  adaptedParameters,
  DEFAULT_PERSONALIZE,
  type PersonalizeConfig,
} from '../../src-main/training/personalize-config.js';
import {
  type PersonalizeJob,
  type PersonalizeProgress,
  readTrained,
} from '../../src-main/training/personalize-job.js';
import { buildTrainingMix, type TrainingMix } from '../../src-main/training/personalize-mix.js';
import { fineTune, fineTuneConfig, trainingProgress } from '../../src-main/training/personalize-train.js';
import type { TrainEvent } from '../../src-main/training/train.js';
import { useBackend } from './helpers-tf.js';
import { type PersonalFixture, personalFixture, TINY_PERSONALIZE } from './personal-fixture.js';

let f: PersonalFixture;
let root: string;
let parent: ModelFolder;

beforeAll(async () => {
  await useBackend('wasm');
  f = await personalFixture();
  parent = loadModelFolder(f.baseDir);
  root = mkdtempSync(join(tmpdir(), 'attune-personalize-train-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHORT: Partial<PersonalizeConfig> = { ...TINY_PERSONALIZE, steps: 10, evalEvery: 5 };

function job(name: string): PersonalizeJob {
  return {
    workDir: join(root, name),
    parentDir: f.baseDir,
    outDir: join(root, `${name}-out`),
    label: 'personal 1',
    train: f.user.filter((u) => !u.id.startsWith('201-3-')),
    heldOut: f.user.filter((u) => u.id.startsWith('201-3-')),
    config: SHORT,
  };
}

function logOf(workDir: string): TrainEvent[] {
  return readFileSync(join(workDir, 'run', 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrainEvent);
}

function stepEvent(step: number, stepSeconds: number): TrainEvent {
  return {
    type: 'step',
    step,
    steps: 100,
    loss: 1 / step,
    learningRate: 1e-3,
    gradNorm: 1,
    audioSeconds: 10,
    stepSeconds,
    infeasible: 0,
  };
}

describe('fineTuneConfig', () => {
  it('trains only the adapted layers from the parent, anchored to it and without weight decay', () => {
    const cfg = { ...DEFAULT_PERSONALIZE, steps: 120, evalEvery: 20, anchorDecay: 30 };
    const t = fineTuneConfig('/jobs/1/run', '/models/base', parent, cfg, 2);
    expect(t).toMatchObject({
      runDir: '/jobs/1/run',
      initFrom: '/models/base',
      acoustic: parent.acoustic,
      batches: cfg.batches,
      augment: cfg.augment,
      steps: 120,
      evalEvery: 20,
      checkpointEvery: 20,
      devUtterances: cfg.devUtterances,
      seed: cfg.seed,
      patience: cfg.patience,
      threads: 2,
    });
    expect(t.optimizer).toEqual({
      ...DEFAULT_OPTIMIZER,
      learningRate: cfg.learningRate,
      warmupSteps: cfg.warmupSteps,
      decay: 'constant',
      totalSteps: 120,
      weightDecay: 0,
      anchorDecay: 30,
    });
    const adapted = adaptedParameters(parent.acoustic.blocks, cfg);
    for (const name of parent.weights.keys()) expect(t.trainable!(name), name).toBe(adapted(name));
  });
});

describe('trainingProgress', () => {
  it('reports each step with the time left at the pace of the last ten steps', () => {
    const seen: PersonalizeProgress[] = [];
    const onEvent = trainingProgress((p) => seen.push(p));
    onEvent({ type: 'eval', step: 0, wer: 1, cer: 1, best: true });
    onEvent(stepEvent(1, 4));
    onEvent(stepEvent(2, 2));
    expect(seen).toEqual([
      { phase: 'training', step: 1, steps: 100, loss: 1, etaSec: 396 },
      { phase: 'training', step: 2, steps: 100, loss: 0.5, etaSec: 294 }, // 3 s a step, 98 to go
    ]);
    for (let s = 3; s <= 12; s++) onEvent(stepEvent(s, 1));
    // Steps 3–12 took 1 s each: the slow first two no longer count.
    expect(seen.at(-1)).toMatchObject({ step: 12, etaSec: 88 });
  });
});

describe('fineTune', () => {
  let mix: TrainingMix;
  beforeAll(async () => {
    mix = await buildTrainingMix(job('mix'), parent);
  });

  it('trains, keeps the best model, and records that training finished', async () => {
    const j = job('finish');
    const progress: PersonalizeProgress[] = [];
    const trained = await fineTune(j, parent, mix, { onProgress: (p) => progress.push(p) });
    expect(trained).toEqual({
      steps: 10,
      bestStep: trained.bestStep,
      stopped: 'finished',
      userUtterances: 12,
      replayUtterances: mix.replay.items.length,
      recipe: 'corrections',
      speechSeconds: mix.speechSeconds,
    });
    expect([5, 10]).toContain(trained.bestStep);
    expect(readTrained(j.workDir)).toEqual(trained);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((p) => p.phase === 'training' && p.steps === 10 && p.loss > 0)).toBe(true);
    // The best model moved only in the adapted layers.
    const best = loadModelFolder(join(j.workDir, 'run', 'best'));
    const adapted = adaptedParameters(parent.acoustic.blocks, mix.config);
    for (const [name, w] of parent.weights) {
      const same = w.every((x, i) => x === best.weights.get(name)![i]);
      expect(same, name).toBe(!adapted(name));
    }
  }, 60_000);

  it('records nothing when cancelled, and resumes from its checkpoint', async () => {
    const j = job('cancel');
    const controller = new AbortController();
    const cancelled = await fineTune(j, parent, mix, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort();
      },
    });
    expect(cancelled).toMatchObject({ steps: 3, stopped: 'cancelled' });
    expect(readTrained(j.workDir)).toBeNull();
    expect(existsSync(join(j.workDir, 'run', 'checkpoint', 'trainer.json'))).toBe(true);

    const resumed = await fineTune(j, parent, mix);
    expect(resumed).toMatchObject({ steps: 10, stopped: 'finished' });
    expect(readTrained(j.workDir)).toEqual(resumed);
    expect(isModelFolder(join(j.workDir, 'run', 'best'))).toBe(true);
    const starts = logOf(j.workDir).filter((e) => e.type === 'start');
    expect(starts.map((e) => e.type === 'start' && [e.step, e.resumed])).toEqual([
      [0, false],
      [3, true],
    ]);
  }, 60_000);
});
