import { describe, expect, it } from 'vitest';
import {
  classDecodingToJson,
  parseClassDecoding,
  PriorEstimator,
} from '../../src-main/speech/class-priors.js';

describe('PriorEstimator', () => {
  it("gives each class's mean posterior over every frame added, as a log", () => {
    const est = new PriorEstimator(3);
    // Two utterances: frames [0.5, 0.25, 0.25] and [1, 0, 0] (the zero as a log-probability of -Infinity).
    est.add(Float32Array.from([0.5, 0.25, 0.25].map(Math.log)), 1);
    est.add(Float32Array.from([1, 0, 0, 1, 0, 0].map(Math.log)), 2);
    const priors = Array.from(est.logPriors(), Math.exp);
    expect(est.framesSeen).toBe(3);
    expect(priors[0]).toBeCloseTo(2.5 / 3, 6);
    expect(priors[1]).toBeCloseTo(0.25 / 3, 6);
    expect(priors.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('gives a class never emitted a thousandth of one frame’s worth, not minus infinity', () => {
    const est = new PriorEstimator(2);
    est.add(Float32Array.from([0, -Infinity, 0, -Infinity]), 2);
    expect(est.logPriors()[1]).toBeCloseTo(Math.log(1e-3 / 2), 5);
  });

  it('refuses rows that do not hold the frames, and an estimate from nothing', () => {
    expect(() => new PriorEstimator(3).add(new Float32Array(5), 2)).toThrow(/cannot hold 2 frames of 3/);
    expect(() => new PriorEstimator(3).logPriors()).toThrow(/no frames/);
  });
});

describe('parseClassDecoding', () => {
  const good = {
    logPriors: [-0.1, -3, -4],
    priorScale: 0.4,
    lmWeight: 1.2,
    wordBonus: 0,
    source: 'real-train',
  };

  it('reads what classDecodingToJson writes', () => {
    const d = parseClassDecoding(good, 3);
    expect(Array.from(d.logPriors)).toEqual([-0.1, -3, -4].map(Math.fround));
    expect(classDecodingToJson(d)).toEqual(good);
  });

  it('names the field that is wrong', () => {
    expect(() => parseClassDecoding([], 3)).toThrow(/"decoding" must be an object/);
    expect(() => parseClassDecoding({ ...good, logPriors: [-1, -1] }, 3)).toThrow(
      /one value per class \(3\)/,
    );
    expect(() => parseClassDecoding({ ...good, logPriors: [-1, 0.5, -1] }, 3)).toThrow(/≤ 0/);
    expect(() => parseClassDecoding({ ...good, logPriors: [-1, null, -1] }, 3)).toThrow(/finite numbers/);
    expect(() => parseClassDecoding({ ...good, priorScale: -1 }, 3)).toThrow(
      /priorScale must be a number ≥ 0, got -1/,
    );
    expect(() => parseClassDecoding({ ...good, lmWeight: 'high' }, 3)).toThrow(/lmWeight .* got "high"/);
    expect(() => parseClassDecoding({ ...good, wordBonus: undefined }, 3)).toThrow(/wordBonus/);
  });
});
