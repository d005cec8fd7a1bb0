// Adding input values to a trained model (a log-mel model given phone posteriors beside its log-mel): the
// wider model must compute what the narrow one did, whatever the new values are, until training moves it.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addInputBins } from '../../src-main/model/add-input-bins.js';
import type { ModelFolder } from '../../src-main/model/checkpoint.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import { evalItemsOf } from '../../src-main/training/guard.js';
import type { ReplaySet } from '../../src-main/training/replay.js';
import { useBackend } from '../training/helpers-tf.js';
import { fixtureBaseModel } from '../training/personal-fixture.js';

let folder: ModelFolder;
let replay: ReplaySet;
const EXTRA = 5;
const added = { mean: new Float32Array(EXTRA).fill(-3), std: new Float32Array(EXTRA).fill(2) };
const phones = (f: ModelFolder) => ({ ...f.features, phones: { model: '/nowhere', withLogMel: true } });

beforeAll(async () => {
  await useBackend('wasm');
  ({ folder, replay } = await fixtureBaseModel());
}, 120_000);

describe('addInputBins', () => {
  it('widens only the first layer, with zeros for the new values, and appends their normalisation', () => {
    const wide = addInputBins(folder, phones(folder), added);
    const F = folder.acoustic.featureBins;
    const { channels: C, subsampleKernel: K } = folder.acoustic;
    expect(wide.acoustic).toEqual({ ...folder.acoustic, featureBins: F + EXTRA });
    expect(wide.features.phones).toEqual({ model: '/nowhere', withLogMel: true });
    const w = wide.weights.get('subsample.0.weight')!;
    const old = folder.weights.get('subsample.0.weight')!;
    expect(w.length).toBe(K * (F + EXTRA) * C);
    for (let k = 0; k < K; k++) {
      expect(w.subarray(k * (F + EXTRA) * C, (k * (F + EXTRA) + F) * C)).toEqual(
        old.subarray(k * F * C, (k + 1) * F * C),
      );
      expect(w.subarray((k * (F + EXTRA) + F) * C, (k + 1) * (F + EXTRA) * C).every((x) => x === 0)).toBe(
        true,
      );
    }
    for (const [name, v] of folder.weights)
      if (name !== 'subsample.0.weight') expect(wide.weights.get(name)).toBe(v);
    expect([...wide.stats.mean.subarray(F)]).toEqual([...added.mean]);
    expect([...wide.stats.std.subarray(0, F)]).toEqual([...folder.stats.std]);
  });

  it('computes what the narrow model did, whatever the new values are', () => {
    const narrow = loadCheckpointModel(folder);
    const wide = loadCheckpointModel(addInputBins(folder, phones(folder), added));
    const item = evalItemsOf(replay.eval)[0];
    const F = folder.acoustic.featureBins;
    const x = item.features(); // [frames · F]
    const widened = new Float32Array(item.frames * (F + EXTRA));
    for (let t = 0; t < item.frames; t++) {
      widened.set(x.subarray(t * F, (t + 1) * F), t * (F + EXTRA));
      for (let j = 0; j < EXTRA; j++) widened[t * (F + EXTRA) + F + j] = Math.sin(t * 7 + j) * 40;
    }
    const a = narrow.logProbs(tf.tensor3d(x, [1, item.frames, F]), [item.frames]);
    const b = wide.logProbs(tf.tensor3d(widened, [1, item.frames, F + EXTRA]), [item.frames]);
    const diff = tf.max(tf.abs(tf.sub(a.logProbs, b.logProbs))).dataSync()[0]; // [1, T', V] each
    expect(diff).toBeLessThan(1e-4);
    narrow.dispose();
    wide.dispose();
  });

  it('refuses normalisation that does not describe the new values', () => {
    expect(() =>
      addInputBins(folder, phones(folder), { mean: new Float32Array(0), std: new Float32Array(0) }),
    ).toThrow(/0 means and 0 deviations/);
    expect(() =>
      addInputBins(folder, phones(folder), { mean: new Float32Array(2), std: new Float32Array(3) }),
    ).toThrow(/2 means and 3 deviations/);
  });
});
