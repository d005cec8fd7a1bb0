import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcousticModel } from '../../src-main/model/acoustic.js';
import { outputFrames } from '../../src-main/model/config.js';
import { CtcWorkspace } from '../../src-main/speech/ctc.js';
import { batchGradients } from '../../src-main/training/batch-gradients.js';
import { type Shard, shardRanges } from '../../src-main/model/shard-gradients.js';
import { ShardWorkers } from '../../src-main/training/shard-workers.js';
import { SMALL, seeded, useBackend } from './helpers-tf.js';

const CFG = { ...SMALL, dropout: 0 };
const F = CFG.featureBins;

/** A batch of `n` utterances of varied length with feasible random targets. */
function batch(n: number, seed: number): { feats: Float32Array[]; lengths: number[]; targets: Int32Array[] } {
  const rand = seeded(seed);
  const lengths = Array.from({ length: n }, () => 40 + Math.floor(rand() * 40));
  const feats = lengths.map((T) => Float32Array.from({ length: T * F }, () => rand() * 2 - 1));
  const targets = lengths.map((T) =>
    Int32Array.from(
      { length: Math.max(1, Math.floor(outputFrames(T, CFG) / 3)) },
      () => 1 + Math.floor(rand() * (CFG.vocabSize - 1)),
    ),
  );
  return { feats, lengths, targets };
}

function shardOf(b: ReturnType<typeof batch>, [from, to]: [number, number], seed: number): Shard {
  const lengths = b.lengths.slice(from, to);
  const frames = Math.max(...lengths);
  const features = new Float32Array(lengths.length * frames * F);
  for (let i = from; i < to; i++) features.set(b.feats[i], (i - from) * frames * F);
  return { features, frames, lengths, targets: b.targets.slice(from, to), seed };
}

describe('batchGradients', () => {
  let model: AcousticModel;
  let vars: tf.Variable[];
  let names: string[];
  let workers: ShardWorkers;

  beforeAll(async () => {
    await useBackend('wasm');
    model = new AcousticModel(CFG);
    // As personal fine-tuning does: only some parameters are trained, in the pool's order.
    names = [...model.params.keys()].filter((n) => !n.startsWith('sub'));
    vars = names.map((n) => model.params.get(n)!);
    workers = await ShardWorkers.start(2, {
      backend: 'wasm',
      acoustic: model.config,
      stats: model.featureStats(),
      weights: model.weights(),
      trained: names,
      blank: 0,
    });
  });

  afterAll(async () => {
    await workers?.close();
    model?.dispose();
  });

  it('gives the whole batch’s loss and gradients when worker threads compute shares of it', async () => {
    const b = batch(7, 3);
    const workspace = new CtcWorkspace();
    const whole = await batchGradients(model, vars, [shardOf(b, [0, 7], 1)], 0, workspace, null);
    const ranges = shardRanges(7, 3);
    expect(ranges).toEqual([
      [0, 2],
      [2, 4],
      [4, 7],
    ]);
    const split = await batchGradients(
      model,
      vars,
      ranges.map((r, k) => shardOf(b, r, 1 + k)),
      0,
      workspace,
      workers,
    );
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    expect(split.infeasible).toBe(0);
    expect(split.grads.length).toBe(names.length);
    for (let j = 0; j < names.length; j++) {
      const a = whole.grads[j].dataSync();
      const s = split.grads[j].dataSync();
      const scale = Math.max(...a.map(Math.abs));
      expect(scale, names[j]).toBeGreaterThan(0);
      for (let i = 0; i < a.length; i++)
        expect(Math.abs(s[i] - a[i]), names[j]).toBeLessThan(1e-4 * scale + 1e-7);
    }
    tf.dispose([...whole.grads, ...split.grads]);
  });

  it('sends the current weights with every shard', async () => {
    const b = batch(4, 5);
    const workspace = new CtcWorkspace();
    const before = await batchGradients(
      model,
      vars,
      shardRanges(4, 2).map((r) => shardOf(b, r, 1)),
      0,
      workspace,
      workers,
    );
    // Change the trained weights here only; the worker's share must follow.
    const saved = vars.map((v) => v.clone());
    vars.forEach((v) => v.assign(tf.mul(v, 1.5)));
    const whole = await batchGradients(model, vars, [shardOf(b, [0, 4], 1)], 0, workspace, null);
    const after = await batchGradients(
      model,
      vars,
      shardRanges(4, 2).map((r) => shardOf(b, r, 1)),
      0,
      workspace,
      workers,
    );
    expect(after.loss).toBeCloseTo(whole.loss, 5);
    expect(Math.abs(after.loss - before.loss)).toBeGreaterThan(1e-3);
    vars.forEach((v, k) => v.assign(saved[k]));
    tf.dispose([...saved, ...before.grads, ...whole.grads, ...after.grads]);
  });

  it('reports a worker’s failure with the shard it could not compute', async () => {
    const b = batch(4, 7);
    const bad = shardOf(b, [2, 4], 1);
    bad.lengths = [bad.frames + 5, 1]; // longer than its features: the worker's model refuses it
    await expect(
      batchGradients(model, vars, [shardOf(b, [0, 2], 1), bad], 0, new CtcWorkspace(), workers),
    ).rejects.toThrow(/training thread 1 failed: lengths must be integers in \[0, \d+\]/);
    // A failed pool stays failed: the training loop stops rather than train on part of its batches.
    await expect(workers.compute(1, [], shardOf(b, [0, 1], 1))).rejects.toThrow(/training thread 1 failed/);
  });

  it('refuses more shards than threads', async () => {
    const b = batch(3, 9);
    await expect(
      batchGradients(
        model,
        vars,
        shardRanges(3, 3).map((r) => shardOf(b, r, 1)),
        0,
        new CtcWorkspace(),
        null,
      ),
    ).rejects.toThrow('3 shards for 1 training threads');
  });
});

describe('shardRanges', () => {
  it('splits a batch into near-equal contiguous shares, never empty ones', () => {
    expect(shardRanges(8, 2)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(shardRanges(1, 4)).toEqual([[0, 1]]);
    expect(shardRanges(5, 1)).toEqual([[0, 5]]);
    for (let size = 1; size < 20; size++)
      for (let parts = 1; parts < 6; parts++) {
        const r = shardRanges(size, parts);
        expect(r[0][0]).toBe(0);
        expect(r.at(-1)![1]).toBe(size);
        r.forEach(([a, b], k) => {
          expect(b).toBeGreaterThan(a);
          if (k > 0) expect(a).toBe(r[k - 1][1]);
        });
      }
  });
});
