// The top-N scorer: its selection is exact (what a full sort gives, whatever the previous frame was), the SIMD
// kernel computes the TypeScript's numbers to the bit, and full mixtures stay available.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CiPhoneScorer,
  DEFAULT_GMM_SCORING,
  type GmmScoringConfig,
} from '../../../src-main/speech/sphinx/gmm-scores.js';
import type { SphinxAcousticModel } from '../../../src-main/speech/sphinx/load-model.js';
import { haveWasmSimd } from '../../../src-main/speech/sphinx/simd-densities.js';
import { SphinxFeaturizer, sphinxFeatures } from '../../../src-main/speech/sphinx/sphinx-features.js';
import { HAVE_CLIPS, HAVE_MODEL, enUsModel, readClip } from './helpers.js';

const scorer = (model: SphinxAcousticModel, config: Partial<GmmScoringConfig> = {}): CiPhoneScorer =>
  new CiPhoneScorer(model, { ...DEFAULT_GMM_SCORING, ...config });

/** Block b's n likeliest densities by a full sort, ties to the lower index. */
function sortedTop(ll: Float64Array, b: number, nDensities: number, n: number): number[] {
  const o = b * nDensities;
  return Array.from({ length: nDensities }, (_, d) => d)
    .sort((p, q) => ll[o + q] - ll[o + p] || p - q)
    .slice(0, n);
}

/** Frames of `features` whose top-N selection differs from a full sort (index or value), scored in `order`. */
function selectionErrors(s: CiPhoneScorer, features: Float32Array, order: number[]): number {
  const blocks = s.nCodebooks * s.nStreams;
  const ll = new Float64Array(blocks * s.nDensities);
  const index = new Int32Array(blocks * s.topN);
  const top = new Float64Array(blocks * s.topN);
  let errors = 0;
  for (const t of order) {
    s.topDensities(features, t * s.featureDim, index, top);
    s.densityLogLikelihoods(features, t * s.featureDim, ll);
    for (let b = 0; b < blocks; b++) {
      const want = sortedTop(ll, b, s.nDensities, s.topN);
      for (let j = 0; j < s.topN; j++) {
        const got = index[b * s.topN + j];
        if (got !== want[j] || top[b * s.topN + j] !== ll[b * s.nDensities + got]) errors++;
      }
    }
  }
  return errors;
}

/** en-us with codebook 0's stream 0 densities 64..127 copies of 0..63: every one of them tied with another. */
function tiedModel(model: SphinxAcousticModel): SphinxAcousticModel {
  const copy = (data: Float32Array): Float32Array => {
    const out = data.slice();
    out.copyWithin(64 * 13, 0, 64 * 13);
    return out;
  };
  return {
    ...model,
    means: { ...model.means, data: copy(model.means.data) },
    variances: { ...model.variances, data: copy(model.variances.data) },
  };
}

/** en-us as one 39-dim stream per density (the three streams side by side), with stream 0's weights. */
function oneStreamModel(model: SphinxAcousticModel): SphinxAcousticModel {
  const join = (g: SphinxAcousticModel['means']): SphinxAcousticModel['means'] => {
    const data = new Float32Array(g.data.length);
    for (let cb = 0; cb < g.nCodebooks; cb++)
      for (let s = 0; s < 3; s++)
        for (let d = 0; d < 128; d++)
          for (let i = 0; i < 13; i++)
            data[((cb * 128 + d) * 3 + s) * 13 + i] = g.data[((cb * 3 + s) * 128 + d) * 13 + i];
    return { ...g, nStreams: 1, streamDims: [39], data };
  };
  const weights = model.mixtureWeights;
  const logWeights = (senones: readonly number[]): Float64Array => {
    const all = weights.logWeights(senones); // [senones, 3, 128]
    return Float64Array.from(
      { length: senones.length * 128 },
      (_, i) => all[Math.floor(i / 128) * 384 + (i % 128)],
    );
  };
  return {
    ...model,
    means: join(model.means),
    variances: join(model.variances),
    mixtureWeights: { ...weights, nStreams: 1, logWeights },
  };
}

