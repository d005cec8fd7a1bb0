// What the compute host does with each request, driven directly on the cpu backend: gradients without a
// synchronous read equal the training loop's own, streams equal the offline forward, and every bad request
// is refused with its reason.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostRequestHeader } from '../../src-main/compute/contract.js';
import { ComputeHostHandler } from '../../src-main/compute/host-handler.js';
import type { WireArray } from '../../src-main/compute/wire.js';
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import { CtcWorkspace } from '../../src-main/speech/ctc.js';
import { shardGradients } from '../../src-main/model/shard-gradients.js';
import {
  maxAbsDiff,
  offlineLogProbs,
  randomFeatures,
  randomValues,
  SMALL,
  useBackend,
} from '../training/helpers-tf.js';

const F = SMALL.featureBins;
const BLANK = 0;
const stats = { mean: randomValues(F, 5, -4, -2), std: randomValues(F, 6, 1, 3) };
const weights = initParams(SMALL, 3);
const names = [...weights.keys()];

let nextId = 1;
function call(h: ComputeHostHandler, req: Record<string, unknown>, arrays: WireArray[] = []) {
  return h.handle({ ...req, id: nextId++ } as HostRequestHeader, arrays);
}

async function loadedHandler(trained = names): Promise<ComputeHostHandler> {
  const h = new ComputeHostHandler({ probeAdapter: () => Promise.resolve(null) });
  await call(h, { op: 'start', backend: 'cpu' });
  await call(h, { op: 'load', model: 1, acoustic: SMALL, names, trained, blank: BLANK }, [
    ...names.map((n) => weights.get(n)!),
    stats.mean,
    stats.std,
  ]);
  return h;
}

beforeAll(() => useBackend('cpu'));

