// The sphinx MFCC front end (sphinxbase fe_sigproc.c conventions), frame by frame:
//   x (16-bit units) → pre-emphasis x[n] - alpha x[n-1] → Hamming window (frameSize) → zero-pad to nFft → |FFT|² →
//   triangular mel filters built as sphinx builds them → ln(energy + 1e-4) → DCT (-transform) → sine lifter.
// Sphinx mixes precisions: samples, window, spectrum and mel energies are float64, but the filter weights, DCT
// cosines, lifter and alpha are float32, the filter edges are computed in float32 arithmetic (rounding them to
// FFT bins, -round_filters, can move an edge a whole bin on a float32/float64 difference) and the DCT sums
// accumulate in float32. All of that is reproduced here, so the cepstra equal sphinx_fe's bit for bit on the
// librivox test clips; only the FFT differs in rounding (~1e-16 relative), which could flip a float32 rounding.
//
// Two framings share the per-frame kernel:
// - sphinxFeMfcc: sphinx_fe's own, to verify against it. Frame j reads x[j*hop, j*hop + frameSize); frame 0's
//   pre-emphasis sees a zero before the signal; the samples left after the last whole frame (always some: from
//   the next frame's start to the end) make one more frame, zero-padded to frameSize before windowing.
// - centredMfcc: aligned with features.ts. Frame t's window is centred on sample t*hop like log-mel frame t:
//   it reads x[t*hop - floor(frameSize/2), ... + frameSize) and its pre-emphasis the sample before, reflecting
//   the signal at both ends as logMel does (numpy 'reflect'), and there are numFrames(samples) frames.

import FFT from 'fft.js';
import { DEFAULT_FEATURES, minSamples, numFrames, type FeatureConfig } from '../features.js';
import { hopSamples, windowSamples, type SphinxFrontEndConfig } from './feat-params.js';

/** Samples arrive in [-1, 1]; sphinx works on 16-bit integers, so each is scaled by this first. */
export const INT16_SCALE = 32768;

/** Added to every mel energy before the log (sphinxbase 5prealpha's LOG_FLOOR): digital silence → ln 1e-4. */
const LOG_FLOOR = 1e-4;

/** Cepstra, frame-major: [frames, nCep]. */
export interface Cepstra {
  frames: number;
  bins: number;
  data: Float32Array; // [frames, nCep]
}

/** Sparse mel filterbank: filter m weights FFT bins specStart[m] .. specStart[m] + (offset[m+1] - offset[m]) - 1. */
export interface MelFilters {
  readonly specStart: Int32Array; // [nFilters]
  readonly offset: Int32Array; // [nFilters + 1] into coeffs
  readonly coeffs: Float64Array; // [total width], float32 values
  /** Left edge, centre and right edge of each filter in Hz, as used (after any rounding to bins). [nFilters, 3] */
  readonly edgesHz: Float64Array;
}

const f32 = Math.fround;

/** Sphinx's mel scale, evaluated in float32 like fe_mel / fe_melinv (no frequency warping). */
const mel = (hz: number): number => f32(2595.0 * Math.log10(1.0 + hz / 700.0));
const melInv = (m: number): number => f32(700.0 * (Math.pow(10.0, m / 2595.0) - 1.0));

