// Deepening a trained model: the tiny base model of the personal fixture gets two more blocks, which must
// keep its weights and latency, start close to what it computed, and learn.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelFolder, saveModelFolder } from '../../src-main/model/checkpoint.js';
import {
  blockLayout,
  DEFAULT_ACOUSTIC,
  lookAheadMs,
  MAX_LOOK_AHEAD_MS,
  outputFrames,
} from '../../src-main/model/config.js';
import { DEFAULT_DEEPEN, deepenModel } from '../../src-main/model/deepen.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import { reshapeModel } from '../../src-main/model/reshape.js';
import { evalItemsOf } from '../../src-main/training/guard.js';
import { evaluate } from '../../src-main/training/evaluate.js';
import type { ReplaySet } from '../../src-main/training/replay.js';
import { train } from '../../src-main/training/train.js';
import { useBackend } from '../training/helpers-tf.js';
import { fixtureBaseModel } from '../training/personal-fixture.js';

let folder: ModelFolder;
let replay: ReplaySet;
let root: string;

beforeAll(async () => {
  await useBackend('wasm');
  ({ folder, replay } = await fixtureBaseModel());
  root = mkdtempSync(join(tmpdir(), 'attune-deepen-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('blockLayout', () => {
  it("keeps the default's look-ahead pattern and makes extra blocks causal", () => {
    expect(blockLayout(12)).toEqual({ blocks: 12, blockRightContext: DEFAULT_ACOUSTIC.blockRightContext });
    expect(blockLayout(3).blockRightContext).toEqual([1, 0, 1]);
    const deep = { ...DEFAULT_ACOUSTIC, ...blockLayout(16) };
    expect(deep.blockRightContext.slice(12)).toEqual([0, 0, 0, 0]);
    expect(lookAheadMs(deep)).toBe(lookAheadMs(DEFAULT_ACOUSTIC));
  });

  it('makes the last look-ahead blocks causal until coarser frames fit the budget', () => {
    const strides: [number, number] = [3, 1];
    const layout = blockLayout(16, strides);
    expect(layout.blockRightContext).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    // 10 ms + 30 ms from the subsampling pair, 5 × 30 ms from the blocks.
    expect(lookAheadMs({ ...DEFAULT_ACOUSTIC, subsampleStrides: strides, ...layout })).toBe(190);
    expect(
      lookAheadMs({ ...DEFAULT_ACOUSTIC, subsampleStrides: strides, ...blockLayout(12) }),
    ).toBeGreaterThan(MAX_LOOK_AHEAD_MS);
  });
});

describe('deepenModel', () => {
  it('keeps every trained weight and the latency, and appends near-identity blocks', () => {
    const n = folder.acoustic.blocks;
    const deep = deepenModel(folder, { blocks: n + 2 });
    expect(deep.acoustic.blocks).toBe(n + 2);
    expect(deep.acoustic.blockRightContext).toEqual([...folder.acoustic.blockRightContext, 0, 0]);
    expect(lookAheadMs(deep.acoustic)).toBe(lookAheadMs(folder.acoustic));
    expect(outputFrames(437, deep.acoustic)).toBe(outputFrames(437, folder.acoustic));
    for (const [name, w] of folder.weights) expect(deep.weights.get(name), name).toEqual(w);
    expect(deep.weights.size).toBe(folder.weights.size + 2 * 5);
    const C = folder.acoustic.channels;
    expect(deep.weights.get(`blocks.${n}.norm.gamma`)).toEqual(
      new Float32Array(C).fill(DEFAULT_DEEPEN.gamma),
    );
    expect(deep.weights.get(`blocks.${n + 1}.norm.beta`)).toEqual(new Float32Array(C));
    expect(deep.weights.get(`blocks.${n}.weight`)!.some((x) => x !== 0)).toBe(true);
    expect(deep.stats).toBe(folder.stats);
  });

  it('starts where the shallower model stopped', () => {
    const shallow = loadCheckpointModel(folder);
    const deep = loadCheckpointModel(deepenModel(folder, { blocks: folder.acoustic.blocks + 2 }));
    const items = evalItemsOf(replay.eval);
    const feats = tf.tensor3d(items[0].features(), [1, items[0].frames, folder.acoustic.featureBins]);
    const a = shallow.logProbs(feats, [items[0].frames]);
    const b = deep.logProbs(feats, [items[0].frames]);
    // [1, T', V] each: the near-identity blocks move log-probabilities by a few hundredths at most.
    const diff = tf.max(tf.abs(tf.sub(a.logProbs, b.logProbs))).dataSync()[0];
    console.log(`deepen: largest log-prob change ${diff.toFixed(4)}`);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1);
    const before = evaluate(shallow, folder.alphabet, items);
    const after = evaluate(deep, folder.alphabet, items);
    expect(Math.abs(after.cer - before.cer)).toBeLessThan(0.02);
    tf.dispose([feats, a.logProbs, b.logProbs]);
    shallow.dispose();
    deep.dispose();
  });

  it('trains the new blocks of a reshaped folder through train(): their weights and scales move', async () => {
    const n = folder.acoustic.blocks;
    const deeper = join(root, 'deeper');
    saveModelFolder(deeper, reshapeModel(folder, { blocks: n + 2, seed: 1 }));
    const r = await train(
      { train: replay.train, dev: replay.eval },
      {
        runDir: join(root, 'run'),
        initFrom: deeper,
        steps: 4,
        evalEvery: 4,
        checkpointEvery: 4,
        devUtterances: 4,
        augment: null,
        patience: 0,
      },
    );
    expect(r.model.config.blocks).toBe(n + 2);
    const gamma = r.model.params.get(`blocks.${n + 1}.norm.gamma`)!.dataSync();
    expect(gamma.some((g) => Math.abs(g - DEFAULT_DEEPEN.gamma) > 1e-6)).toBe(true);
    const start = deepenModel(folder, { blocks: n + 2, seed: 1 }).weights.get(`blocks.${n}.weight`)!;
    const moved = r.model.params.get(`blocks.${n}.weight`)!.dataSync();
    expect(moved.some((x, i) => x !== start[i])).toBe(true);
    // The saved best model says it was deepened, and from what.
    const best = loadModelFolder(join(root, 'run', 'best'));
    expect(best.acoustic.blocks).toBe(n + 2);
    expect(best.info).toMatchObject({ parent: deeper, training: { reshapedFrom: { blocks: n }, step: 4 } });
    r.model.dispose();
  }, 120_000);

  it('trains a model whose look-ahead was cut, and records what it was', async () => {
    const full = lookAheadMs(folder.acoustic);
    expect(folder.acoustic.blockRightContext.some((r) => r > 0)).toBe(true);
    const quicker = join(root, 'quicker');
    saveModelFolder(quicker, reshapeModel(folder, { maxLookAheadMs: full - 1, seed: 1 }));
    const r = await train(
      { train: replay.train, dev: replay.eval },
      {
        runDir: join(root, 'run-look-ahead'),
        initFrom: quicker,
        steps: 2,
        evalEvery: 2,
        checkpointEvery: 2,
        devUtterances: 4,
        augment: null,
        patience: 0,
      },
    );
    expect(lookAheadMs(r.model.config)).toBeLessThan(full);
    const best = loadModelFolder(join(root, 'run-look-ahead', 'best'));
    expect(lookAheadMs(best.acoustic)).toBe(lookAheadMs(r.model.config));
    expect(best.info).toMatchObject({ parent: quicker, training: { reshapedFrom: { lookAheadMs: full } } });
    r.model.dispose();
  }, 120_000);

  it('refuses to make a model shallower or keep its depth, and names the reason', () => {
    const n = folder.acoustic.blocks;
    expect(() => deepenModel(folder, { blocks: n })).toThrow(
      `a model can only be made deeper: it has ${n} blocks, asked for ${n}`,
    );
    expect(() => deepenModel(folder, { blocks: n + 1, rightContext: 99 })).toThrow(
      /cannot deepen the model: blockRightContext entries must be integers in \[0, kernel\)/,
    );
  });
});
