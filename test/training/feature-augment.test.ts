// Feature-domain augmentation: speed resampling, mel warping, SpecAugment masks within their bounds, and
// reproducibility from a seeded random source.
import { describe, expect, it } from 'vitest';
import {
  addReverb,
  augment,
  type AugmentConfig,
  changeSpeed,
  DEFAULT_AUGMENT,
  limitBand,
  specAugment,
  warpFrequency,
} from '../../src-main/training/feature-augment.js';
import { DEFAULT_FEATURES, melCentresHz } from '../../src-main/speech/features.js';
import { maxAbsDiff, randomFeatures, seeded } from './helpers-tf.js';

/** [T, F] with x[t, f] = t + f / 100: both axes readable from the value. */
function ramp(T: number, F: number): Float32Array {
  const x = new Float32Array(T * F);
  for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) x[t * F + f] = t + f / 100;
  return x;
}

/** Columns (bins) and rows (frames) whose every value equals `v`. */
function maskedBins(x: Float32Array, T: number, F: number, v: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < F; f++) {
    let all = true;
    for (let t = 0; t < T && all; t++) all = x[t * F + f] === v;
    if (all) out.push(f);
  }
  return out;
}
function maskedFrames(x: Float32Array, T: number, F: number, v: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) if (x.subarray(t * F, (t + 1) * F).every((y) => y === v)) out.push(t);
  return out;
}
function mean(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v;
  return Math.fround(s / x.length);
}
/** Lengths of the runs of consecutive numbers in a sorted list. */
function runs(sorted: number[]): number[] {
  const out: number[] = [];
  sorted.forEach((v, i) => (i > 0 && v === sorted[i - 1] + 1 ? out[out.length - 1]++ : out.push(1)));
  return out;
}

describe('changeSpeed', () => {
  it('changes the length by 1 / factor and resamples the time axis linearly', () => {
    const [T, F] = [200, 3];
    const x = ramp(T, F);
    for (const factor of [0.9, 0.95, 1.05, 1.1, 1.5, 0.5]) {
      const { data, frames } = changeSpeed(x, T, F, factor);
      expect(frames).toBe(Math.round(T / factor));
      expect(data.length).toBe(frames * F);
      for (let t = 0; t < frames; t++) {
        const src = Math.min(T - 1, t * factor); // where output frame t reads from
        for (let f = 0; f < F; f++) expect(data[t * F + f]).toBeCloseTo(src + f / 100, 4);
      }
    }
  });

  it('returns the input itself at factor 1, and at least one frame', () => {
    const x = ramp(5, 2);
    expect(changeSpeed(x, 5, 2, 1).data).toBe(x);
    expect(changeSpeed(ramp(1, 2), 1, 2, 3).frames).toBe(1);
  });
});

describe('warpFrequency', () => {
  it('keeps the shape and moves bin f to read from f / factor', () => {
    const [T, F] = [4, 20];
    const x = ramp(T, F);
    for (const factor of [0.9, 1.1]) {
      const y = warpFrequency(x, T, F, factor);
      expect(y.length).toBe(x.length);
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++)
          expect(y[t * F + f]).toBeCloseTo(t + Math.min(F - 1, f / factor) / 100, 5);
    }
    expect(warpFrequency(x, T, F, 1)).toBe(x);
  });
});

describe('specAugment', () => {
  const cfg: AugmentConfig = {
    ...DEFAULT_AUGMENT,
    freqMasks: 2,
    freqMaskBins: 6,
    timeMasksPerSecond: 2,
    timeMaskFrames: 15,
    maxTimeMaskFraction: 0.2,
  };

  it('masks with the utterance mean, never more than the config allows', () => {
    const [T, F] = [300, 24];
    let maskedSomething = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const x = randomFeatures(T, F, seed);
      const m = mean(x);
      specAugment(x, T, F, cfg, seeded(seed));
      const bins = maskedBins(x, T, F, m);
      const frames = maskedFrames(x, T, F, m);
      expect(bins.length).toBeLessThanOrEqual(cfg.freqMasks * cfg.freqMaskBins);
      for (const r of runs(bins)) expect(r).toBeLessThanOrEqual(cfg.freqMasks * cfg.freqMaskBins);
      // Time: at most maxTimeMaskFraction of the frames, in at most T/100·timeMasksPerSecond masks.
      expect(frames.length).toBeLessThanOrEqual(Math.floor(T * cfg.maxTimeMaskFraction));
      expect(runs(frames).length).toBeLessThanOrEqual(Math.round((T / 100) * cfg.timeMasksPerSecond));
      // Every value that changed became the mean, and only masked bins/frames changed.
      const original = randomFeatures(T, F, seed);
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) {
          const i = t * F + f;
          if (x[i] !== original[i]) {
            expect(x[i]).toBe(m);
            expect(bins.includes(f) || frames.includes(t)).toBe(true);
          }
        }
      if (bins.length > 0 && frames.length > 0) maskedSomething++;
    }
    expect(maskedSomething).toBeGreaterThan(30); // masks do happen
  });

  it('masks nothing in time on a clip shorter than one mask per second allows', () => {
    const [T, F] = [20, 8]; // 0.2 s: round(0.2 × 2) = 0 time masks
    const x = randomFeatures(T, F, 1);
    specAugment(x, T, F, { ...cfg, freqMasks: 0 }, seeded(1));
    expect(maxAbsDiff(x, randomFeatures(T, F, 1))).toBe(0);
  });
});