describe('ComputeHostHandler', () => {
  it('computes the training loop’s loss and gradients, dropout masks included, at the weights sent', async () => {
    const trained = names.filter((n) => n.startsWith('blocks.') || n.startsWith('head.'));
    const h = await loadedHandler(trained);
    // The step's weights differ from those loaded: the host must compute at the ones sent with it.
    const stepWeights = trained.map((n) => weights.get(n)!.map((v, i) => v + 0.01 * Math.sin(i + n.length)));
    const lengths = [40, 29];
    const T = 40;
    const features = randomFeatures(T * 2, F, 9).subarray(0, 2 * T * F);
    const targets = [Int32Array.from([1, 2, 3, 4, 2]), Int32Array.from([5, 6, 7])];
    const shard = { features, frames: T, lengths, targets, seed: 1234 };

    const reply = await call(
      h,
      { op: 'gradients', model: 1, frames: T, lengths, targetLengths: [5, 3], seed: 1234 },
      [...stepWeights, features, Int32Array.from([...targets[0], ...targets[1]])],
    );

    const local = new AcousticModel(SMALL, weights, stats);
    trained.forEach((n, k) =>
      local.params.get(n)!.assign(tf.tensor(stepWeights[k], local.params.get(n)!.shape)),
    );
    const vars = trained.map((n) => local.params.get(n)!);
    const ref = shardGradients(local, vars, shard, BLANK, new CtcWorkspace());
    expect(reply.fields.loss as number).toBeCloseTo(ref.loss, 5);
    expect(reply.fields.infeasible).toBe(0);
    expect(reply.arrays).toHaveLength(trained.length);
    ref.grads.forEach((g, k) => {
      const want = g.dataSync();
      const scale = Math.max(...want.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      expect(maxAbsDiff(reply.arrays[k], want) / scale).toBeLessThan(1e-5);
    });
    tf.dispose(ref.grads);
    local.dispose();
  });

  it('streams chunk by chunk what the offline forward computes', async () => {
    const h = await loadedHandler();
    const T = 53;
    const feats = randomFeatures(T, F, 11);
    const offline = await call(h, { op: 'logProbs', model: 1, frames: T, lengths: [T] }, [feats]);
    const local = new AcousticModel(SMALL, weights, stats);
    const ref = offlineLogProbs(local, feats, T, F);
    expect(offline.fields.lengths).toEqual([ref.frames]);
    expect(maxAbsDiff(offline.arrays[0], ref.data)).toBeLessThan(1e-5);
    local.dispose();

    const stream = 7;
    await call(h, { op: 'streamOpen', model: 1, stream });
    await expect(call(h, { op: 'streamOpen', model: 1, stream })).rejects.toThrow('stream 7 is already open');
    const parts: Float32Array[] = [];
    for (let t = 0; t < T; t += 7) {
      const n = Math.min(7, T - t);
      const out = await call(h, { op: 'streamAccept', stream, frames: n }, [feats.slice(t * F, (t + n) * F)]);
      parts.push(out.arrays[0] as Float32Array);
    }
    parts.push((await call(h, { op: 'streamFlush', stream })).arrays[0] as Float32Array);
    const streamed = Float32Array.from(parts.flatMap((p) => [...p]));
    expect(streamed.length).toBe(ref.data.length);
    expect(maxAbsDiff(streamed, ref.data)).toBeLessThan(1e-5);
    await call(h, { op: 'streamClose', stream });
    await expect(call(h, { op: 'streamFlush', stream })).rejects.toThrow(`no stream ${stream}`);
  });

  it('holds several models: a stream on one goes on while another loads, and unloading frees its streams', async () => {
    const h = await loadedHandler();
    const T = 20;
    const feats = randomFeatures(T, F, 4);
    await call(h, { op: 'streamOpen', model: 1, stream: 1 });
    const first = await call(h, { op: 'streamAccept', stream: 1, frames: 10 }, [feats.slice(0, 10 * F)]);
    const other = initParams(SMALL, 8);
    await call(h, { op: 'load', model: 2, acoustic: SMALL, names, trained: [], blank: BLANK }, [
      ...names.map((n) => other.get(n)!),
      stats.mean,
      stats.std,
    ]);
    const rest = await call(h, { op: 'streamAccept', stream: 1, frames: 10 }, [feats.slice(10 * F)]);
    const tail = await call(h, { op: 'streamFlush', stream: 1 });
    const streamed = Float32Array.from([...first.arrays[0], ...rest.arrays[0], ...tail.arrays[0]]);
    const local = new AcousticModel(SMALL, weights, stats);
    expect(maxAbsDiff(streamed, offlineLogProbs(local, feats, T, F).data)).toBeLessThan(1e-5);
    local.dispose();
    await call(h, { op: 'streamOpen', model: 2, stream: 2 });
    await call(h, { op: 'unload', model: 2 });
    await expect(call(h, { op: 'streamFlush', stream: 2 })).rejects.toThrow('no stream 2');
    await expect(call(h, { op: 'logProbs', model: 2, frames: T, lengths: [T] }, [feats])).rejects.toThrow(
      'no model 2 is loaded',
    );
  });

  it('refuses each bad request with its reason', async () => {
    const fresh = new ComputeHostHandler({ probeAdapter: () => Promise.resolve(null) });
    await expect(call(fresh, { op: 'start', backend: 'webgpu' })).rejects.toThrow('WebGPU found no adapter');
    await expect(call(fresh, { op: 'start', backend: 'metal' })).rejects.toThrow("unknown backend 'metal'");
    await expect(call(fresh, { op: 'streamOpen', model: 1, stream: 1 })).rejects.toThrow(
      'no model 1 is loaded',
    );
    await expect(call(fresh, { op: 'launch' })).rejects.toThrow("unknown op 'launch'");
    await expect(
      call(fresh, { op: 'load', model: 1, acoustic: SMALL, names, trained: names, blank: 0 }, [stats.mean]),
    ).rejects.toThrow(`1 arrays for ${names.length} parameters and the feature stats`);
    await expect(
      call(fresh, { op: 'load', model: 1, acoustic: SMALL, names, trained: ['nope'], blank: 0 }, [
        ...names.map((n) => weights.get(n)!),
        stats.mean,
        stats.std,
      ]),
    ).rejects.toThrow('the model has no parameter nope');

    const h = await loadedHandler(['head.bias']);
    const bias = weights.get('head.bias')!;
    const T = 10;
    const feats = randomFeatures(T, F, 2);
    const grad = (arrays: WireArray[], targetLengths = [2]) =>
      call(h, { op: 'gradients', model: 1, frames: T, lengths: [T], targetLengths, seed: 1 }, arrays);
    await expect(grad([bias.subarray(1), feats, Int32Array.from([1, 2])])).rejects.toThrow(
      `weights for head.bias: ${bias.length - 1} values, ${bias.length} needed`,
    );
    await expect(grad([bias, feats.subarray(F), Int32Array.from([1, 2])])).rejects.toThrow(
      `features hold ${(T - 1) * F} values, not 1×${T}×${F}`,
    );
    await expect(grad([bias, feats, Int32Array.from([1, 2])], [3])).rejects.toThrow(
      'target lengths sum to 3, 2 ids were sent',
    );
    await expect(grad([bias, feats, Float32Array.from([1, 2])])).rejects.toThrow('expected int32 class ids');
    await expect(grad([bias, Int32Array.from([1]), Int32Array.from([1, 2])])).rejects.toThrow(
      'features: expected float32 values',
    );
  });
});
