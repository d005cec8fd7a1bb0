// modelFlops() against two independent counts: the multiply-adds of the kernels the real model runs (recorded
// by tf.profile on the cpu backend, for a tiny config), and the parameter shapes (one multiply-add per weight
// per output frame).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_BENCH, modelBenchFor, modelFlops, modelMacs } from '../../bench/model.js';
import { AcousticModel, parameterShapes } from '../../src-main/model/acoustic.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC, outputFrames } from '../../src-main/model/config.js';
import { saveBiasedModel, TINY_CONFIG } from '../model/tiny-model.js';

const TINY: AcousticConfig = {
  featureBins: 6,
  hopMs: 10,
  vocabSize: 5,
  channels: 4,
  subsampleKernel: 3,
  subsampleStrides: [2, 2],
  subsampleRightContext: 1,
  blocks: 3,
  kernel: 5,
  blockRightContext: [1, 0, 2],
  dropout: 0,
  layerNormEps: 1e-5,
};

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds of every matMul and convolution kernel the model's forward pass runs over one utterance. */
async function profiledMacs(cfg: AcousticConfig, frames: number): Promise<number> {
  const model = new AcousticModel(cfg);
  const x = tf.randomNormal([1, frames, cfg.featureBins]) as tf.Tensor3D; // [1, T, F]
  const profile = await tf.profile(() => model.forward(x, [frames]).logits);
  let macs = 0;
  for (const k of profile.kernels) {
    if (k.name === 'BatchMatMul') {
      const a = k.inputShapes[0]; // [.., m, k]: the forward pass never transposes
      macs += size(k.outputShapes[0]) * a[a.length - 1];
    } else if (k.name === 'DepthwiseConv2dNative') {
      const filter = k.inputShapes[1]; // [kh, kw, C, 1]
      macs += size(k.outputShapes[0]) * filter[0] * filter[1];
    } else {
      expect(k.name, 'an unexpected multiply-accumulate kernel').not.toMatch(/conv|matmul/i);
    }
  }
  tf.dispose([x, profile.result as tf.Tensor]);
  model.dispose();
  return macs;
}

describe('modelFlops', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const strides of [
    [2, 2],
    [2, 1],
  ] as const) {
    const cfg: AcousticConfig = { ...TINY, subsampleStrides: [...strides] };
    for (const frames of [1, 8, 37, 120]) {
      it(`equals 2 × the multiply-adds the model really runs (tiny config, strides ${strides}, ${frames} frames)`, async () => {
        const macs = await profiledMacs(cfg, frames);
        expect(macs).toBeGreaterThan(0);
        expect(modelFlops(cfg, frames)).toBe(2 * macs);
      });
    }
  }

  it('does one multiply-add per weight per output frame of each layer (default config)', () => {
    const shapes = parameterShapes(DEFAULT_ACOUSTIC);
    const weightSizes = [...shapes]
      .filter(([name]) => name.endsWith('weight') || name.endsWith('depthwise'))
      .map(([, shape]) => size(shape));
    const frames = 400;
    const sub0 = Math.floor((frames + 2 - 3) / 2) + 1; // k3 s2, one frame of padding each side
    const out = outputFrames(frames, DEFAULT_ACOUSTIC);
    const perFrame = modelMacs(DEFAULT_ACOUSTIC, frames).map((l, i) => l.macs / (i === 0 ? sub0 : out));
    expect(perFrame).toEqual(weightSizes);
  });

  it('counts nothing for input too short to give a frame, and doubles with the length', () => {
    expect(modelFlops(TINY, 0)).toBe(0);
    expect(modelFlops(DEFAULT_ACOUSTIC, 800)).toBe(2 * modelFlops(DEFAULT_ACOUSTIC, 400));
  });
});

describe('modelBenchFor', () => {
  it("measures the model folder's architecture, with the dropout it keeps in its config", async () => {
    await tf.setBackend('cpu');
    const dir = mkdtempSync(join(tmpdir(), 'attune-bench-model-'));
    try {
      saveBiasedModel(dir, 1, 'tiny');
      const bench = modelBenchFor(dir);
      expect(bench.acoustic).toEqual(TINY_CONFIG);
      expect({ ...bench, acoustic: null }).toEqual({ ...DEFAULT_MODEL_BENCH, acoustic: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