describe('augment', () => {
  it('is reproducible from the seed and different for another seed', () => {
    const [T, F] = [180, 16];
    const x = randomFeatures(T, F, 3);
    const copy = x.slice();
    const a = augment(x, T, F, DEFAULT_AUGMENT, seeded(42));
    const b = augment(x, T, F, DEFAULT_AUGMENT, seeded(42));
    const c = augment(x, T, F, DEFAULT_AUGMENT, seeded(43));
    expect(a.frames).toBe(b.frames);
    expect(maxAbsDiff(a.data, b.data)).toBe(0);
    expect(a.frames !== c.frames || maxAbsDiff(a.data, c.data) > 0).toBe(true);
    expect(maxAbsDiff(x, copy)).toBe(0); // the cached features are never modified
  });

  it('keeps the length within the speed range and the data consistent with it', () => {
    const [T, F] = [200, 10];
    const x = randomFeatures(T, F, 5);
    const [lo, hi] = DEFAULT_AUGMENT.speed;
    for (let seed = 0; seed < 40; seed++) {
      const r = augment(x, T, F, DEFAULT_AUGMENT, seeded(seed));
      expect(r.data.length).toBe(r.frames * F);
      expect(r.frames).toBeGreaterThanOrEqual(Math.round(T / hi));
      expect(r.frames).toBeLessThanOrEqual(Math.round(T / lo));
    }
  });

  it('with every augmentation off, returns a copy equal to the input', () => {
    const off: AugmentConfig = {
      ...DEFAULT_AUGMENT,
      speed: [1, 1],
      warp: [1, 1],
      freqMasks: 0,
      timeMasksPerSecond: 0,
    };
    const x = randomFeatures(50, 8, 1);
    const r = augment(x, 50, 8, off, seeded(1));
    expect(r.frames).toBe(50);
    expect(r.data).not.toBe(x);
    expect(maxAbsDiff(r.data, x)).toBe(0);
  });
});

describe('limitBand', () => {
  it('sets every bin above the cut-off to the floor, in every frame, and leaves the rest', () => {
    const [T, F] = [4, 80];
    const x = randomFeatures(T, F, 3);
    const before = x.slice();
    const centres = melCentresHz(DEFAULT_FEATURES);
    limitBand(x, T, F, 4000, -17, centres);
    const first = centres.findIndex((hz) => hz > 4000);
    expect(first).toBeGreaterThan(50);
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++) expect(x[t * F + f]).toBe(f >= first ? -17 : before[t * F + f]);
  });

  it('is drawn for about the share of utterances asked, and not at all when the share is 0', () => {
    const [T, F] = [20, 80];
    const cfg: AugmentConfig = {
      ...DEFAULT_AUGMENT,
      speed: [1, 1],
      warp: [1, 1],
      freqMasks: 0,
      timeMasksPerSecond: 0,
      bandLimit: { probability: 0.3, cutoffHz: [4000, 5000], floorLog: -17 },
    };
    const limited = (c: AugmentConfig, seed: number) =>
      augment(randomFeatures(T, F, seed), T, F, c, seeded(seed)).data[F - 1] === -17;
    const seeds = Array.from({ length: 400 }, (_, i) => i + 1);
    const share = seeds.filter((s) => limited(cfg, s)).length / seeds.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    const off = { ...cfg, bandLimit: { ...cfg.bandLimit, probability: 0 } };
    expect(seeds.some((s) => limited(off, s))).toBe(false);
  });
});

