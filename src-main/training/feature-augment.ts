import { DEFAULT_FEATURES, melCentresHz } from '../speech/features.js';

/**
 * Training-time augmentation on log-mel features: speed and pitch perturbation by resampling the
 * time and frequency axes, then SpecAugment masks. Working on features (not audio) keeps every
 * epoch's perturbation nearly free, so the corpus is decoded once.
 *
 * With phone posteriors in the frame (front-end.ts), the frequency-axis operations (warp, band limit,
 * frequency masks) act on the leading log-mel bins only (`melBins`), none with phones alone: phones have no
 * frequency axis. Speed perturbation and time masks cover every bin, so the two parts stay in step.
 */

/** Log-mel of the high band of 8-11 kHz speech resampled to 16 kHz with SoX (16-bit, dithered). */
const BAND_FLOOR_LOG = -17;

export interface AugmentConfig {
  /** Speed factors drawn uniformly from this range (time axis resampled by 1/factor). 1 = off. */
  speed: [number, number];
  /** Pitch/formant shift: mel axis warped by a factor in this range (vocal-tract-length perturbation). */
  warp: [number, number];
  /** Frequency masks per utterance and the widest one in bins (SpecAugment F). */
  freqMasks: number;
  freqMaskBins: number;
  /** Time masks per second of audio and the widest one in frames (SpecAugment T). */
  timeMasksPerSecond: number;
  timeMaskFrames: number;
  /** No more than this fraction of the frames is masked in time. */
  maxTimeMaskFraction: number;
  /** Frames per second of the features (for timeMasksPerSecond). */
  framesPerSecond: number;
  /**
   * Band limiting: a share of utterances is heard as if recorded at a low sample rate (games at 11 kHz,
   * telephones at 8 kHz), every mel bin above a cut-off drawn from `cutoffHz` set to `floorLog` (the
   * log-mel of the dither a resampler leaves there), so a muffled recording is not a cue for "real voice".
   */
  bandLimit: { probability: number; cutoffHz: [number, number]; floorLog: number };
  /**
   * Room reverberation: a share of utterances heard in a room, as the late reverberation of a room impulse
   * response (exponentially decaying energy) added in the power domain of each mel bin: the decay time
   * RT60 is drawn from `rt60Sec` (high bins decay faster, as air and walls absorb them more), the energy of
   * the tail against the direct sound from `tailDb`. Real dictation happens in rooms, the synthetic voices
   * and the close-talking game actors were not recorded in one.
   */
  reverb: { probability: number; rt60Sec: [number, number]; tailDb: [number, number] };
  /** Centre frequency of each mel bin in Hz (from the feature config), to find the cut-off bin. */
  binCentresHz: readonly number[];
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  speed: [0.9, 1.1],
  warp: [0.9, 1.1],
  freqMasks: 2,
  freqMaskBins: 15,
  timeMasksPerSecond: 1,
  timeMaskFrames: 20,
  maxTimeMaskFraction: 0.2,
  framesPerSecond: 100,
  bandLimit: { probability: 0, cutoffHz: [3800, 5500], floorLog: BAND_FLOOR_LOG },
  // Offices and living rooms: RT60 0.2-0.8 s; tail from 8 dB below the direct sound (near the mouth) to
  // 2 dB above it (a laptop microphone across a room).
  reverb: { probability: 0, rt60Sec: [0.2, 0.8], tailDb: [-8, 2] },
  binCentresHz: melCentresHz(DEFAULT_FEATURES),
};

export type Random = () => number;

/** Resamples the time axis by linear interpolation: [T, F] → [round(T / factor), F]. */
export function changeSpeed(
  x: Float32Array,
  T: number,
  F: number,
  factor: number,
): { data: Float32Array; frames: number } {
  if (factor === 1) return { data: x, frames: T };
  const Tn = Math.max(1, Math.round(T / factor));
  const out = new Float32Array(Tn * F);
  for (let t = 0; t < Tn; t++) {
    const src = Math.min(T - 1, t * factor);
    const i0 = Math.floor(src);
    const i1 = Math.min(T - 1, i0 + 1);
    const w = src - i0;
    for (let f = 0; f < F; f++) out[t * F + f] = (1 - w) * x[i0 * F + f] + w * x[i1 * F + f];
  }
  return { data: out, frames: Tn };
}

/**
 * Warps the mel axis (bins 0..melBins-1) of every frame by `factor` (>1 raises formants) into a copy; bins
 * past melBins are copied as they are. [T, F]
 */
export function warpFrequency(
  x: Float32Array,
  T: number,
  F: number,
  factor: number,
  melBins = F,
): Float32Array {
  if (factor === 1 || melBins === 0) return x;
  const out = melBins < F ? x.slice() : new Float32Array(x.length);
  for (let f = 0; f < melBins; f++) {
    const src = Math.min(melBins - 1, f / factor);
    const i0 = Math.floor(src);
    const i1 = Math.min(melBins - 1, i0 + 1);
    const w = src - i0;
    for (let t = 0; t < T; t++) out[t * F + f] = (1 - w) * x[t * F + i0] + w * x[t * F + i1];
  }
  return out;
}

/** Mean of bins lo..hi-1 over all T frames of [T, F]. */
function binMean(x: Float32Array, T: number, F: number, lo: number, hi: number): number {
  let sum = 0;
  if (lo === 0 && hi === F) for (let i = 0; i < x.length; i++) sum += x[i];
  else for (let t = 0; t < T; t++) for (let f = lo; f < hi; f++) sum += x[t * F + f];
  return sum / Math.max(1, lo === 0 && hi === F ? x.length : T * (hi - lo));
}

