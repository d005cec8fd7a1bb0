// The compute host on WebGPU, as Attune runs it outside Electron: Debian's Chromium, headless, on
// SwiftShader (Chromium's CPU implementation of Vulkan: the same WebGPU API and shaders as on a GPU).
// On the shipped model and real speech: a training step's loss and gradients equal the cpu backend's, a
// few fine-tuning steps move the loss the same way, and the streaming forward equals the offline one.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { chromiumLauncher } from '../../src-main/compute/chromium-launcher.js';
import { ComputeHost, type HostLauncher, type LaunchedHost } from '../../src-main/compute/host-server.js';
import { RemoteModel } from '../../src-main/compute/remote-model.js';
import { AcousticModel } from '../../src-main/model/acoustic.js';
import { loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { CtcWorkspace } from '../../src-main/speech/ctc.js';
import { computeFeatures } from '../../src-main/speech/front-end.js';
import { trainingTarget } from '../../src-main/speech/phone-spelling.js';
import { AdamW, DEFAULT_OPTIMIZER } from '../../src-main/training/optimizer.js';
import { type Shard, shardGradients } from '../../src-main/model/shard-gradients.js';
import { clipPath, librivoxClips } from '../recipes/torch/helpers.js';
import { maxAbsDiff, useBackend } from '../training/helpers-tf.js';
import { webGpuTestsMissing } from './helpers.js';

const MODEL_DIR = 'models/base';
const missing = webGpuTestsMissing();

/** Largest |difference| over the largest |value|: float32 sums in another order differ by ~1e-6 of it. */
function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / (scale || 1);
}