describe('addReverb', () => {
  const centres = melCentresHz(DEFAULT_FEATURES);
  /** One impulse at frame 10 in every bin over a silent floor, [T, F]. */
  function impulse(T: number, F: number): Float32Array {
    const x = new Float32Array(T * F).fill(Math.log(1e-9));
    for (let f = 0; f < F; f++) x[10 * F + f] = 0;
    return x;
  }

  it("an impulse keeps its direct sound and rings on with the tail's energy, decaying 60 dB over RT60", () => {
    const [T, F] = [200, 80];
    const x = impulse(T, F);
    addReverb(x, T, F, 0.5, 0, 0.01, centres);
    for (let f = 0; f < F; f += 13) {
      const at = (t: number) => Math.exp(x[t * F + f]);
      // Nothing before the sound (causal): before it, only the floor and its own reverberation (at most
      // as much again, tailDb 0); the direct sound unchanged.
      expect(at(0) / 1e-9).toBeCloseTo(1, 5);
      expect(at(9)).toBeLessThan(2.0001e-9);
      expect(at(10)).toBeCloseTo(1, 6);
      // The tail's energy equals the direct sound's (tailDb 0), within what the 200 frames cut off.
      let tail = 0;
      for (let t = 11; t < T; t++) tail += at(t) - 2e-9;
      expect(tail).toBeGreaterThan(0.97);
      expect(tail).toBeLessThan(1.0001);
      // Decay rate: 60 dB over this bin's RT60 (0.5 s at 0 Hz, 40% shorter at 8 kHz).
      const rt60 = 0.5 * (1 - 0.4 * Math.min(1, centres[f] / 8000));
      const dbPerFrame = 10 * Math.log10(at(20) / at(21));
      expect(dbPerFrame).toBeCloseTo((60 * 0.01) / rt60, 3);
    }
    // High bins die away faster than low ones.
    expect(x[60 * F + 79]).toBeLessThan(x[60 * F + 0]);
  });

  it('a louder tail for a higher tailDb, only the log-mel bins touched', () => {
    const [T, F, M] = [100, 122, 80];
    const quiet = impulse(T, F);
    const loud = impulse(T, F);
    addReverb(quiet, T, F, 0.4, -8, 0.01, centres, M);
    addReverb(loud, T, F, 0.4, 2, 0.01, centres, M);
    // 10 dB more tail energy: every tail frame is 10 dB louder.
    expect(10 * Math.log10(Math.exp(loud[30 * F] - quiet[30 * F]))).toBeCloseTo(10, 3);
    const untouched = impulse(T, F);
    for (let t = 0; t < T; t++)
      for (let f = M; f < F; f++) expect(loud[t * F + f]).toBe(untouched[t * F + f]);
  });

  it('is drawn for the share asked, and a run without it draws the same as before it existed', () => {
    const [T, F] = [40, 80];
    const cfg: AugmentConfig = {
      ...DEFAULT_AUGMENT,
      reverb: { ...DEFAULT_AUGMENT.reverb, probability: 0.5 },
    };
    const seeds = Array.from({ length: 200 }, (_, i) => i + 1);
    const plain = { ...DEFAULT_AUGMENT, speed: [1, 1] as [number, number], warp: [1, 1] as [number, number] };
    const noMasks = { ...plain, freqMasks: 0, timeMasksPerSecond: 0 };
    const reverbed = seeds.filter((s) => {
      const x = randomFeatures(T, F, s);
      const r = augment(x, T, F, { ...noMasks, reverb: cfg.reverb }, seeded(s));
      return maxAbsDiff(r.data, x) > 0;
    }).length;
    expect(reverbed / seeds.length).toBeGreaterThan(0.38);
    expect(reverbed / seeds.length).toBeLessThan(0.62);
    // Off (the default), it draws nothing: the result is speed, warp and masks from the same draws.
    const x = randomFeatures(T, F, 9);
    const rand = seeded(3);
    const u = (r: [number, number]) => r[0] + rand() * (r[1] - r[0]);
    const sped = changeSpeed(x, T, F, u(DEFAULT_AUGMENT.speed));
    const want = warpFrequency(sped.data, sped.frames, F, u(DEFAULT_AUGMENT.warp));
    specAugment(want, sped.frames, F, DEFAULT_AUGMENT, rand);
    expect(augment(x, T, F, DEFAULT_AUGMENT, seeded(3)).data).toEqual(want);
  });
});

