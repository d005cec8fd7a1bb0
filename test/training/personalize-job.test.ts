// A personal fine-tuning job's folder: the job, the record that training finished, the result, and
// which partial folders cannot be resumed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobFolderProblem,
  jobRunDir,
  type PersonalizeJob,
  type PersonalizeResult,
  readJob,
  readResult,
  readTrained,
  saveJob,
  type TrainingSummary,
  writeResult,
  writeTrained,
} from '../../src-main/training/personalize-job.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attune-personalize-job-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TRAINED: TrainingSummary = {
  steps: 40,
  bestStep: 25,
  stopped: 'early',
  recipe: 'corrections',
  speechSeconds: 12.5,
  userUtterances: 12,
  replayUtterances: 9,
};

function job(name: string): PersonalizeJob {
  return {
    workDir: join(root, name),
    parentDir: join(root, 'base'),
    outDir: join(root, `${name}-out`),
    label: 'personal 1',
    train: [{ id: 'a', speaker: '1', text: 'hello world', audioPath: '/clips/a.wav' }],
    heldOut: [],
    config: { steps: 10 },
  };
}

describe('job folder', () => {
  it('keeps the job, the record of finished training and the result', () => {
    const j = job('round-trip');
    expect(readJob(j.workDir)).toBeNull();
    expect(readTrained(j.workDir)).toBeNull();
    expect(readResult(j.workDir)).toBeNull();
    saveJob(j);
    expect(readJob(j.workDir)).toEqual(j);
    writeTrained(j.workDir, TRAINED);
    expect(readTrained(j.workDir)).toEqual(TRAINED);
    const result: PersonalizeResult = {
      status: 'rejected',
      reason: 'kept the current model',
      outDir: null,
      label: j.label,
      metrics: null,
      lexicon: null,
      training: { ...TRAINED, kept: 1 },
      skipped: [],
      warnings: [],
    };
    writeResult(j.workDir, result);
    expect(readResult(j.workDir)).toEqual(result);
    expect(jobRunDir(j.workDir)).toBe(join(j.workDir, 'run'));
  });

  it('names an unreadable job or result', () => {
    const j = job('garbled');
    mkdirSync(j.workDir, { recursive: true });
    writeFileSync(join(j.workDir, 'job.json'), '{"workDir":');
    writeFileSync(join(j.workDir, 'result.json'), 'not json');
    expect(() => readJob(j.workDir)).toThrow(/job\.json: not a readable training job/);
    expect(() => readResult(j.workDir)).toThrow(/result\.json: not a readable training result/);
  });
});

describe('jobFolderProblem', () => {
  it('has none without a folder, for a fresh job, and for a finished one', () => {
    expect(jobFolderProblem(join(root, 'absent'))).toBeNull();
    const j = job('fresh');
    saveJob(j);
    expect(jobFolderProblem(j.workDir)).toBeNull();
    writeResult(j.workDir, { status: 'cancelled' } as PersonalizeResult);
    expect(jobFolderProblem(j.workDir)).toBeNull();
  });

  it('refuses a folder without its job, or with an unreadable one', () => {
    const bare = join(root, 'bare');
    mkdirSync(bare, { recursive: true });
    expect(jobFolderProblem(bare)).toBe('job.json is missing');
    writeFileSync(join(bare, 'job.json'), '[');
    expect(jobFolderProblem(bare)).toMatch(/not a readable training job/);
  });

  it('refuses finished training without its best model, and an incomplete checkpoint', () => {
    const j = job('partial');
    saveJob(j);
    writeTrained(j.workDir, TRAINED);
    expect(jobFolderProblem(j.workDir)).toMatch(/trained\.json says training finished, but its best model/);

    const k = job('half-checkpoint');
    saveJob(k);
    const checkpoint = join(jobRunDir(k.workDir), 'checkpoint');
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(checkpoint, 'trainer.json'), '{"step":5}');
    expect(jobFolderProblem(k.workDir)).toBe('its training checkpoint (run/checkpoint) is incomplete');
  });
});