/** The triangular mel filters of fe_build_melfilters, float32 arithmetic and all. */
export function sphinxMelFilters(config: SphinxFrontEndConfig): MelFilters {
  const n = config.nFilters;
  const half = config.nFft / 2;
  let melMin = mel(f32(config.lowerHz));
  let melMax = mel(f32(config.upperHz));
  const melBw = f32(f32(melMax - melMin) / (n + 1));
  if (config.doubleBandwidth) {
    melMin = f32(melMin - melBw);
    melMax = f32(melMax + melBw);
    if (melInv(melMin) < 0 || melInv(melMax) > config.sampleRate / 2)
      throw new Error('sphinx mel filters: double-bandwidth filters reach outside 0..Nyquist');
  }
  const binHz = f32(f32(config.sampleRate) / config.nFft);
  const edgesHz = new Float64Array(n * 3);
  const specStart = new Int32Array(n);
  const offset = new Int32Array(n + 1);
  const coeffs: number[] = [];
  for (let i = 0; i < n; i++) {
    const fr = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      const step = config.doubleBandwidth ? i + 2 * j : i + j;
      fr[j] = melInv(f32(f32(step * melBw) + melMin));
      if (config.roundFilters) fr[j] = f32(Math.trunc(f32(fr[j] / binHz) + 0.5) * binHz);
      edgesHz[i * 3 + j] = fr[j];
    }
    // The filter spans bins from the first at or above the left edge to the last at or below the right edge,
    // never including the Nyquist bin (sphinx stops there).
    let start = -1;
    let k = 0;
    for (; k <= half; k++) {
      const hz = f32(k * binHz);
      if (hz < fr[0]) continue;
      if (hz > fr[2] || k === half) break;
      if (start === -1) start = k;
    }
    if (start === -1) throw new Error(`sphinx mel filters: filter ${i} covers no FFT bin; use fewer filters`);
    specStart[i] = start;
    offset[i] = coeffs.length;
    const areaScale = f32(2 / f32(fr[2] - fr[0]));
    for (let b = start; b < k; b++) {
      const hz = f32(b * binHz);
      let lo = f32(f32(hz - fr[0]) / f32(fr[1] - fr[0]));
      let hi = f32(f32(fr[2] - hz) / f32(fr[2] - fr[1]));
      if (config.unitArea) {
        lo = f32(lo * areaScale);
        hi = f32(hi * areaScale);
      }
      coeffs.push(lo < hi ? lo : hi);
    }
  }
  offset[n] = coeffs.length;
  return { specStart, offset, coeffs: Float64Array.from(coeffs), edgesHz };
}

/** Per-config constants, built once per config object. */
interface MfccPlan {
  readonly config: SphinxFrontEndConfig;
  readonly frameSize: number; // window, samples
  readonly hop: number; // samples
  readonly alpha: number; // float32 pre-emphasis
  readonly window: Float64Array; // Hamming [frameSize]
  readonly filters: MelFilters;
  readonly cosines: Float64Array; // float32 DCT basis [nCep, nFilters]
  readonly lifter: Float64Array; // float32 lifter weights [nCep] (all 1 without a lifter)
  readonly fft: FFT;
}

const plans = new WeakMap<SphinxFrontEndConfig, MfccPlan>();

function planFor(config: SphinxFrontEndConfig): MfccPlan {
  let plan = plans.get(config);
  if (!plan) {
    plan = makePlan(config);
    plans.set(config, plan);
  }
  return plan;
}

function makePlan(config: SphinxFrontEndConfig): MfccPlan {
  const frameSize = windowSamples(config);
  const { nCep, nFilters, lifter: lifterLength } = config;
  // fe_create_hamming: the first half of a symmetric window (denominator frameSize - 1), mirrored; with an odd
  // frameSize sphinx leaves the middle sample unwindowed, i.e. weight 1.
  const window = new Float64Array(frameSize).fill(1);
  for (let i = 0; i < Math.floor(frameSize / 2); i++) {
    const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (frameSize - 1));
    window[i] = w;
    window[frameSize - 1 - i] = w;
  }
  const cosines = new Float64Array(nCep * nFilters);
  for (let i = 0; i < nCep; i++) {
    for (let j = 0; j < nFilters; j++)
      cosines[i * nFilters + j] = f32(Math.cos((Math.PI / nFilters) * i * (j + 0.5)));
  }
  const lifter = new Float64Array(nCep).fill(1);
  if (lifterLength > 0) {
    // sphinx computes lifter_val / 2 in integer arithmetic.
    const gain = Math.trunc(lifterLength / 2);
    for (let i = 0; i < nCep; i++) lifter[i] = f32(1 + gain * Math.sin((i * Math.PI) / lifterLength));
  }
  return {
    config,
    frameSize,
    hop: hopSamples(config),
    alpha: f32(config.preEmphasis),
    window,
    filters: sphinxMelFilters(config),
    cosines,
    lifter,
    fft: new FFT(config.nFft),
  };
}

/** Window length and hop in samples for a config (410 and 160 for the en-us model). */
export function mfccFraming(config: SphinxFrontEndConfig): { frameSize: number; hop: number } {
  const { frameSize, hop } = planFor(config);
  return { frameSize, hop };
}