describe('augment with phone posteriors beside or instead of log-mel', () => {
  const T = 150;
  /** [T, F]: log-mel-like values in the first melBins bins, phone log-posteriors in [-30, 0] after them. */
  function frames(F: number, melBins: number, seed: number): Float32Array {
    const rand = seeded(seed);
    const x = new Float32Array(T * F);
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++) x[t * F + f] = f < melBins ? -10 + 15 * rand() : -30 * rand();
    return x;
  }
  /** Bins lo..hi-1 of every frame of [frames, F]. */
  function bins(x: Float32Array, F: number, lo: number, hi: number): Float32Array {
    const T = x.length / F;
    const out = new Float32Array(T * (hi - lo));
    for (let t = 0; t < T; t++) out.set(x.subarray(t * F + lo, t * F + hi), t * (hi - lo));
    return out;
  }
  const frequencyOnly: AugmentConfig = {
    ...DEFAULT_AUGMENT,
    speed: [1, 1],
    warp: [0.9, 1.1],
    freqMasks: 2,
    timeMasksPerSecond: 0,
    bandLimit: { probability: 1, cutoffHz: [3800, 5500], floorLog: -17 },
  };

  it('log-mel alone: melBins = F is the default, bit for bit', () => {
    const F = 80;
    const x = frames(F, F, 1);
    const cfg = { ...DEFAULT_AUGMENT, bandLimit: { ...DEFAULT_AUGMENT.bandLimit, probability: 0.5 } };
    for (let seed = 0; seed < 10; seed++) {
      const a = augment(x, T, F, cfg, seeded(seed));
      const b = augment(x, T, F, cfg, seeded(seed), F);
      expect(b.frames).toBe(a.frames);
      expect(b.data).toEqual(a.data);
    }
  });

  it('log-mel + phones: warp, band limit and frequency masks leave the phone bins alone', () => {
    const [F, M] = [122, 80];
    const x = frames(F, M, 2);
    for (let seed = 0; seed < 10; seed++) {
      const r = augment(x, T, F, frequencyOnly, seeded(seed), M);
      expect(r.frames).toBe(T);
      expect(bins(r.data, F, M, F)).toEqual(bins(x, F, M, F));
      expect(maxAbsDiff(bins(r.data, F, 0, M), bins(x, F, 0, M))).toBeGreaterThan(0);
      // The band limit floors the top mel bins, which the phone bins must not be mistaken for.
      expect(r.data[M - 1]).toBe(-17);
    }
  });

  it('phones alone: no frequency-axis operation applies', () => {
    const F = 42;
    const x = frames(F, 0, 3);
    for (let seed = 0; seed < 10; seed++) {
      const r = augment(x, T, F, frequencyOnly, seeded(seed), 0);
      expect(r.data).toEqual(x);
      expect(r.data).not.toBe(x);
    }
  });

  it('speed perturbation resamples every bin, phones included', () => {
    const [F, M] = [122, 80];
    const x = frames(F, M, 4);
    const speedOnly = {
      ...frequencyOnly,
      speed: [0.9, 1.1] as [number, number],
      warp: [1, 1] as [number, number],
    };
    const noBand = { ...speedOnly, freqMasks: 0, bandLimit: { ...speedOnly.bandLimit, probability: 0 } };
    const r = augment(x, T, F, noBand, seeded(5), M);
    const factor = 0.9 + seeded(5)() * 0.2; // the first draw is the speed
    const want = changeSpeed(x, T, F, factor);
    expect(r.frames).toBe(want.frames);
    expect(r.frames).not.toBe(T);
    expect(maxAbsDiff(r.data, want.data)).toBe(0);
  });

  it('time masks cover every bin, each part set to its own mean', () => {
    for (const [F, M] of [
      [122, 80],
      [42, 0],
    ]) {
      const x = frames(F, M, 6);
      const cfg: AugmentConfig = { ...DEFAULT_AUGMENT, freqMasks: 0, timeMasksPerSecond: 4 };
      const data = x.slice();
      specAugment(data, T, F, cfg, seeded(7), M);
      const mean = (lo: number, hi: number) => {
        let s = 0;
        for (let t = 0; t < T; t++) for (let f = lo; f < hi; f++) s += x[t * F + f];
        return Math.fround(s / (T * (hi - lo)));
      };
      const masked = Array.from({ length: T }, (_, t) => t).filter(
        (t) => data[t * F + F - 1] !== x[t * F + F - 1],
      );
      expect(masked.length).toBeGreaterThan(0);
      for (const t of masked) {
        for (let f = 0; f < M; f++) expect(data[t * F + f]).toBe(mean(0, M));
        for (let f = M; f < F; f++) expect(data[t * F + f]).toBe(mean(M, F));
      }
      for (let t = 0; t < T; t++)
        if (!masked.includes(t))
          expect(data.subarray(t * F, (t + 1) * F)).toEqual(x.subarray(t * F, (t + 1) * F));
    }
  });
});
