// The first phase of personal fine-tuning alone: the user's clips (held-back ones apart) and replayed
// speech of the base model, mixed for training on the fixture's tiny base model.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFolder } from '../../src-main/model/checkpoint.js';
import { DEFAULT_PERSONALIZE } from '../../src-main/training/personalize-config.js';
import type { PersonalizeJob } from '../../src-main/training/personalize-job.js';
import { buildTrainingMix, pickReplay } from '../../src-main/training/personalize-mix.js';
import type { SourceUtterance } from '../../src-main/training/prepare.js';
import { REPLAY_FOLDER, type ReplaySet } from '../../src-main/training/replay.js';
import {
  fixtureBaseModel,
  type PersonalFixture,
  personalFixture,
  TINY_PERSONALIZE,
} from './personal-fixture.js';

let f: PersonalFixture;
let root: string;
let parent: ModelFolder;
let replay: ReplaySet;
let train: SourceUtterance[];
let heldOut: SourceUtterance[];

beforeAll(async () => {
  f = await personalFixture();
  ({ folder: parent, replay } = await fixtureBaseModel());
  root = mkdtempSync(join(tmpdir(), 'attune-personalize-mix-'));
  train = f.user.filter((u) => !u.id.startsWith('201-3-'));
  heldOut = f.user.filter((u) => u.id.startsWith('201-3-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function job(patch: Partial<PersonalizeJob> = {}): PersonalizeJob {
  return {
    workDir: join(root, 'job'),
    parentDir: f.baseDir,
    outDir: join(root, 'out'),
    label: 'personal 1',
    train,
    heldOut,
    config: TINY_PERSONALIZE,
    ...patch,
  };
}

const ids = (set: { items: readonly { id: string }[] }) => set.items.map((it) => it.id);

describe('buildTrainingMix', () => {
  it('trains on the user’s clips followed by replay, and holds back the rest for the guard', async () => {
    const mix = await buildTrainingMix(job(), parent);
    expect(ids(mix.user)).toEqual(train.map((u) => u.id));
    expect(ids(mix.heldOut)).toEqual(heldOut.map((u) => u.id));
    // Two replay clips per correction and at least 40 wanted: the fixture's whole training part.
    expect(ids(mix.replay)).toEqual(ids(replay.train));
    expect(ids(mix.replayEval!)).toEqual(ids(replay.eval));
    expect(ids(mix.train)).toEqual([...ids(mix.user), ...ids(mix.replay)]);
    expect(mix.train.bins).toBe(parent.acoustic.featureBins);
    // A dozen short clips: the corrections recipe, with the job's own settings over the defaults.
    expect(mix.recipe).toBe('corrections');
    expect(mix.speechSeconds).toBeCloseTo(mix.user.totalFrames / 100, 9);
    expect(mix.config).toEqual({ ...DEFAULT_PERSONALIZE, ...TINY_PERSONALIZE });
    expect(mix.skipped).toEqual([]);
    expect(mix.warnings).toEqual([]);
  });

  it('mixes in replayRatio replay clips per correction, at least minReplay', async () => {
    const few = { ...TINY_PERSONALIZE, replayRatio: 0.25, minReplay: 0 };
    expect((await buildTrainingMix(job({ config: few }), parent)).replay.items).toHaveLength(3); // ⌈0.25 × 12⌉
    const floor = await buildTrainingMix(job({ config: { ...few, minReplay: 5 } }), parent);
    expect(floor.replay.items).toHaveLength(5);
    // The guard's part is split off by replayEvalEvery, whatever is trained on.
    const thirds = await buildTrainingMix(job({ config: { ...few, replayEvalEvery: 3 } }), parent);
    const all = replay.train.items.length + replay.eval.items.length;
    expect(thirds.replayEval!.items).toHaveLength(Math.floor(all / 3));
  });

  it('leaves out clips it cannot read, and says which', async () => {
    const lost = { id: 'lost', speaker: '201', text: 'hello', audioPath: join(root, 'nowhere.wav') };
    const mix = await buildTrainingMix(
      job({ train: [...train, lost], heldOut: [{ ...lost, id: 'lost-too' }, ...heldOut] }),
      parent,
    );
    expect(mix.skipped.map((s) => s.id)).toEqual(['lost', 'lost-too']);
    expect(mix.skipped[0].reason).toContain('nowhere.wav');
    expect(ids(mix.user)).toEqual(train.map((u) => u.id));
    expect(ids(mix.heldOut)).toEqual(heldOut.map((u) => u.id));
  });

  it('refuses a job without a usable training clip, or with settings that cannot run', async () => {
    const lost = { id: 'lost', speaker: '201', text: 'hello', audioPath: join(root, 'nowhere.wav') };
    await expect(buildTrainingMix(job({ train: [lost] }), parent)).rejects.toThrow(
      'no usable training clips (1 given, 1 unreadable)',
    );
    await expect(
      buildTrainingMix(job({ config: { ...TINY_PERSONALIZE, backOff: [] } }), parent),
    ).rejects.toThrow(/needs at least one share/);
  });

  it('trains on the user’s clips alone when the model has no replay set, and says so', async () => {
    const bare = join(root, 'bare-base');
    cpSync(f.baseDir, bare, { recursive: true });
    rmSync(join(bare, REPLAY_FOLDER), { recursive: true });
    const mix = await buildTrainingMix(job({ parentDir: bare }), parent);
    expect(mix.replay.items).toHaveLength(0);
    expect(mix.replayEval).toBeNull();
    expect(ids(mix.train)).toEqual(ids(mix.user));
    expect(mix.warnings).toHaveLength(1);
    expect(mix.warnings[0]).toMatch(/has no replay set/);
    // A personal model without its own replay set uses its base model's.
    const withBase = await buildTrainingMix(job({ parentDir: bare, replayDir: f.baseDir }), parent);
    expect(ids(withBase.replay)).toEqual(ids(replay.train));
    expect(withBase.warnings).toEqual([]);
  });
});

describe('pickReplay', () => {
  const config = { replayRatio: 0.5, minReplay: 0, seed: 1 };

  it('picks a seeded subset in the set’s own order, the same again for the same seed', () => {
    const picked = pickReplay(replay.train, 8, config);
    expect(picked.items).toHaveLength(4);
    const at = picked.items.map((it) => replay.train.items.indexOf(it));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(ids(pickReplay(replay.train, 8, config))).toEqual(ids(picked));
    // Other seeds choose other subsets.
    const others = [2, 3, 4, 5].map((seed) => ids(pickReplay(replay.train, 8, { ...config, seed })).join());
    expect(others.some((o) => o !== ids(picked).join())).toBe(true);
  });

  it('takes at least minReplay, and never more than the set has', () => {
    expect(pickReplay(replay.train, 2, { ...config, minReplay: 6 }).items).toHaveLength(6);
    expect(pickReplay(replay.train, 100, config).items).toHaveLength(replay.train.items.length);
    expect(pickReplay(replay.train, 0, config).items).toHaveLength(0);
  });
});
