// Changing a trained model's output frame rate: every weight kept, the strides and what follows from them
// (output length, look-ahead) changed, and train() starting from it at the new rate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelFolder, saveModelFolder } from '../../src-main/model/checkpoint.js';
import { lookAheadMs, outputFrameMs, outputFrames } from '../../src-main/model/config.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import { reshapeModel } from '../../src-main/model/reshape.js';
import { restrideModel } from '../../src-main/model/restride.js';
import type { ReplaySet } from '../../src-main/training/replay.js';
import { train } from '../../src-main/training/train.js';
import { offlineLogProbs, randomFeatures, useBackend } from '../training/helpers-tf.js';
import { fixtureBaseModel } from '../training/personal-fixture.js';

let folder: ModelFolder;
let replay: ReplaySet;
let root: string;

beforeAll(async () => {
  await useBackend('wasm');
  ({ folder, replay } = await fixtureBaseModel());
  root = mkdtempSync(join(tmpdir(), 'attune-restride-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('restrideModel', () => {
  it('keeps every weight and gives the model longer frames, and a longer look-ahead with them', () => {
    expect(folder.acoustic.subsampleStrides).toEqual([2, 1]);
    const coarse = restrideModel(folder, [3, 1]);
    expect(coarse.acoustic.subsampleStrides).toEqual([3, 1]);
    expect(outputFrameMs(coarse.acoustic)).toBe(30);
    expect([...coarse.weights.keys()]).toEqual([...folder.weights.keys()]);
    for (const [name, w] of folder.weights) expect(coarse.weights.get(name)).toEqual(w);
    expect(lookAheadMs(coarse.acoustic)).toBeGreaterThan(lookAheadMs(folder.acoustic));
    // It loads and runs: a third fewer output frames for the same audio.
    const T = 120;
    const model = loadCheckpointModel(coarse);
    try {
      const out = offlineLogProbs(
        model,
        randomFeatures(T, coarse.acoustic.featureBins, 2),
        T,
        coarse.acoustic.featureBins,
      );
      expect(out.frames).toBe(outputFrames(T, coarse.acoustic));
      expect(out.frames).toBeLessThan(outputFrames(T, folder.acoustic));
    } finally {
      model.dispose();
    }
  });

  it('returns the model as it is at its own strides, and names strides it cannot take', () => {
    expect(restrideModel(folder, [2, 1])).toBe(folder);
    expect(() => restrideModel(folder, [5, 1])).toThrow(
      /cannot give the model subsampling strides 5,1: subsampleStrides needs 2 integers in \[1, subsampleKernel\]/,
    );
  });

  it('trains a model reshaped to the new frame rate within the look-ahead budget, and records the old one', async () => {
    const budget = lookAheadMs(folder.acoustic);
    const coarser = join(root, 'coarser');
    saveModelFolder(
      coarser,
      reshapeModel(folder, { subsampleStrides: [3, 1], maxLookAheadMs: budget, seed: 1 }),
    );
    const r = await train(
      { train: replay.train, dev: replay.eval },
      {
        runDir: join(root, 'run'),
        initFrom: coarser,
        steps: 2,
        evalEvery: 2,
        checkpointEvery: 2,
        devUtterances: 4,
        augment: null,
        patience: 0,
      },
    );
    expect(r.model.config.subsampleStrides).toEqual([3, 1]);
    expect(lookAheadMs(r.model.config)).toBeLessThanOrEqual(budget);
    const best = loadModelFolder(join(root, 'run', 'best'));
    expect(best.acoustic.subsampleStrides).toEqual([3, 1]);
    expect(best.info).toMatchObject({
      parent: coarser,
      training: { reshapedFrom: { subsampleStrides: [2, 1], lookAheadMs: budget }, step: 2 },
    });
    r.model.dispose();
  }, 120_000);
});