describe.skipIf(missing !== null)(`compute host on WebGPU${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let folder: ModelFolder;
  let host: ComputeHost;
  let launched: LaunchedHost;
  let pageUrl = '';
  let shard: Shard;

  beforeAll(async () => {
    await useBackend('cpu');
    folder = loadModelFolder(MODEL_DIR);
    // Two short real utterances of different lengths: a padded batch, as training makes.
    const clips = librivoxClips().filter((c) => /-0(880|930)$/.test(c.name));
    const feats = await Promise.all(
      clips.map(async (c) =>
        computeFeatures((await readAudio(clipPath(c.name))).samples, folder.features, MODEL_DIR),
      ),
    );
    const F = folder.acoustic.featureBins;
    const T = Math.max(...feats.map((f) => f.frames));
    const features = new Float32Array(feats.length * T * F); // [B, T, F]
    feats.forEach((f, b) => features.set(f.data, b * T * F));
    const targets = clips.map((c) => trainingTarget(c.text, folder.alphabet));
    shard = { features, frames: T, lengths: feats.map((f) => f.frames), targets, seed: 42 };

    const launch = chromiumLauncher();
    const recording: HostLauncher = async (url) => {
      pageUrl = url;
      launched = await launch(url);
      return launched;
    };
    host = await ComputeHost.open({ backend: 'webgpu', launcher: recording });
  }, 120_000);

  afterAll(async () => {
    await host?.close();
  });

  it('runs on a WebGPU adapter (here SwiftShader, reported as software)', () => {
    expect(host.started.backend).toBe('webgpu');
    expect(host.started.adapter).not.toBeNull();
    expect(host.started.adapter!.software).toBe(host.started.adapter!.architecture === 'swiftshader');
  });

  it('gives the loss and gradients of the cpu backend on the shipped model and real speech', async () => {
    const model = new AcousticModel(folder.acoustic, folder.weights, folder.stats);
    const names = [...model.params.keys()];
    const remote = await RemoteModel.load(host, model, names, folder.alphabet.blank);
    const got = await remote.gradients(shard);
    const vars = names.map((n) => model.params.get(n)!);
    const want = shardGradients(model, vars, shard, folder.alphabet.blank, new CtcWorkspace());
    expect(got.infeasible).toBe(0);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    const worst = Math.max(...want.grads.map((g, k) => relDiff(got.grads[k], g.dataSync())));
    expect(worst).toBeLessThan(1e-4);
    tf.dispose(want.grads);
    model.dispose();
  }, 120_000);

  it('lowers the loss over a few fine-tuning steps as the cpu backend does', async () => {
    const optimizer = {
      ...DEFAULT_OPTIMIZER,
      learningRate: 3e-4,
      warmupSteps: 0,
      decay: 'constant' as const,
    };
    const onGpu = new AcousticModel(folder.acoustic, folder.weights, folder.stats);
    const onCpu = new AcousticModel(folder.acoustic, folder.weights, folder.stats);
    const names = [...onGpu.params.keys()];
    const remote = await RemoteModel.load(host, onGpu, names, folder.alphabet.blank);
    const [optGpu, optCpu] = [new AdamW(optimizer), new AdamW(optimizer)];
    const losses = { gpu: [] as number[], cpu: [] as number[] };
    // The shorter utterance alone: three steps on both backends are most of this file's time.
    const F = folder.acoustic.featureBins;
    const T = shard.lengths[0];
    const one: Shard = {
      ...shard,
      features: shard.features.subarray(0, T * F),
      frames: T,
      lengths: [T],
      targets: [shard.targets[0]],
    };
    for (let step = 0; step < 3; step++) {
      const r = await remote.gradients(one);
      losses.gpu.push(r.loss);
      const gpuGrads = Object.fromEntries(
        names.map((n, k) => [n, tf.tensor(r.grads[k], onGpu.params.get(n)!.shape)]),
      );
      optGpu.apply(onGpu.params, gpuGrads);
      tf.dispose(Object.values(gpuGrads));

      const vars = names.map((n) => onCpu.params.get(n)!);
      const c = shardGradients(onCpu, vars, one, folder.alphabet.blank, new CtcWorkspace());
      losses.cpu.push(c.loss);
      optCpu.apply(onCpu.params, Object.fromEntries(names.map((n, k) => [n, c.grads[k]])));
      tf.dispose(c.grads);
    }
    expect(losses.gpu[2]).toBeLessThan(losses.gpu[0]);
    losses.gpu.forEach((l, k) => expect(Math.abs(l - losses.cpu[k]) / losses.cpu[k]).toBeLessThan(1e-3));
    const w = onCpu.weights();
    const drift = Math.max(...[...onGpu.weights()].map(([n, v]) => relDiff(v, w.get(n)!)));
    expect(drift).toBeLessThan(1e-3);
    onGpu.dispose();
    onCpu.dispose();
  }, 180_000);

  it('streams on WebGPU what the offline forward gives, chunk by chunk', async () => {
    const model = new AcousticModel(folder.acoustic, folder.weights, folder.stats);
    const remote = await RemoteModel.load(host, model, [], folder.alphabet.blank);
    const F = folder.acoustic.featureBins;
    const T = shard.lengths[0];
    const feats = shard.features.subarray(0, T * F);
    const offline = await remote.logProbs(feats, T, [T]);
    const stream = remote.createStream();
    const parts: Float32Array[] = [];
    // 16 frames: the engine's 160 ms chunks.
    for (let t = 0; t < T; t += 16) {
      const n = Math.min(16, T - t);
      parts.push((await stream.accept(feats.subarray(t * F, (t + n) * F), n)).logProbs);
    }
    parts.push((await stream.flush()).logProbs);
    stream.dispose();
    const streamed = Float32Array.from(parts.flatMap((p) => [...p]));
    expect(streamed.length).toBe(offline.logProbs.length);
    expect(maxAbsDiff(streamed, offline.logProbs)).toBeLessThan(1e-4);
    // And the cpu backend's offline forward.
    const x = tf.tensor3d(feats, [1, T, F]);
    const { logProbs } = model.logProbs(x, [T]);
    expect(maxAbsDiff(offline.logProbs, logProbs.dataSync())).toBeLessThan(1e-3);
    tf.dispose([x, logProbs]);
    model.dispose();
  }, 120_000);

  it('lets no other page connect: a wrong token, or a second connection, is refused', async () => {
    const url = new URL(pageUrl);
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
    const attempt = (t: string, origin = url.origin) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://${url.host}/host?token=${encodeURIComponent(t)}`, { origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', (err) => resolve(err.message));
      });
    expect(await attempt('wrong')).toMatch(/403/);
    expect(await attempt(token, 'http://evil.example')).toMatch(/403/);
    // The right token from the right origin: the page already holds the only connection.
    expect(await attempt(token)).toMatch(/403/);
  });

  it('fails every request with the reason once the browser is gone', async () => {
    await launched.close();
    await expect(host.request({ op: 'unload', model: 1 })).rejects.toThrow(
      /browser is gone|closed its channel/,
    );
  });
});
