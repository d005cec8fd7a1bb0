import type { Rng } from './random.js';

/** A closed range [min, max] of a parameter. */
export type Range = readonly [min: number, max: number];

/**
 * How utterances are varied after synthesis. Each effect is applied with its probability and a
 * value drawn uniformly from its range; the draws are recorded per utterance in the plan.
 */
export interface AugmentConfig {
  /** Pitch shift without tempo change, in cents (100 cents = a semitone). */
  pitchProbability: number;
  pitchCents: Range;
  /** Tempo change without pitch change, as a factor (speech-aware: sox `tempo -s`). */
  tempoProbability: number;
  tempo: Range;
  /** One peaking EQ band: a boosted or cut frequency region, like a cheap or odd microphone. */
  eqProbability: number;
  eqFreqHz: Range; // drawn log-uniformly
  eqQ: Range;
  eqGainDb: Range;
  /** Band limiting: high-pass and low-pass edges, from telephone-narrow to nearly full band. */
  bandProbability: number;
  highpassHz: Range;
  lowpassHz: Range;
  /** Room reverberation (sox `reverb`). */
  reverbProbability: number;
  reverberance: Range; // percent
  roomScale: Range; // percent
  /** Additive white, pink or brown noise at a signal-to-noise ratio measured on the speech. */
  noiseProbability: number;
  snrDb: Range;
  /** Output level: the peak sample ends up here. */
  peakDb: Range;
  /** Silence (noise, if any) before and after the speech, as a recording has. */
  padStartMs: Range;
  padEndMs: Range;
}

export const DEFAULT_AUGMENT_CONFIG: Readonly<AugmentConfig> = Object.freeze<AugmentConfig>({
  pitchProbability: 0.6,
  pitchCents: [-250, 250],
  tempoProbability: 0.5,
  tempo: [0.88, 1.15],
  eqProbability: 0.4,
  eqFreqHz: [150, 5000],
  eqQ: [0.5, 2.5],
  eqGainDb: [-12, 10],
  bandProbability: 0.25,
  highpassHz: [60, 300],
  lowpassHz: [3400, 7600],
  reverbProbability: 0.3,
  reverberance: [10, 60],
  roomScale: [20, 100],
  noiseProbability: 0.6,
  snrDb: [10, 40],
  peakDb: [-20, -1],
  padStartMs: [50, 400],
  padEndMs: [100, 500],
});

export type NoiseColor = 'white' | 'pink' | 'brown';

