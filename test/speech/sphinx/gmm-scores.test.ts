import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GMM_SCORING } from '../../../src-main/speech/sphinx/gmm-scores.js';
import { ContextPhoneScorer } from '../../../src-main/speech/sphinx/context-scores.js';
import {
  DEFAULT_SPHINX_FEATURES,
  SphinxFeaturizer,
  sphinxFeatures,
  type SphinxFrames,
} from '../../../src-main/speech/sphinx/sphinx-features.js';
import { centredMfcc } from '../../../src-main/speech/sphinx/mfcc.js';
import { HAVE_CLIPS, HAVE_MODEL, HAVE_NUMPY, MODEL_DIR, PYTHON, enUsModel, readClip } from './helpers.js';

const REFERENCE = fileURLToPath(new URL('./reference.py', import.meta.url));

interface Reference {
  phones: string[];
  features: number[][]; // [T][39]
  posteriors: number[][]; // [T][42] full mixtures
  topPosteriors: number[][]; // [T][42] top-4 mixtures
  densityLl: number[][]; // [F][42 * 3 * 128]
  senones: number[][]; // [F][42 * 3]
  detailPosteriors: number[][]; // [F][42]
  topIndex: number[][]; // [F][42 * 3 * 4] best first
  topSenones: number[][]; // [F][42 * 3]
  topDetailPosteriors: number[][]; // [F][42]
  contextPosteriors: number[][]; // [F][42] each phone's likeliest senone, any context
}

/** Largest |a - b| / max(1, |b|). */
function maxRelError(a: ArrayLike<number>, b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

const rows = (a: Float32Array, width: number): number[][] =>
  Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));

// The reference is numpy under the system Python, reading the Debian model and clips itself; without any of
// them there is nothing independent to compare with.
describe.skipIf(!HAVE_MODEL || !HAVE_CLIPS || !HAVE_NUMPY)(
  'sphinx scores against the numpy reference',
  () => {
    // 7.1 s: long enough for live CMN to have moved far from -cmninit.
    const clip = 'sense_and_sensibility_01_austen_64kb-0870';
    let featurizer: SphinxFeaturizer; // full mixtures
    let topFeaturizer: SphinxFeaturizer; // the default: top-4 mixtures
    let ours: SphinxFrames;
    let oursTop: SphinxFrames;
    let ref: Reference;
    const detail = [0, 1, 2, 50, 120, 300, 301, 450, 650, 708, 709, 710];

    beforeAll(() => {
      const scoring = { ...DEFAULT_GMM_SCORING, topN: 'all' as const };
      featurizer = new SphinxFeaturizer(enUsModel(), { ...DEFAULT_SPHINX_FEATURES, scoring });
      topFeaturizer = new SphinxFeaturizer(enUsModel());
      const x = readClip(clip);
      ours = sphinxFeatures(x, featurizer);
      oursTop = sphinxFeatures(x, topFeaturizer);
      const cepstra = centredMfcc(x, featurizer.model.frontEnd);
      const input = JSON.stringify({
        modelDir: MODEL_DIR,
        cmn: featurizer.config.cmn,
        topN: topFeaturizer.scorer.topN,
        cepstra: rows(cepstra.data, 13),
        features: detail.map((t) => Array.from(ours.features.subarray(t * 39, (t + 1) * 39))),
      });
      const r = spawnSync(PYTHON, [REFERENCE], { input, maxBuffer: 1 << 28, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`reference.py failed: ${r.stderr}`);
      ref = JSON.parse(r.stdout) as Reference;
    });

    it('scores the same 42 phones over the same 711 frames', () => {
      expect(ref.phones).toEqual(featurizer.phoneNames);
      expect([ours.frames, ref.features.length, ref.posteriors.length]).toEqual([711, 711, 711]);
    });

    it('live CMN and Δ, ΔΔ: identical feature vectors', () => {
      // Both round to float32 where the TypeScript stores float32, from the same cepstra: equal to the bit.
      expect(maxRelError(ours.features, ref.features.flat())).toBe(0);
    });

    it('Gaussian log-likelihoods of all 42 × 3 × 128 densities agree to float64 rounding', () => {
      const ll = new Float64Array(42 * 3 * 128);
      detail.forEach((t, k) => {
        featurizer.scorer.densityLogLikelihoods(ours.features, t * 39, ll);
        expect(maxRelError(ll, ref.densityLl[k])).toBeLessThan(1e-13);
      });
    });

    it('CI senone scores and phone log-posteriors agree', () => {
      const ll = new Float64Array(42 * 3 * 128);
      const senones = new Float64Array(42 * 3);
      const post = new Float32Array(42);
      detail.forEach((t, k) => {
        featurizer.scorer.densityLogLikelihoods(ours.features, t * 39, ll);
        featurizer.scorer.senoneScores(ll, senones);
        // The exp approximation (4e-14 relative) is the only difference beyond float64 rounding.
        expect(maxRelError(senones, ref.senones[k])).toBeLessThan(1e-12);
        featurizer.scorer.phoneLogPosteriors(senones, post, 0);
        expect(maxRelError(post, ref.detailPosteriors[k])).toBeLessThan(1e-6); // float32 output
      });
    });

    it('the whole posteriorgram agrees to float32 rounding', () => {
      expect(maxRelError(ours.data, ref.posteriors.flat())).toBeLessThan(1e-6);
    });

    it('top-4 mixtures: the same densities, senone scores and posteriors', () => {
      const scorer = topFeaturizer.scorer;
      expect(scorer.topN).toBe(4);
      const index = new Int32Array(42 * 3 * 4);
      const ll = new Float64Array(42 * 3 * 4);
      const senones = new Float64Array(42 * 3);
      const post = new Float32Array(42);
      detail.forEach((t, k) => {
        scorer.topDensities(oursTop.features, t * 39, index, ll);
        expect(Array.from(index)).toEqual(ref.topIndex[k]);
        const want = Array.from(index, (d, j) => ref.densityLl[k][Math.floor(j / 4) * 128 + d]);
        expect(maxRelError(ll, want)).toBeLessThan(1e-13);
        scorer.topSenoneScores(index, ll, senones);
        expect(maxRelError(senones, ref.topSenones[k])).toBeLessThan(1e-12);
        scorer.phoneLogPosteriors(senones, post, 0);
        expect(maxRelError(post, ref.topDetailPosteriors[k])).toBeLessThan(1e-6);
      });
      expect(maxRelError(oursTop.data, ref.topPosteriors.flat())).toBeLessThan(1e-6);
    });

    it("phone contexts: each phone's likeliest senone of any context, as the reference finds it", () => {
      const scorer = topFeaturizer.scorer;
      const contexts = new ContextPhoneScorer(enUsModel(), scorer);
      const post = new Float32Array(42);
      const ci = new Float32Array(42);
      let compared = 0;
      detail.forEach((t, k) => {
        scorer.score(oursTop.features, t * 39, ci, 0);
        contexts.score(scorer, post, 0);
        ref.contextPosteriors[k].forEach((want, p) => {
          expect(Math.abs(post[p] - want) / Math.max(1, Math.abs(want))).toBeLessThan(1e-6);
          compared++;
        });
        expect(Math.max(...post)).toBeLessThanOrEqual(0); // log-posteriors
      });
      expect(compared).toBeGreaterThan(detail.length * 10);
    });
  },
);
