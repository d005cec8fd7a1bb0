// The last phase of personal fine-tuning alone: the job's result, and the promoted model folder with what
// it records of itself (the fixture's tiny base model stands in for a promoted one).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import type { GuardMetrics, GuardVerdict } from '../../src-main/training/guard.js';
import { DEFAULT_PERSONALIZE } from '../../src-main/training/personalize-config.js';
import type { PersonalizeJob, TrainingSummary } from '../../src-main/training/personalize-job.js';
import {
  cancelledResult,
  judgedResult,
  personalModelInfo,
  savePersonalModel,
} from '../../src-main/training/personalize-save.js';
import { useBackend } from './helpers-tf.js';
import { personalFixture } from './personal-fixture.js';

let root: string;
let baseDir: string;
let parent: ModelFolder;

beforeAll(async () => {
  await useBackend('wasm');
  baseDir = (await personalFixture()).baseDir;
  parent = loadModelFolder(baseDir);
  root = mkdtempSync(join(tmpdir(), 'attune-personalize-save-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TRAINED: TrainingSummary = {
  steps: 150,
  bestStep: 125,
  stopped: 'finished',
  recipe: 'corrections',
  speechSeconds: 14.2,
  userUtterances: 12,
  replayUtterances: 9,
};

const score = (wer: number) => ({ wer, cer: wer / 2, utterances: 6 });
const METRICS: GuardMetrics = {
  decoding: 'greedy',
  user: { before: score(0.7), after: score(0.5) },
  replay: { before: score(0.2), after: score(0.21), base: score(0.2) },
};
const MIX = {
  skipped: [{ id: 'lost', reason: 'nowhere.wav: no such file' }],
  warnings: ['no replay set'],
};

function job(name: string): PersonalizeJob {
  return {
    workDir: join(root, name, 'job'),
    parentDir: baseDir,
    outDir: join(root, name, 'personal-2'),
    label: 'personal 2',
    train: [],
    heldOut: [],
  };
}

function judgement(promoted: boolean, kept = 0.8) {
  const verdict: GuardVerdict = {
    promoted,
    reason: promoted ? 'promoted: …' : 'kept …',
    forgot: false,
    metrics: METRICS,
  };
  return { verdict, kept, lexicon: null, warnings: ['measured without the language model: gone'] };
}

describe('the job’s result', () => {
  it('of a cancelled job keeps the current model and says so', () => {
    const j = job('cancelled');
    const training = { ...TRAINED, steps: 40, stopped: 'cancelled' as const };
    expect(cancelledResult(j, MIX, training)).toEqual({
      status: 'cancelled',
      reason: 'training was cancelled; the current model stays',
      outDir: null,
      label: 'personal 2',
      metrics: null,
      lexicon: null,
      training,
      skipped: MIX.skipped,
      warnings: MIX.warnings,
    });
  });

  it('of a judged job carries the verdict, the share kept and every warning', () => {
    const j = job('judged');
    const promoted = judgedResult(j, MIX, TRAINED, judgement(true));
    expect(promoted).toEqual({
      status: 'promoted',
      reason: 'promoted: …',
      outDir: j.outDir,
      label: 'personal 2',
      metrics: METRICS,
      lexicon: null,
      training: { ...TRAINED, kept: 0.8 },
      skipped: MIX.skipped,
      warnings: ['no replay set', 'measured without the language model: gone'],
    });
    const rejected = judgedResult(j, MIX, TRAINED, judgement(false, 0.6));
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'kept …', outDir: null });
    expect(rejected.training.kept).toBe(0.6);
  });
});

describe('the promoted model', () => {
  it('records its version, parent, the guard’s numbers and how it was trained', () => {
    const config = { ...DEFAULT_PERSONALIZE, learningRate: 1e-3, anchorDecay: 0 };
    const training = { ...TRAINED, kept: 0.8 };
    expect(personalModelInfo(job('info'), config, METRICS, training)).toEqual({
      version: 'personal 2',
      parent: baseDir,
      metrics: METRICS,
      training: {
        kind: 'personal',
        ...training,
        learningRate: 1e-3,
        anchorDecay: 0,
        adaptSubsampling: true,
        adaptFirstBlocks: 4,
        adaptBlocks: 0,
      },
    });
  });

  it('is written as a model folder with that record, the weights given, and the parent’s front end', () => {
    const j = job('saved');
    const result = judgedResult(j, MIX, TRAINED, judgement(true));
    const model = loadCheckpointModel(parent);
    try {
      savePersonalModel(j, parent, model, DEFAULT_PERSONALIZE, result);
    } finally {
      model.dispose();
    }
    const saved = loadModelFolder(j.outDir);
    expect(saved.info).toMatchObject(personalModelInfo(j, DEFAULT_PERSONALIZE, METRICS, result.training));
    expect(saved.info.createdAt).toEqual(expect.any(String));
    expect(saved.features).toEqual(parent.features);
    expect(saved.alphabet).toEqual(parent.alphabet);
    for (const [name, w] of parent.weights) expect(saved.weights.get(name), name).toEqual(w);
  });

  it('keeps the word search’s weights tuned to the voice, and its result says what they did', () => {
    const j = job('tuned');
    const decoding = {
      logPriors: new Float32Array(parent.alphabet.size).fill(-1.5),
      priorScale: 0.6,
      lmWeight: 1.6,
      wordBonus: 0,
      source:
        "priors over 3 frames; prior scale and LM weight tuned on 21 held-back clips of the user's voice",
    };
    const tune = { decoding, before: 0.531, after: 0.497, clips: 21, words: 290 };
    const result = judgedResult(j, MIX, TRAINED, { ...judgement(true), decodingTune: tune });
    expect(result.reason).toBe(
      'promoted: …; word search tuned to your voice: prior scale 0.6, LM weight 1.6 (word errors on your held-back corrections 53.1% → 49.7%)',
    );
    expect(judgedResult(j, MIX, TRAINED, { ...judgement(false), decodingTune: tune }).reason).toBe('kept …');
    const model = loadCheckpointModel(parent);
    try {
      savePersonalModel(j, parent, model, DEFAULT_PERSONALIZE, result, decoding);
    } finally {
      model.dispose();
    }
    expect(loadModelFolder(j.outDir).alphabet.decoding).toEqual(decoding);
  });

  it('is not written for a result that was not promoted', () => {
    const j = job('not-saved');
    const model = loadCheckpointModel(parent);
    try {
      const rejected = judgedResult(j, MIX, TRAINED, judgement(false));
      expect(() => savePersonalModel(j, parent, model, DEFAULT_PERSONALIZE, rejected)).toThrow(
        /only a promoted model is saved/,
      );
    } finally {
      model.dispose();
    }
    expect(existsSync(j.outDir)).toBe(false);
  });
});
