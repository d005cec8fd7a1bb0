// The training loop on a compute host (WebGPU in headless Chromium, on SwiftShader here): its steps
// equal the same run's on this process's backend, and when the host fails (its GPU device lost, or its
// browser gone) the run says so once and goes on from the same step here, to the same weights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLauncher } from '../../src-main/compute/chromium-launcher.js';
import { ComputeHost, type LaunchedHost } from '../../src-main/compute/host-server.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { readAudio } from '../../src-main/speech/audio.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { computeFeatures } from '../../src-main/speech/front-end.js';
import { DEFAULT_OPTIMIZER } from '../../src-main/training/optimizer.js';
import {
  type FeatureSource,
  type TrainConfig,
  type TrainEvent,
  train,
} from '../../src-main/training/train.js';
import { clipPath, librivoxClips } from '../recipes/torch/helpers.js';
import { useBackend } from './helpers-tf.js';
import { webGpuTestsMissing } from '../compute/helpers.js';

const missing = webGpuTestsMissing();

const ACOUSTIC: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  channels: 32,
  blocks: 3,
  kernel: 5,
  blockRightContext: [1, 0, 1],
};
const STEPS = 4;

let root: string;
let source: FeatureSource;

function config(runDir: string): Partial<TrainConfig> {
  return {
    runDir,
    acoustic: ACOUSTIC,
    steps: STEPS,
    augment: null,
    optimizer: { ...DEFAULT_OPTIMIZER, learningRate: 3e-3, warmupSteps: 0, decay: 'constant' },
    batches: { maxFrames: 1400, maxUtterances: 2, maxUtteranceFrames: 2000 },
    evalEvery: STEPS,
    checkpointEvery: STEPS,
    // Dropout on: the host must draw the same masks as this process.
    dropout: 0.1,
    seed: 3,
    patience: 0,
    threads: 1,
  };
}

/** One run: its step losses and fall-back events; `during(step, host)` runs after each step. */
async function run(
  name: string,
  host: ComputeHost | null,
  during?: (step: number) => Promise<void>,
): Promise<{
  losses: number[];
  fallbacks: Extract<TrainEvent, { type: 'fallback' }>[];
  weights: Float32Array[];
}> {
  const losses: number[] = [];
  const fallbacks: Extract<TrainEvent, { type: 'fallback' }>[] = [];
  const pending: Promise<void>[] = [];
  const result = await train({ train: source, dev: source }, config(join(root, name)), {
    host,
    onEvent: (e) => {
      if (e.type === 'step') {
        losses.push(e.loss);
        if (during) pending.push(during(e.step));
      }
      if (e.type === 'fallback') fallbacks.push(e);
    },
    // The drill for a step lands before the next step starts.
    beforeStep: async () => {
      await Promise.all(pending.splice(0));
    },
  });
  const weights = [...result.model.weights().values()];
  result.model.dispose();
  return { losses, fallbacks, weights };
}

function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, k) => {
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < x.length; i++) {
      scale = Math.max(scale, Math.abs(b[k][i]));
      diff = Math.max(diff, Math.abs(x[i] - b[k][i]));
    }
    worst = Math.max(worst, diff / (scale || 1));
  });
  return worst;
}

describe.skipIf(missing !== null)(
  `training on a compute host${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let local: Awaited<ReturnType<typeof run>>;

    beforeAll(async () => {
      await useBackend('wasm');
      root = mkdtempSync(join(tmpdir(), 'attune-train-host-'));
      const clips = librivoxClips();
      const feats = await Promise.all(
        clips.map(async (c) =>
          computeFeatures((await readAudio(clipPath(c.name))).samples, DEFAULT_FEATURES),
        ),
      );
      source = {
        items: clips.map((c, i) => ({
          id: c.name,
          speaker: 'librivox',
          text: c.text,
          frames: feats[i].frames,
        })),
        bins: DEFAULT_FEATURES.nMels,
        features: (i) => feats[i].data,
      };
      local = await run('local', null);
    }, 120_000);

    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('takes the same steps on WebGPU as on this process’s backend', async () => {
      const host = await ComputeHost.open({ backend: 'webgpu', launcher: chromiumLauncher() });
      try {
        const onHost = await run('host', host);
        expect(onHost.fallbacks).toEqual([]);
        expect(onHost.losses).toHaveLength(STEPS);
        onHost.losses.forEach((l, k) =>
          expect(Math.abs(l - local.losses[k]) / local.losses[k]).toBeLessThan(1e-3),
        );
        expect(maxRel(onHost.weights, local.weights)).toBeLessThan(1e-3);
      } finally {
        await host.close();
      }
    }, 180_000);

    /**
     * A run on its own host with a fault at the end of step `at`: one fallback event there, naming the
     * fault, and the run finishes on wasm at the weights of the run that never left this process.
     */
    async function faultAt(
      name: string,
      at: number,
      fault: (host: ComputeHost, browser: LaunchedHost) => Promise<unknown>,
      reason: RegExp,
    ): Promise<void> {
      let browser: LaunchedHost | null = null;
      const launch = chromiumLauncher();
      const host = await ComputeHost.open({
        backend: 'webgpu',
        launcher: async (url) => (browser = await launch(url)),
      });
      try {
        const r = await run(name, host, async (step) => {
          if (step === at) await fault(host, browser!);
        });
        expect(r.fallbacks).toHaveLength(1);
        expect(r.fallbacks[0]).toMatchObject({ step: at, from: 'webgpu', to: 'wasm' });
        expect(r.fallbacks[0].reason).toMatch(reason);
        expect(r.losses).toHaveLength(STEPS);
        expect(maxRel(r.weights, local.weights)).toBeLessThan(1e-3);
      } finally {
        await host.close();
      }
    }

    it('goes on here from the same step when the GPU device is lost, and says so once', async () => {
      await faultAt(
        'device-lost',
        2,
        (host) => host.request({ op: 'drill', fault: 'deviceLost' }),
        /GPU device was lost/,
      );
    }, 180_000);

    it('goes on here when the GPU reports an error (as running out of memory does)', async () => {
      await faultAt(
        'gpu-error',
        3,
        (host) => host.request({ op: 'drill', fault: 'gpuError' }),
        /the GPU reported an error: .+/,
      );
    }, 180_000);

    it('goes on here when the host’s browser is gone', async () => {
      await faultAt(
        'browser-gone',
        1,
        (_host, browser) => browser.close(),
        /browser is gone|closed its channel/,
      );
    }, 180_000);
  },
);