/** The augmentation drawn for one utterance; null or neutral values mean "not applied". */
export interface Augmentation {
  pitchCents: number;
  tempo: number;
  eq: { freqHz: number; q: number; gainDb: number } | null;
  band: { highpassHz: number; lowpassHz: number } | null;
  reverb: { reverberance: number; roomScale: number } | null;
  noise: { color: NoiseColor; snrDb: number } | null;
  peakDb: number;
  padStartMs: number;
  padEndMs: number;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const draw = (rng: Rng, [lo, hi]: Range, digits: number): number => round(rng.uniform(lo, hi), digits);

/**
 * Draws one utterance's augmentation. Every value is drawn whatever the coin flips say, so changing
 * one probability does not reshuffle the others.
 */
export function drawAugmentation(rng: Rng, c: AugmentConfig = DEFAULT_AUGMENT_CONFIG): Augmentation {
  const pitch = rng.chance(c.pitchProbability);
  const pitchCents = draw(rng, c.pitchCents, 0);
  const tempoOn = rng.chance(c.tempoProbability);
  const tempo = draw(rng, c.tempo, 3);
  const eqOn = rng.chance(c.eqProbability);
  const eq = {
    freqHz: round(rng.logUniform(...c.eqFreqHz), 0),
    q: draw(rng, c.eqQ, 2),
    gainDb: draw(rng, c.eqGainDb, 1),
  };
  const bandOn = rng.chance(c.bandProbability);
  const band = { highpassHz: draw(rng, c.highpassHz, 0), lowpassHz: draw(rng, c.lowpassHz, 0) };
  const reverbOn = rng.chance(c.reverbProbability);
  const reverb = { reverberance: draw(rng, c.reverberance, 0), roomScale: draw(rng, c.roomScale, 0) };
  const noiseOn = rng.chance(c.noiseProbability);
  const noise = { color: rng.pick<NoiseColor>(['white', 'pink', 'brown']), snrDb: draw(rng, c.snrDb, 1) };
  return {
    pitchCents: pitch ? pitchCents : 0,
    tempo: tempoOn ? tempo : 1,
    eq: eqOn ? eq : null,
    band: bandOn ? band : null,
    reverb: reverbOn ? reverb : null,
    noise: noiseOn ? noise : null,
    peakDb: draw(rng, c.peakDb, 1),
    padStartMs: draw(rng, c.padStartMs, 0),
    padEndMs: draw(rng, c.padEndMs, 0),
  };
}

/**
 * The sox effects for the filter part of an augmentation, ending at `sampleRate` mono. Starts 12 dB
 * down so EQ boosts and reverb tails cannot clip inside sox; the final level is set afterwards.
 */
export function soxEffects(a: Augmentation, sampleRate: number): string[] {
  const fx = ['remix', '-', 'vol', '0.25'];
  if (a.band) fx.push('highpass', String(a.band.highpassHz), 'lowpass', String(a.band.lowpassHz));
  if (a.eq) fx.push('equalizer', String(a.eq.freqHz), `${a.eq.q}q`, String(a.eq.gainDb));
  if (a.pitchCents !== 0) fx.push('pitch', String(a.pitchCents));
  if (a.tempo !== 1) fx.push('tempo', '-s', String(a.tempo));
  if (a.reverb) fx.push('reverb', String(a.reverb.reverberance), '50', String(a.reverb.roomScale));
  fx.push('rate', '-v', String(sampleRate));
  return fx;
}

/**
 * The sample-level part: pads with silence, adds noise at the drawn SNR (speech power measured on
 * the frames within 30 dB of the loudest, so pauses do not dilute it) and scales to the drawn peak.
 * `rng` drives the noise samples only.
 */
export function finishSamples(
  speech: Float32Array,
  a: Augmentation,
  sampleRate: number,
  rng: Rng,
): Float32Array {
  const start = Math.round((a.padStartMs / 1000) * sampleRate);
  const end = Math.round((a.padEndMs / 1000) * sampleRate);
  const out = new Float32Array(start + speech.length + end); // [samples]
  out.set(speech, start);
  if (a.noise) {
    const noise = makeNoise(out.length, a.noise.color, rng);
    const noisePower = meanPower(noise, 0, noise.length);
    const gain = Math.sqrt(activePower(speech, sampleRate) / (noisePower * 10 ** (a.noise.snrDb / 10)));
    for (let i = 0; i < out.length; i++) out[i] += gain * noise[i];
  }
  let peak = 0;
  for (let i = 0; i < out.length; i++) peak = Math.max(peak, Math.abs(out[i]));
  if (peak > 0) {
    const scale = 10 ** (a.peakDb / 20) / peak;
    for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
  return out;
}

/** Mean power of the 20 ms frames within 30 dB of the loudest frame. */
export function activePower(x: Float32Array, sampleRate: number): number {
  const frame = Math.max(1, Math.round(0.02 * sampleRate));
  const powers: number[] = [];
  for (let i = 0; i + frame <= x.length; i += frame) powers.push(meanPower(x, i, i + frame));
  if (powers.length === 0) return meanPower(x, 0, x.length);
  const floor = Math.max(...powers) / 1000;
  const active = powers.filter((p) => p >= floor);
  return active.reduce((s, p) => s + p, 0) / active.length;
}

function meanPower(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return to > from ? s / (to - from) : 0;
}

/** Unit-scale coloured noise: white; pink by Paul Kellet's filter; brown by leaky integration. */
export function makeNoise(n: number, color: NoiseColor, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0]; // pink-filter state
  let brown = 0;
  for (let i = 0; i < n; i++) {
    const w = rng.gaussian();
    if (color === 'white') out[i] = w;
    else if (color === 'brown') {
      brown = 0.995 * brown + 0.1 * w;
      out[i] = brown;
    } else {
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.969 * b2 + w * 0.153852;
      b3 = 0.8665 * b3 + w * 0.3104856;
      b4 = 0.55 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.016898;
      out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
      b6 = w * 0.115926;
    }
  }
  return out;
}