/** One frame's MFCC; owns its scratch buffers (one per stream of frames). */
export class MfccAnalyzer {
  readonly config: SphinxFrontEndConfig;
  private readonly plan: MfccPlan;
  private readonly frame: Float64Array; // [nFft]
  private readonly spectrum: Float64Array; // interleaved re, im [2 * nFft]
  private readonly melLog: Float64Array; // [nFilters]

  constructor(config: SphinxFrontEndConfig) {
    this.config = config;
    this.plan = planFor(config);
    this.frame = new Float64Array(config.nFft);
    this.spectrum = new Float64Array(2 * config.nFft);
    this.melLog = new Float64Array(config.nFilters);
  }

  get frameSize(): number {
    return this.plan.frameSize;
  }

  get hop(): number {
    return this.plan.hop;
  }

  /**
   * Cepstra of src[start, start + length) ([-1, 1] samples; length ≤ frameSize, shorter frames are zero-padded
   * to frameSize before windowing), with `prior` the sample before them, into out[outOffset, + nCep).
   */
  analyze(
    src: ArrayLike<number>,
    start: number,
    length: number,
    prior: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const { frameSize, alpha, window } = this.plan;
    const { frame } = this;
    if (length > frameSize) throw new Error(`MfccAnalyzer: frame of ${length} samples exceeds ${frameSize}`);
    let prev = prior * INT16_SCALE;
    for (let i = 0; i < length; i++) {
      const x = src[start + i] * INT16_SCALE;
      frame[i] = alpha !== 0 ? x - prev * alpha : x;
      prev = x;
    }
    frame.fill(0, length);
    if (this.config.removeDc) {
      let mean = 0;
      for (let i = 0; i < frameSize; i++) mean += frame[i];
      mean /= frameSize;
      for (let i = 0; i < frameSize; i++) frame[i] -= mean;
    }
    for (let i = 0; i < frameSize; i++) frame[i] *= window[i];
    this.melSpectrum();
    this.cepstra(out, outOffset);
  }

  /** |FFT|² of the windowed frame through the mel filters, then ln. */
  private melSpectrum(): void {
    const { fft, filters } = this.plan;
    const { spectrum, melLog } = this;
    fft.realTransform(spectrum, this.frame);
    const { specStart, offset, coeffs } = filters;
    for (let m = 0; m < melLog.length; m++) {
      let sum = 0;
      for (let w = offset[m], k = specStart[m]; w < offset[m + 1]; w++, k++) {
        const re = spectrum[2 * k];
        const im = spectrum[2 * k + 1];
        sum += (re * re + im * im) * coeffs[w];
      }
      melLog[m] = Math.log(sum + LOG_FLOOR);
    }
  }

  /** DCT of the log mel spectrum as -transform defines it, then the lifter; float32 sums as in sphinx. */
  private cepstra(out: Float32Array, outOffset: number): void {
    const { cosines, lifter } = this.plan;
    const { nCep, nFilters, transform } = this.config;
    const ls = this.melLog;
    // legacy (fe_spec2cep): c_i = sum_j beta_j ls_j cos_ij / (2N), beta_0 = 1, beta_j = 2, and c_0 = sum / N
    // with ls_0 halved. dct: orthonormal DCT-II (c_0 scaled by sqrt(1/N), the rest by sqrt(2/N)); htk: sqrt(2/N).
    const legacy = transform === 'legacy';
    let c0 = f32(legacy ? ls[0] / 2 : ls[0]);
    for (let j = 1; j < nFilters; j++) c0 = f32(c0 + ls[j]);
    c0 = legacy ? f32(c0 / nFilters) : f32(c0 * f32(Math.sqrt((transform === 'htk' ? 2 : 1) / nFilters)));
    out[outOffset] = f32(c0 * lifter[0]);
    const scale = f32(Math.sqrt(2 / nFilters));
    for (let i = 1; i < nCep; i++) {
      const row = i * nFilters;
      let sum = 0;
      if (legacy) {
        for (let j = 0; j < nFilters; j++) sum = f32(sum + ls[j] * cosines[row + j] * (j === 0 ? 1 : 2));
        sum = f32(sum / (2 * nFilters));
      } else {
        for (let j = 0; j < nFilters; j++) sum = f32(sum + ls[j] * cosines[row + j]);
        sum = f32(sum * scale);
      }
      out[outOffset + i] = f32(sum * lifter[i]);
    }
  }
}

