// Widening a trained model: the tiny base model of the personal fixture gets twice its channels, which must
// compute what it did (exactly without noise, nearly with it) and then use its width when trained.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelFolder, saveModelFolder } from '../../src-main/model/checkpoint.js';
import { lookAheadMs } from '../../src-main/model/config.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import { reshapeModel } from '../../src-main/model/reshape.js';
import { widenModel } from '../../src-main/model/widen.js';
import { evaluate } from '../../src-main/training/evaluate.js';
import { evalItemsOf } from '../../src-main/training/guard.js';
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
  root = mkdtempSync(join(tmpdir(), 'attune-widen-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Largest log-probability difference between two models on the first replay clip ([1, T', V] each). */
function largestChange(a: ModelFolder, b: ModelFolder): number {
  const [ma, mb] = [loadCheckpointModel(a), loadCheckpointModel(b)];
  const item = evalItemsOf(replay.eval)[0];
  const feats = tf.tensor3d(item.features(), [1, item.frames, a.acoustic.featureBins]);
  const pa = ma.logProbs(feats, [item.frames]).logProbs;
  const pb = mb.logProbs(feats, [item.frames]).logProbs;
  const diff = tf.max(tf.abs(tf.sub(pa, pb))).dataSync()[0];
  tf.dispose([feats, pa, pb]);
  ma.dispose();
  mb.dispose();
  return diff;
}

describe('widenModel', () => {
  it('copies every channel: without noise the wider model computes what the narrow one did', () => {
    const C = folder.acoustic.channels;
    const wide = widenModel(folder, { channels: 2 * C, noise: 0 });
    expect(wide.acoustic).toEqual({ ...folder.acoustic, channels: 2 * C });
    expect(lookAheadMs(wide.acoustic)).toBe(lookAheadMs(folder.acoustic));
    // A block's matrix [2C, 2C]: each quarter is the old [C, C] halved; its bias is copied.
    const w = folder.weights.get('blocks.0.weight')!;
    const w2 = wide.weights.get('blocks.0.weight')!;
    expect(w2.length).toBe(4 * C * C);
    for (const [r, c] of [
      [0, 0],
      [C + 3, 5],
      [7, C + 7],
      [2 * C - 1, 2 * C - 1],
    ])
      expect(w2[r * 2 * C + c]).toBeCloseTo(w[(r % C) * C + (c % C)] / 2, 7);
    expect(wide.weights.get('head.bias')).toEqual(folder.weights.get('head.bias'));
    expect(wide.weights.get('head.weight')!.length).toBe(2 * folder.weights.get('head.weight')!.length);
    const diff = largestChange(folder, wide);
    console.log(`widen without noise: largest log-prob change ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('starts near the narrow model with its symmetry-breaking noise', () => {
    const wide = widenModel(folder, { channels: 2 * folder.acoustic.channels });
    const diff = largestChange(folder, wide);
    console.log(`widen with noise: largest log-prob change ${diff.toFixed(4)}`);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1);
    const [narrow, wider] = [loadCheckpointModel(folder), loadCheckpointModel(wide)];
    const items = evalItemsOf(replay.eval);
    expect(
      Math.abs(evaluate(wider, folder.alphabet, items).cer - evaluate(narrow, folder.alphabet, items).cer),
    ).toBeLessThan(0.02);
    narrow.dispose();
    wider.dispose();
  });

  /** Trains 4 steps from the folder widened with this noise; the weights of blocks.1.weight before and after. */
  async function trainWide(noise: number, name: string): Promise<{ start: Float32Array; end: Float32Array }> {
    const dir = join(root, name);
    saveModelFolder(
      dir,
      reshapeModel(folder, { channels: 2 * folder.acoustic.channels, widenNoise: noise, seed: 3 }),
    );
    const r = await train(
      { train: replay.train, dev: replay.eval },
      {
        runDir: join(root, `run-${name}`),
        initFrom: dir,
        steps: 4,
        evalEvery: 4,
        checkpointEvery: 4,
        devUtterances: 4,
        augment: null,
        dropout: 0, // dropout's masks would part the copies by themselves
        patience: 0,
      },
    );
    const end = Float32Array.from(r.model.params.get('blocks.1.weight')!.dataSync());
    r.model.dispose();
    return { start: loadModelFolder(dir).weights.get('blocks.1.weight')!, end };
  }

  /** How differently the two copies of each channel moved (a block's output column j and j + C), over how much all moved. */
  function copiesParted({ start, end }: { start: Float32Array; end: Float32Array }): number {
    const C = folder.acoustic.channels;
    let parted = 0;
    let moved = 0;
    for (let i = 0; i < 2 * C; i++)
      for (let j = 0; j < C; j++) {
        const [a, b] = [i * 2 * C + j, i * 2 * C + j + C];
        parted += Math.abs(end[a] - start[a] - (end[b] - start[b]));
        moved += Math.abs(end[a] - start[a]) + Math.abs(end[b] - start[b]);
      }
    return parted / moved;
  }

  it('trains: copies made equal move as one, the noise lets them part', async () => {
    const equal = copiesParted(await trainWide(0, 'equal'));
    const noisy = copiesParted(await trainWide(0.001, 'noisy'));
    console.log(
      `widen: copies parted ${equal.toExponential(2)} without noise, ${noisy.toExponential(2)} with it`,
    );
    expect(equal).toBeLessThan(1e-6);
    expect(noisy).toBeGreaterThan(3e-4);
  }, 120_000);

  it('a run from a reshaped folder records the widening in the models it saves', () => {
    const best = loadModelFolder(join(root, 'run-noisy', 'best'));
    expect(best.acoustic.channels).toBe(2 * folder.acoustic.channels);
    expect(best.info.training).toMatchObject({ reshapedFrom: { channels: folder.acoustic.channels } });
  });

  it('refuses a width that is not a whole multiple, and names the reason', () => {
    const C = folder.acoustic.channels;
    const message = `a model can only be widened by a whole factor of 2 or more: it has ${C} channels, asked for`;
    expect(() => widenModel(folder, { channels: C })).toThrow(`${message} ${C}`);
    expect(() => widenModel(folder, { channels: C + 8 })).toThrow(`${message} ${C + 8}`);
    expect(() => widenModel(folder, { channels: 2 * C, noise: -1 })).toThrow(
      'widening noise must be 0 or more, got -1',
    );
  });
});

describe('reshapeModel', () => {
  it('applies each asked change, records the shape it started from, and refuses a change of nothing', () => {
    const C = folder.acoustic.channels;
    const n = folder.acoustic.blocks;
    const out = reshapeModel(folder, { channels: 2 * C, blocks: n + 1, seed: 1 });
    expect(out.acoustic.channels).toBe(2 * C);
    expect(out.acoustic.blocks).toBe(n + 1);
    expect(out.weights.get(`blocks.${n}.weight`)!.length).toBe(4 * C * C);
    expect(out.info.training?.reshapedFrom).toEqual({
      channels: C,
      blocks: n,
      subsampleStrides: folder.acoustic.subsampleStrides,
      lookAheadMs: lookAheadMs(folder.acoustic),
      tokens: ['<blank>', '<space>', ...'abcdefghijklmnopqrstuvwxyz', "'"],
    });
    expect(() => reshapeModel(folder, { channels: C, seed: 1 })).toThrow(
      'nothing to change: the model already has the asked shape',
    );
  });
});
