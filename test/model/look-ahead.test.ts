// Cutting a trained model's look-ahead: the depthwise taps keep their time offsets, so a model whose
// future taps are 0 computes exactly what it did, and the new model waits no longer than asked.
import { beforeAll, describe, expect, it } from 'vitest';
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import type { ModelFolder } from '../../src-main/model/checkpoint.js';
import {
  type AcousticConfig,
  blockLayout,
  DEFAULT_ACOUSTIC,
  lookAheadMs,
} from '../../src-main/model/config.js';
import { limitLookAhead } from '../../src-main/model/look-ahead.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import {
  maxAbsDiff,
  offlineLogProbs,
  randomFeatures,
  randomValues,
  useBackend,
} from '../training/helpers-tf.js';

/** A small model at 30 ms frames with look-ahead in four of its blocks, one of them two frames. */
const CFG: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  featureBins: 8,
  vocabSize: 6,
  channels: 12,
  subsampleStrides: [3, 1],
  blocks: 6,
  kernel: 5,
  blockRightContext: [1, 0, 1, 1, 0, 2],
};

function folderOf(acoustic: AcousticConfig, weights: Map<string, Float32Array>): ModelFolder {
  return {
    acoustic,
    features: { ...DEFAULT_FEATURES, nMels: acoustic.featureBins },
    stats: {
      mean: randomValues(acoustic.featureBins, 1, -6, -2),
      std: randomValues(acoustic.featureBins, 2, 1, 3),
    },
    alphabet: englishAlphabet(),
    weights,
    info: {},
  };
}

function logProbsOf(folder: ModelFolder, feats: Float32Array, T: number) {
  const model = new AcousticModel(folder.acoustic, folder.weights, folder.stats);
  try {
    return offlineLogProbs(model, feats, T, folder.acoustic.featureBins);
  } finally {
    model.dispose();
  }
}

beforeAll(() => useBackend('wasm'));

describe('limitLookAhead', () => {
  const T = 90;
  const feats = randomFeatures(T, CFG.featureBins, 4);

  it('makes the last look-ahead blocks causal until the model fits the budget', () => {
    const full = lookAheadMs(CFG);
    const cut = limitLookAhead(folderOf(CFG, initParams(CFG, 3)), full - 90);
    // Block 5 looked 2 frames ahead (60 ms) and block 3 one (30 ms): both become causal.
    expect(cut.acoustic.blockRightContext).toEqual([1, 0, 1, 0, 0, 0]);
    expect(lookAheadMs(cut.acoustic)).toBe(full - 90);
    expect(lookAheadMs(limitLookAhead(folderOf(CFG, initParams(CFG, 3)), full - 100).acoustic)).toBe(
      full - 120,
    );
  });

  it('computes exactly what the model did when the dropped taps were 0', () => {
    const weights = initParams(CFG, 5);
    const target = [1, 0, 1, 0, 0, 0];
    for (let b = 0; b < CFG.blocks; b++) {
      const drop = CFG.blockRightContext[b] - target[b];
      const taps = weights.get(`blocks.${b}.depthwise`)!; // [K, C]; the last `right` taps are the future
      taps.fill(0, (CFG.kernel - drop) * CFG.channels);
    }
    const before = folderOf(CFG, weights);
    const after = limitLookAhead(before, lookAheadMs(CFG) - 90);
    expect(after.acoustic.blockRightContext).toEqual(target);
    const a = logProbsOf(before, feats, T);
    const b = logProbsOf(after, feats, T);
    expect(b.frames).toBe(a.frames);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-5);
  });

  it('keeps each tap at its time offset, drops the future ones, and leaves other weights alone', () => {
    const before = folderOf(CFG, initParams(CFG, 7));
    const after = limitLookAhead(before, lookAheadMs(CFG) - 90);
    const C = CFG.channels;
    const K = CFG.kernel;
    const old5 = before.weights.get('blocks.5.depthwise')!;
    const new5 = after.weights.get('blocks.5.depthwise')!;
    // Block 5 goes from 2 frames of look-ahead to 0: tap k is tap k − 2 of before, the first two are 0.
    expect(Array.from(new5.subarray(0, 2 * C))).toEqual(new Array<number>(2 * C).fill(0));
    expect(new5.subarray(2 * C)).toEqual(old5.subarray(0, (K - 2) * C));
    expect(after.weights.get('blocks.0.depthwise')).toBe(before.weights.get('blocks.0.depthwise'));
    expect(after.weights.get('subsample.1.depthwise')).toBe(before.weights.get('subsample.1.depthwise'));
    // The input folder is not changed.
    expect(before.acoustic.blockRightContext).toEqual(CFG.blockRightContext);
    expect(before.weights.get('blocks.5.depthwise')).toBe(old5);
    // And a trained model without its future taps still gives finite log-probs of the same length.
    const out = logProbsOf(after, feats, T);
    expect(out.frames).toBe(logProbsOf(before, feats, T).frames);
    expect(out.data.every(Number.isFinite)).toBe(true);
  });

  it('returns the folder as it is when it already fits, and says when it cannot', () => {
    const folder = folderOf(CFG, initParams(CFG, 3));
    expect(limitLookAhead(folder, lookAheadMs(CFG))).toBe(folder);
    const subsampleOnly = lookAheadMs({ ...CFG, blockRightContext: new Array<number>(CFG.blocks).fill(0) });
    expect(() => limitLookAhead(folder, subsampleOnly - 1)).toThrow(
      new RegExp(
        `cannot be cut to ${subsampleOnly - 1} ms: its subsampling alone looks ${subsampleOnly} ms ahead`,
      ),
    );
  });
});

describe('blockLayout with a look-ahead budget', () => {
  it('fits the budget it is given, and says when the subsampling alone is over it', () => {
    const layout = blockLayout(16, [3, 1], 150);
    expect(lookAheadMs({ ...DEFAULT_ACOUSTIC, subsampleStrides: [3, 1], ...layout })).toBeLessThanOrEqual(
      150,
    );
    expect(() => blockLayout(16, [3, 1], 10)).toThrow(/look-ahead budget of 10 ms/);
  });
});