/** MFCC with sphinx_fe's framing (see the file comment): for checking against sphinx_fe output. */
export function sphinxFeMfcc(samples: Float32Array, config: SphinxFrontEndConfig): Cepstra {
  const analyzer = new MfccAnalyzer(config);
  const { frameSize, hop } = analyzer;
  const n = samples.length;
  const whole = n >= frameSize ? 1 + Math.floor((n - frameSize) / hop) : 0;
  const frames = n > 0 ? whole + 1 : 0;
  const data = new Float32Array(frames * config.nCep); // [frames, nCep]
  for (let j = 0; j < frames; j++) {
    const start = j * hop;
    const length = Math.min(frameSize, n - start);
    analyzer.analyze(samples, start, length, start > 0 ? samples[start - 1] : 0, data, j * config.nCep);
  }
  return { frames, bins: config.nCep, data };
}

/**
 * MFCC frames aligned with features.ts (see the file comment): exactly numFrames(samples.length, logMelConfig)
 * frames, frame t centred on sample t * hop. The hop and sample rate must match logMelConfig's.
 */
export function centredMfcc(
  samples: Float32Array,
  config: SphinxFrontEndConfig,
  logMelConfig: FeatureConfig = DEFAULT_FEATURES,
): Cepstra {
  checkAlignment(config, logMelConfig);
  const analyzer = new MfccAnalyzer(config);
  const frames = numFrames(samples.length, logMelConfig);
  const data = new Float32Array(frames * config.nCep); // [frames, nCep]
  const gather = new CentredFrameGatherer(config);
  for (let t = 0; t < frames; t++) {
    const src = gather.frame(t, (j) => samples[j], samples.length);
    analyzer.analyze(src, 1, analyzer.frameSize, src[0], data, t * config.nCep);
  }
  return { frames, bins: config.nCep, data };
}

/** Throws unless sphinx frames can sit beside log-mel frames: same rate and hop, short enough window. */
export function checkAlignment(config: SphinxFrontEndConfig, logMelConfig: FeatureConfig): void {
  const { frameSize, hop } = mfccFraming(config);
  const problems: string[] = [];
  if (config.sampleRate !== logMelConfig.sampleRate)
    problems.push(`sample rate ${config.sampleRate} Hz differs from log-mel's ${logMelConfig.sampleRate} Hz`);
  if (hop !== logMelConfig.hopLength)
    problems.push(`hop ${hop} differs from log-mel's ${logMelConfig.hopLength}`);
  // One reflection must reach every sample a frame reads, for the shortest clip with frames.
  if (Math.floor(frameSize / 2) + 2 > minSamples(logMelConfig))
    problems.push(
      `a ${frameSize}-sample window is too long for clips of ${minSamples(logMelConfig)} samples`,
    );
  if (problems.length > 0) throw new Error(`sphinx features: ${problems.join('; ')}`);
}

/**
 * Gathers centred frame t's prior sample and window, [1 + frameSize], reading the signal through reflection at
 * both ends (index j < 0 reads -j, j > last reads 2*last - j).
 */
export class CentredFrameGatherer {
  readonly frameSize: number;
  readonly hop: number;
  private readonly buf: Float32Array; // [1 + frameSize]: prior, then the window

  constructor(config: SphinxFrontEndConfig) {
    ({ frameSize: this.frameSize, hop: this.hop } = mfccFraming(config));
    this.buf = new Float32Array(1 + this.frameSize);
  }

  /** Stream index of the first window sample of frame t (negative near the start). */
  windowStart(t: number): number {
    return t * this.hop - Math.floor(this.frameSize / 2);
  }

  /** The frame's samples; `at(j)` reads stream sample j (0 ≤ j < total). */
  frame(t: number, at: (j: number) => number, total: number): Float32Array {
    const last = total - 1;
    const lo = this.windowStart(t) - 1;
    for (let i = 0; i < this.buf.length; i++) {
      let j = lo + i;
      if (j < 0) j = -j;
      else if (j > last) j = 2 * last - j;
      this.buf[i] = at(j);
    }
    return this.buf;
  }
}
