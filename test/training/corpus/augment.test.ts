import { describe, expect, it } from 'vitest';
import {
  activePower,
  DEFAULT_AUGMENT_CONFIG,
  drawAugmentation,
  finishSamples,
  makeNoise,
  soxEffects,
  type Augmentation,
} from '../../../src-main/training/corpus/augment.js';
import { rngFor } from '../../../src-main/training/corpus/random.js';

const SR = 16000;
const power = (x: Float32Array, from = 0, to = x.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return s / (to - from);
};
const tone = (seconds: number, amplitude: number) =>
  Float32Array.from(
    { length: Math.round(seconds * SR) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * 220 * i) / SR),
  );

describe('augmentation draws', () => {
  it('are fixed by the seed, differ between seeds, and stay in range', () => {
    const a = drawAugmentation(rngFor(1, 'u'));
    expect(drawAugmentation(rngFor(1, 'u'))).toEqual(a);
    const many = Array.from({ length: 400 }, (_, i) => drawAugmentation(rngFor(1, i)));
    expect(new Set(many.map((m) => JSON.stringify(m))).size).toBe(400);
    const c = DEFAULT_AUGMENT_CONFIG;
    for (const m of many) {
      if (m.pitchCents !== 0) expect(Math.abs(m.pitchCents)).toBeLessThanOrEqual(c.pitchCents[1]);
      expect(m.tempo).toBeGreaterThanOrEqual(c.tempo[0]);
      expect(m.tempo).toBeLessThanOrEqual(c.tempo[1]);
      expect(m.peakDb).toBeGreaterThanOrEqual(c.peakDb[0]);
      expect(m.peakDb).toBeLessThanOrEqual(c.peakDb[1]);
      if (m.noise) expect(m.noise.snrDb).toBeGreaterThanOrEqual(c.snrDb[0]);
      if (m.eq) expect(m.eq.freqHz).toBeLessThanOrEqual(c.eqFreqHz[1]);
    }
    // Each effect is used roughly as often as its probability says.
    const share = (f: (m: Augmentation) => boolean) => many.filter(f).length / many.length;
    expect(share((m) => m.noise !== null)).toBeCloseTo(c.noiseProbability, 1);
    expect(share((m) => m.reverb !== null)).toBeCloseTo(c.reverbProbability, 1);
    expect(share((m) => m.eq !== null)).toBeCloseTo(c.eqProbability, 1);
  });

  it('become sox effects in a fixed order, always ending at the target rate', () => {
    const a: Augmentation = {
      pitchCents: -120,
      tempo: 1.1,
      eq: { freqHz: 1000, q: 1.2, gainDb: 6 },
      band: { highpassHz: 200, lowpassHz: 3400 },
      reverb: { reverberance: 40, roomScale: 60 },
      noise: null,
      peakDb: -3,
      padStartMs: 100,
      padEndMs: 100,
    };
    expect(soxEffects(a, 16000).join(' ')).toBe(
      'remix - vol 0.25 highpass 200 lowpass 3400 equalizer 1000 1.2q 6 pitch -120 tempo -s 1.1 reverb 40 50 60 rate -v 16000',
    );
    const plain = { ...a, pitchCents: 0, tempo: 1, eq: null, band: null, reverb: null };
    expect(soxEffects(plain, 16000).join(' ')).toBe('remix - vol 0.25 rate -v 16000');
  });
});

describe('finishing samples', () => {
  const base: Augmentation = {
    pitchCents: 0,
    tempo: 1,
    eq: null,
    band: null,
    reverb: null,
    noise: null,
    peakDb: -6,
    padStartMs: 250,
    padEndMs: 400,
  };

  it('pads with silence and sets the peak level', () => {
    const speech = tone(1, 0.3);
    const out = finishSamples(speech, base, SR, rngFor(1));
    expect(out.length).toBe(speech.length + 0.25 * SR + 0.4 * SR);
    expect(power(out, 0, 0.25 * SR)).toBe(0);
    const peak = out.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(20 * Math.log10(peak)).toBeCloseTo(-6, 3);
  });

  it('adds noise at the drawn signal-to-noise ratio', () => {
    for (const color of ['white', 'pink', 'brown'] as const) {
      const speech = tone(2, 0.3);
      const a = { ...base, padStartMs: 1000, padEndMs: 1000, noise: { color, snrDb: 15 } };
      const out = finishSamples(speech, a, SR, rngFor(2, color));
      const start = SR;
      // The pads hold noise alone; the middle holds tone + noise (independent, so powers add).
      const noisePower = (power(out, 0, start) + power(out, start + speech.length, out.length)) / 2;
      const speechPower = power(out, start, start + speech.length) - noisePower;
      expect(10 * Math.log10(speechPower / noisePower)).toBeGreaterThan(13);
      expect(10 * Math.log10(speechPower / noisePower)).toBeLessThan(17);
    }
  });

  it('measures speech power on the active frames, not the pauses', () => {
    const burst = new Float32Array(3 * SR);
    burst.set(tone(1, 0.5), SR);
    expect(activePower(burst, SR)).toBeCloseTo(0.125, 2); // a sine's power is A²/2
  });

  it('colours noise: brown and pink have more low-frequency weight than white', () => {
    // Lag-1 autocorrelation is a cheap measure of low-frequency weight.
    const lag1 = (x: Float32Array) => {
      let num = 0;
      for (let i = 1; i < x.length; i++) num += x[i] * x[i - 1];
      return num / (power(x) * (x.length - 1));
    };
    const white = lag1(makeNoise(SR, 'white', rngFor(3)));
    const pink = lag1(makeNoise(SR, 'pink', rngFor(3)));
    const brown = lag1(makeNoise(SR, 'brown', rngFor(3)));
    expect(Math.abs(white)).toBeLessThan(0.05);
    expect(pink).toBeGreaterThan(0.3);
    expect(brown).toBeGreaterThan(pink);
  });
});