/**
 * SpecAugment (in place): frequency masks within the mel bins (0..melBins-1), set to their utterance mean;
 * time masks across every bin, the mel bins set to their mean and the others (phones) to theirs.
 */
export function specAugment(
  x: Float32Array,
  T: number,
  F: number,
  cfg: AugmentConfig,
  rand: Random,
  melBins = F,
): void {
  const mean = binMean(x, T, F, 0, melBins);
  const restMean = melBins < F ? binMean(x, T, F, melBins, F) : 0;
  for (let m = 0; melBins > 0 && m < cfg.freqMasks; m++) {
    const w = Math.floor(rand() * (cfg.freqMaskBins + 1));
    const f0 = Math.floor(rand() * Math.max(1, melBins - w));
    const f1 = melBins < F ? Math.min(f0 + w, melBins) : f0 + w;
    for (let t = 0; t < T; t++) x.fill(mean, t * F + f0, t * F + f1);
  }
  const masks = Math.round((T / cfg.framesPerSecond) * cfg.timeMasksPerSecond);
  let budget = Math.floor(T * cfg.maxTimeMaskFraction);
  for (let m = 0; m < masks && budget > 0; m++) {
    const w = Math.min(budget, Math.floor(rand() * (cfg.timeMaskFrames + 1)));
    const t0 = Math.floor(rand() * Math.max(1, T - w));
    if (melBins === F) x.fill(mean, t0 * F, (t0 + w) * F);
    else
      for (let t = t0; t < t0 + w; t++) {
        x.fill(mean, t * F, t * F + melBins);
        x.fill(restMean, t * F + melBins, (t + 1) * F);
      }
    budget -= w;
  }
}

/** Sets every mel bin (of 0..melBins-1) centred above `cutoffHz` to `floorLog` in every frame (in place). */
export function limitBand(
  x: Float32Array,
  T: number,
  F: number,
  cutoffHz: number,
  floorLog: number,
  centresHz: readonly number[],
  melBins = F,
): void {
  const first = centresHz.findIndex((hz) => hz > cutoffHz);
  if (first < 0 || first >= melBins) return;
  for (let t = 0; t < T; t++) x.fill(floorLog, t * F + first, t * F + melBins);
}

/**
 * Adds a room's late reverberation to the log-mel bins 0..melBins-1 (in place): in each bin, the power of
 * the frames before is carried forward with an exponential decay (60 dB over `rt60Sec`, 40% faster at
 * 8 kHz than at 0 Hz) and added to the frame's own, scaled so the tail's total energy is `tailDb` against
 * the direct sound. Causal, like a room: nothing is heard before it is said.
 */
export function addReverb(
  x: Float32Array,
  T: number,
  F: number,
  rt60Sec: number,
  tailDb: number,
  frameSec: number,
  centresHz: readonly number[],
  melBins = F,
): void {
  const tailGain = 10 ** (tailDb / 10);
  for (let f = 0; f < melBins; f++) {
    const rt60 = rt60Sec * (1 - 0.4 * Math.min(1, centresHz[f] / 8000));
    // Power decays by 60 dB (a factor 1e-6) over rt60: per frame by a = 1e-6^(frameSec / rt60).
    const a = Math.exp((Math.log(1e-6) * frameSec) / rt60);
    // The tail sum over k ≥ 1 of a^k is a / (1 - a): scaled to tailGain of the direct energy.
    const scale = (tailGain * (1 - a)) / a;
    let tail = 0;
    for (let t = 0; t < T; t++) {
      const i = t * F + f;
      const direct = Math.exp(x[i]);
      x[i] = Math.log(direct + scale * tail);
      tail = a * (tail + direct);
    }
  }
}

/**
 * All augmentations for one training utterance, [T, F] → [T', F]. melBins: the leading log-mel bins of each
 * frame (front-end.ts logMelBins), all of them by default; the frequency-axis operations touch only those.
 */
export function augment(
  x: Float32Array,
  T: number,
  F: number,
  cfg: AugmentConfig,
  rand: Random,
  melBins = F,
): { data: Float32Array; frames: number } {
  const u = (r: [number, number]) => r[0] + rand() * (r[1] - r[0]);
  const sped = changeSpeed(x, T, F, u(cfg.speed));
  const warped = warpFrequency(sped.data, sped.frames, F, u(cfg.warp), melBins);
  const data = warped === x ? x.slice() : warped;
  // Drawn only when on, so a run without reverberation or band limiting draws the same masks as before
  // they existed. The room comes before the band limit: a room is recorded, then resampled.
  if (cfg.reverb.probability > 0 && rand() < cfg.reverb.probability) {
    const rt60 = u(cfg.reverb.rt60Sec);
    const tailDb = u(cfg.reverb.tailDb);
    addReverb(data, sped.frames, F, rt60, tailDb, 1 / cfg.framesPerSecond, cfg.binCentresHz, melBins);
  }
  const band = cfg.bandLimit.probability > 0 && rand() < cfg.bandLimit.probability;
  if (band) {
    const cutoffHz = u(cfg.bandLimit.cutoffHz);
    limitBand(data, sped.frames, F, cutoffHz, cfg.bandLimit.floorLog, cfg.binCentresHz, melBins);
  }
  specAugment(data, sped.frames, F, cfg, rand, melBins);
  return { data, frames: sped.frames };
}
