// Model streams on the compute host (its cpu backend here: the bookkeeping, not the GPU, is under test):
// each model the engine uses is put on the host first, the host keeps the two newest, and after a failure
// every stream runs here and the user is told once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLauncher, findChromium } from '../../src-main/compute/chromium-launcher.js';
import { ComputeHost } from '../../src-main/compute/host-server.js';
import { RemoteStream } from '../../src-main/compute/remote-model.js';
import { HostStreams } from '../../src-main/engine/host-streams.js';
import { ModelStream } from '../../src-main/model/acoustic.js';
import type { LoadedModel } from '../../src-main/model/model-io.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { maxAbsDiff, useBackend } from '../training/helpers-tf.js';
import { biasedModel } from '../model/tiny-model.js';

function loaded(seed: number): LoadedModel {
  return {
    dir: `m${seed}`,
    model: biasedModel(seed),
    alphabet: englishAlphabet(),
    features: DEFAULT_FEATURES,
    info: {},
  };
}

describe.skipIf(findChromium() == null)('HostStreams', () => {
  let host: ComputeHost;
  beforeAll(async () => {
    await useBackend('cpu');
    host = await ComputeHost.open({ backend: 'cpu', launcher: chromiumLauncher() });
  }, 60_000);
  afterAll(() => host?.close());

  it('streams on the host the models it was given, keeping the two newest there', async () => {
    const told: string[] = [];
    const streams = new HostStreams(host, (m) => told.push(m));
    const [a, b, c] = [loaded(1), loaded(2), loaded(3)];
    await streams.prepare(a);
    expect(streams.open(a)).toBeInstanceOf(RemoteStream);
    await streams.prepare(b);
    await streams.prepare(a); // a rollback: a is the newest again
    await streams.prepare(c); // b goes, a and c stay
    expect(streams.open(a)).toBeInstanceOf(RemoteStream);
    expect(streams.open(c)).toBeInstanceOf(RemoteStream);
    expect(streams.open(b)).toBeInstanceOf(ModelStream);
    // A stream on the host answers as the model does here.
    const F = c.model.config.featureBins;
    const feats = new Float32Array(30 * F).map((_, i) => Math.sin(i));
    const remote = streams.open(c);
    const here = c.model.createStream();
    const got = [await remote.accept(feats, 30), await remote.flush()];
    const want = [here.accept(feats, 30), here.flush()];
    expect(got.map((o) => o.frames)).toEqual(want.map((o) => o.frames));
    got.forEach((o, k) => expect(maxAbsDiff(o.logProbs, want[k].logProbs)).toBeLessThan(1e-4));
    remote.dispose();
    here.dispose();
    expect(told).toEqual([]);
  }, 60_000);

  it('after a failure opens every stream here, and tells the user once', async () => {
    const own = await ComputeHost.open({ backend: 'cpu', launcher: chromiumLauncher() });
    const told: string[] = [];
    const streams = new HostStreams(own, (m) => told.push(m));
    const a = loaded(4);
    await streams.prepare(a);
    streams.failOver(new Error('the GPU device was lost'));
    streams.failOver(new Error('again'));
    expect(told).toEqual(['recognition moved from the GPU (WebGPU) to the CPU: the GPU device was lost']);
    expect(streams.onHost).toBe(false);
    expect(streams.open(a)).toBeInstanceOf(ModelStream);
    await streams.prepare(loaded(5)); // nothing goes to a failed host
    await own.close();
  }, 60_000);
});