describe.skipIf(!HAVE_MODEL || !HAVE_CLIPS)('top-N scoring', () => {
  let features: Float32Array; // [300, 39]
  let frames: number;
  beforeAll(() => {
    const f = sphinxFeatures(
      readClip('sense_and_sensibility_01_austen_64kb-0880'),
      new SphinxFeaturizer(enUsModel()),
    );
    features = f.features;
    frames = f.frames;
  });
  const forward = (): number[] => Array.from({ length: frames }, (_, t) => t);

  it.each([1, 4, 16])('selects exactly the top %i of a full sort on every frame', (n) => {
    expect(selectionErrors(scorer(enUsModel(), { topN: n }), features, forward())).toBe(0);
  });

  it('does not depend on the frame before: backwards and shuffled orders select the same', () => {
    const shuffled = forward().sort((a, b) => ((a * 7919) % frames) - ((b * 7919) % frames));
    expect(selectionErrors(scorer(enUsModel()), features, forward().reverse())).toBe(0);
    expect(selectionErrors(scorer(enUsModel(), { simd: false }), features, shuffled)).toBe(0);
  });

  it('breaks ties towards the lower index', () => {
    const s = scorer(tiedModel(enUsModel()), { topN: 8 });
    expect(selectionErrors(s, features, forward())).toBe(0);
    const index = new Int32Array(42 * 3 * 8);
    s.topDensities(features, 0, index, new Float64Array(index.length));
    // Each of block 0's top densities below 64 is followed at once by its copy, which ranks after it.
    const block0 = Array.from(index.subarray(0, 8));
    expect(block0.filter((d) => d >= 64)).toEqual(block0.filter((d) => d < 64).map((d) => d + 64));
  });

  it('top 128 of 128 is full mixtures, and full mixtures do not depend on the kernel', () => {
    const x = readClip('sense_and_sensibility_01_austen_64kb-0880');
    const run = (config: Partial<GmmScoringConfig>): Float32Array => {
      const f = new SphinxFeaturizer(enUsModel());
      Object.assign(f, { scorer: scorer(enUsModel(), config) });
      return sphinxFeatures(x, f).data;
    };
    const all = run({ topN: 'all' });
    expect(scorer(enUsModel(), { topN: 128 }).topN).toBe(128);
    expect(run({ topN: 128 })).toEqual(all);
    expect(run({ topN: 'all', simd: false })).toEqual(all);
    expect(run({ topN: 4 })).not.toEqual(all);
  });

  it('refuses a topN that is not a whole number ≥ 1, and caps one above the codebook size', () => {
    expect(() => scorer(enUsModel(), { topN: 0 })).toThrow(/topN 0 must be 'all' or a whole number ≥ 1/);
    expect(() => scorer(enUsModel(), { topN: 2.5 })).toThrow(/topN 2.5/);
    expect(scorer(enUsModel(), { topN: 1000 }).topN).toBe(128);
  });
});

describe.skipIf(!HAVE_MODEL || !HAVE_CLIPS || !haveWasmSimd())('the SIMD kernel', () => {
  let features: Float32Array;
  let frames: number;
  beforeAll(() => {
    const f = sphinxFeatures(
      readClip('sense_and_sensibility_01_austen_64kb-0880'),
      new SphinxFeaturizer(enUsModel()),
    );
    features = f.features;
    frames = f.frames;
  });

  /** Largest |SIMD - TypeScript| over every density of every frame. */
  function kernelDifference(model: SphinxAcousticModel): number {
    const [simd, ts] = [scorer(model), scorer(model, { simd: false })];
    expect([simd.usesSimd, ts.usesSimd]).toEqual([true, false]);
    const n = simd.nCodebooks * simd.nStreams * simd.nDensities;
    const [a, b] = [new Float64Array(n), new Float64Array(n)];
    let worst = 0;
    for (let t = 0; t < frames; t++) {
      simd.densityLogLikelihoods(features, t * 39, a);
      ts.densityLogLikelihoods(features, t * 39, b);
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  it('computes every density of en-us (three 13-dim streams) to the bit', () => {
    expect(kernelDifference(enUsModel())).toBe(0);
  });

  it('computes other stream widths to the bit too (one 39-dim stream), and selects from them exactly', () => {
    const model = oneStreamModel(enUsModel());
    expect(kernelDifference(model)).toBe(0);
    const order = Array.from({ length: frames }, (_, t) => t);
    expect(selectionErrors(scorer(model), features, order)).toBe(0);
  });

  it('gives the TypeScript posteriorgram to the bit', () => {
    const x = readClip('sense_and_sensibility_01_austen_64kb-0880');
    const f = new SphinxFeaturizer(enUsModel());
    const ts = new SphinxFeaturizer(enUsModel());
    Object.assign(ts, { scorer: scorer(enUsModel(), { simd: false }) });
    expect(f.scorer.usesSimd).toBe(true);
    expect(sphinxFeatures(x, f).data).toEqual(sphinxFeatures(x, ts).data);
  });
});
