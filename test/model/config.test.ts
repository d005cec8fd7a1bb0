// The model's length arithmetic, latency budget, size and config validation (pure: no tensors).
import { describe, expect, it } from 'vitest';
import { parameterShapes } from '../../src-main/model/acoustic.js';
import {
  type AcousticConfig,
  configProblems,
  DEFAULT_ACOUSTIC,
  geometry,
  lookAheadMs,
  outputFrameMs,
  outputFrames,
  SUBSAMPLE_LAYERS,
  totalStride,
} from '../../src-main/model/config.js';
import { CAUSAL, ODD, SMALL } from '../training/helpers-tf.js';

function parameterCount(cfg: AcousticConfig): number {
  let n = 0;
  for (const shape of parameterShapes(cfg).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

describe('DEFAULT_ACOUSTIC', () => {
  it('looks at most 200 ms ahead, and says exactly how far', () => {
    const cfg = DEFAULT_ACOUSTIC;
    // By hand: each subsampling conv sees 1 frame ahead at its own input rate (10 ms, then 20 ms); each
    // block with right context r sees r output frames (20 ms) ahead.
    const blocksAhead = cfg.blockRightContext.reduce((a, b) => a + b, 0);
    const byHand =
      cfg.subsampleRightContext * cfg.hopMs +
      cfg.subsampleRightContext * cfg.hopMs * cfg.subsampleStrides[0] +
      blocksAhead * outputFrameMs(cfg);
    expect(lookAheadMs(cfg)).toBe(byHand);
    expect(lookAheadMs(cfg)).toBe(150);
    expect(lookAheadMs(cfg)).toBeLessThanOrEqual(200);
    expect(outputFrameMs(cfg)).toBe(cfg.hopMs * totalStride(cfg));
    expect(outputFrameMs(cfg)).toBe(20);
  });

  it('has 559,901 parameters (2.2 MB of float32), well under 20 MB', () => {
    const c = DEFAULT_ACOUSTIC;
    const C = c.channels;
    const byHand =
      c.subsampleKernel * c.featureBins * C +
      C + // subsample.0: stacked conv
      c.subsampleKernel * C +
      C * C +
      C + // subsample.1: depthwise + pointwise
      c.blocks * (c.kernel * C + C * C + C + 2 * C) + // blocks: depthwise, pointwise, norm
      2 * C +
      C * c.vocabSize +
      c.vocabSize; // head: norm + linear
    expect(parameterCount(c)).toBe(byHand);
    expect(parameterCount(c)).toBe(559_901);
    expect(parameterCount(c) * 4).toBeLessThanOrEqual(20 * 1024 * 1024);
  });

  it('passes its own validation', () => {
    expect(configProblems(DEFAULT_ACOUSTIC)).toEqual([]);
    for (const c of [SMALL, ODD, CAUSAL]) expect(configProblems(c)).toEqual([]);
  });
});

describe('geometry and outputFrames', () => {
  it('keeps kernel = left + 1 + right for every convolution', () => {
    for (const cfg of [DEFAULT_ACOUSTIC, SMALL, ODD, CAUSAL]) {
      const g = geometry(cfg);
      expect(g).toHaveLength(SUBSAMPLE_LAYERS + cfg.blocks);
      for (const c of g) expect(c.left + 1 + c.right).toBe(c.kernel);
      expect(g.slice(SUBSAMPLE_LAYERS).map((c) => c.right)).toEqual(cfg.blockRightContext);
    }
  });

  it('is ceil(ceil(T / s0) / s1) when the subsampling pads k − 1 frames (blocks keep length)', () => {
    // With left + right = k − 1, a stride-s conv gives floor((T + k − 1 − k) / s) + 1 = ceil(T / s).
    for (const cfg of [DEFAULT_ACOUSTIC, SMALL, ODD, CAUSAL]) {
      const [s0, s1] = cfg.subsampleStrides;
      for (let T = 0; T <= 400; T++) {
        const expected = T === 0 ? 0 : Math.ceil(Math.ceil(T / s0) / s1);
        expect(outputFrames(T, cfg)).toBe(expected);
      }
    }
  });

  it('never decreases as input grows, and a look-ahead of 0 ms for a causal config', () => {
    let prev = 0;
    for (let T = 0; T < 500; T++) {
      const n = outputFrames(T);
      expect(n).toBeGreaterThanOrEqual(prev);
      prev = n;
    }
    expect(lookAheadMs(CAUSAL)).toBe(0);
    // ODD (strides 3, 1): 3 frames at 10 ms, 3 at 30 ms, then 3 output frames at 30 ms.
    expect(lookAheadMs(ODD)).toBe(3 * 10 + 3 * 30 + 3 * 30);
    // SMALL (strides 2, 2): 1 frame at 10 ms, 1 at 20 ms, then 1 + 2 output frames at 40 ms.
    expect(lookAheadMs(SMALL)).toBe(10 + 20 + 3 * 40);
  });
});

describe('configProblems', () => {
  const bad = (patch: Record<string, unknown>) =>
    configProblems({ ...DEFAULT_ACOUSTIC, ...patch } as AcousticConfig).join('\n');

  it.each([
    [{ channels: 0 }, /channels must be a positive integer, got 0/],
    [{ channels: 12.5 }, /channels must be a positive integer, got 12.5/],
    [{ channels: '256' }, /channels must be a positive integer, got 256/],
    [{ featureBins: -80 }, /featureBins must be a positive integer/],
    [{ vocabSize: undefined }, /vocabSize must be a positive integer, got undefined/],
    [{ subsampleKernel: 0 }, /subsampleKernel must be a positive integer/],
    [{ kernel: Number.NaN }, /kernel must be a positive integer, got NaN/],
    [{ blocks: 3 }, /blockRightContext needs one entry per block \(3\)/],
    [{ blockRightContext: null }, /blockRightContext needs one entry per block/],
    [
      { blocks: 2, blockRightContext: [0, 15] },
      /blockRightContext entries must be integers in \[0, kernel\)/,
    ],
    [{ blocks: 2, blockRightContext: [-1, 0] }, /blockRightContext entries/],
    [{ blocks: 2, blockRightContext: [0.5, 0] }, /blockRightContext entries/],
    [{ subsampleStrides: [2] }, /subsampleStrides needs 2 integers in \[1, subsampleKernel\]/],
    [{ subsampleStrides: [2, 0] }, /subsampleStrides needs 2 integers/],
    [{ subsampleStrides: [4, 1] }, /subsampleStrides needs 2 integers/],
    [{ subsampleStrides: [1.5, 1] }, /subsampleStrides needs 2 integers/],
    [{ subsampleStrides: undefined }, /subsampleStrides needs 2 integers/],
    [{ subsampleRightContext: 3 }, /subsampleRightContext must be an integer in \[0, subsampleKernel\)/],
    [{ subsampleRightContext: -1 }, /subsampleRightContext/],
    [{ subsampleRightContext: undefined }, /subsampleRightContext/],
    [{ hopMs: 0 }, /hopMs must be > 0, got 0/],
    [{ hopMs: Number.NaN }, /hopMs must be > 0/],
    [{ dropout: 1 }, /dropout must be in \[0, 1\), got 1/],
    [{ dropout: -0.1 }, /dropout must be in \[0, 1\)/],
    [{ dropout: undefined }, /dropout must be in \[0, 1\)/],
    [{ layerNormEps: 0 }, /layerNormEps must be > 0/],
  ])('rejects %j', (patch, message) => {
    expect(bad(patch)).toMatch(message);
  });

  it('lists every problem, not just the first', () => {
    const problems = configProblems({
      ...DEFAULT_ACOUSTIC,
      channels: 0,
      dropout: 2,
      layerNormEps: -1,
    });
    expect(problems).toHaveLength(3);
  });
});
