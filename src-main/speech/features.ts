// Log-mel features: the acoustic model's input, offline (whole clips) and streaming (mic chunks).
//
// The defaults reproduce torchaudio
//   MelSpectrogram(sample_rate=16000, n_fft=512, win_length=400, hop_length=160, n_mels=80, f_min=0,
//                  f_max=8000, center=True, pad_mode='reflect', power=2, mel_scale='htk', norm=None)
// followed by ln(max(x, 1e-10)), so models trained with either front end see the same numbers. Output is
// frame-major, [frames, nMels] (torchaudio returns the transpose, [nMels, frames]).
//
// Framing, in the terms torchaudio uses: the signal x (length L) is reflect-padded by nFft/2 on both sides
// (center=True); frame t is padded[t*hop, t*hop + nFft), so it is centred on sample t*hop and there are
// 1 + floor(L / hop) frames. The Hann window (winLength) sits in the middle of the nFft span with zeros either
// side, so frame t only reads x[t*hop - winLength/2, t*hop + winLength/2): the streaming front end uses
// that to emit a frame winLength/2 samples after its centre instead of nFft/2.

import FFT from 'fft.js';

/** One typed config for the front end; pass one object down (derived tables are cached per object). */
export interface FeatureConfig {
  /** Input sample rate, Hz. The front end is defined at this rate only; resample before calling. */
  readonly sampleRate: number;
  /** FFT size, samples. Must be a power of two (fft.js). 512 → 257 frequency bins, 31.25 Hz apart. */
  readonly nFft: number;
  /** Analysis window length, samples: periodic Hann, zero-padded equally on both sides to nFft. 400 = 25 ms. */
  readonly winLength: number;
  /** Step between frames, samples. 160 = 10 ms → 100 frames per second. */
  readonly hopLength: number;
  /** Number of mel bands (HTK mel scale, triangular filters without area normalisation). */
  readonly nMels: number;
  /** Lower edge of the lowest mel filter, Hz. */
  readonly fMin: number;
  /** Upper edge of the highest mel filter, Hz (at most sampleRate / 2). */
  readonly fMax: number;
  /** Mel power is clamped to at least this before the natural log: silence maps to ln(1e-10) ≈ -23.03. */
  readonly logFloor: number;
  /**
   * Phone posteriors from a sphinx acoustic model as (part of) the model input (front-end.ts). Absent: log-mel
   * only, the nMels bins above; every model, cache and config from before phone features is of this kind.
   */
  readonly phones?: PhoneFeatureConfig;
}

/** Phone log-posteriors per frame (sphinx/sphinx-features.ts), beside or instead of log-mel. */
export interface PhoneFeatureConfig {
  /**
   * The sphinx acoustic model folder (feat.params, mdef, means, variances, sendump or mixture_weights):
   * absolute, or relative to the Attune model folder whose config carries it (saved models say "sphinx").
   */
  readonly model: string;
  /** true: each frame is the nMels log-mel bins, then the phone bins (80 + 42); false: the phone bins alone. */
  readonly withLogMel: boolean;
  /**
   * true: after the CI phone posteriors, as many again from each phone's likeliest context-dependent senone
   * (sphinx/context-scores.ts): 80 + 42 + 42 bins. Absent or false: the CI posteriors only.
   */
  readonly contexts?: boolean;
}

export const DEFAULT_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  sampleRate: 16000,
  nFft: 512,
  winLength: 400,
  hopLength: 160,
  nMels: 80,
  fMin: 0,
  fMax: 8000,
  logFloor: 1e-10,
});

/** Log-mel features. data is frame-major: [frames, bins]. */
export interface LogMel {
  frames: number;
  bins: number;
  data: Float32Array; // [frames, bins]
}

/**
 * Shortest input with any frames: reflect padding by nFft/2 needs more than nFft/2 samples (torchaudio rejects
 * shorter input). 257 samples (16.1 ms) by default.
 */
export function minSamples(config: FeatureConfig = DEFAULT_FEATURES): number {
  return Math.floor(config.nFft / 2) + 1;
}

/** Frames for a clip of numSamples: 1 + floor(numSamples / hop) (center=True), or 0 below minSamples. */
export function numFrames(numSamples: number, config: FeatureConfig = DEFAULT_FEATURES): number {
  if (numSamples < minSamples(config)) return 0;
  return 1 + Math.floor(numSamples / config.hopLength);
}

/** Log-mel of a whole clip (samples in [-1, 1] at config.sampleRate). Throws on bad input. */
export function logMel(
  samples: Float32Array,
  sampleRate: number = DEFAULT_FEATURES.sampleRate,
  config: FeatureConfig = DEFAULT_FEATURES,
): LogMel {
  const plan = planFor(config);
  if (sampleRate !== config.sampleRate) {
    throw new Error(
      `logMel: sample rate ${sampleRate} Hz is not supported; the front end is defined at ` +
        `${config.sampleRate} Hz, so resample the audio first`,
    );
  }
  assertFinite(samples, 'logMel', 0);
  const n = samples.length;
  if (n < plan.minSamples) {
    throw new Error(
      `logMel: ${n} samples is too short; at least ${plan.minSamples} are needed ` +
        `(reflect padding by nFft/2 = ${plan.pad} samples)`,
    );
  }

  // center=True: reflect-pad by nFft/2 on each side, edge sample not repeated (numpy/torch 'reflect').
  const { pad } = plan;
  const padded = new Float32Array(n + 2 * pad); // [L + nFft]
  padded.set(samples, pad);
  for (let i = 1; i <= pad; i++) {
    padded[pad - i] = samples[i];
    padded[pad + n - 1 + i] = samples[n - 1 - i];
  }

  const frames = numFrames(n, config);
  const data = new Float32Array(frames * config.nMels); // [frames, nMels]
  const analyzer = new FrameAnalyzer(plan);
  for (let t = 0; t < frames; t++) {
    // Frame t spans padded[t*hop, t*hop + nFft); only its windowed middle is non-zero.
    analyzer.analyze(padded, t * config.hopLength + plan.winOffset, data, t * config.nMels);
  }
  return { frames, bins: config.nMels, data };
}

/**
 * Streaming log-mel: accept PCM chunks of any size, get each frame once it is complete.
 *
 * Every frame equals the offline logMel frame of the same index, edges included:
 * - Left edge: the first frame waits until minSamples (257) samples have arrived, so the left reflect padding
 *   is exactly the offline one (frame 0 reads x[1..200] mirrored).
 * - Right edge: flush() pads the tail by reflection, as offline does, and emits the remaining frames, so the
 *   total frame count is numFrames(total samples). A stream shorter than minSamples yields no frames.
 *
 * Latency: frame t (centred on sample t*hop) is emitted by the accept() call that brings the stream to
 * t*hop + winLength/2 samples (frame 1 at 360, frame 2 at 520, ...): 12.5 ms of look-ahead past its centre
 * rather than the nFft/2 = 16 ms a naive centred frame would wait for. Frame 0 needs 257 samples (16.1 ms).
 * Each frame's FFT is computed exactly once; only the last few hundred samples are kept between calls.
 */
export class StreamingLogMel {
  readonly config: FeatureConfig;
  private readonly plan: FeaturePlan;
  private readonly analyzer: FrameAnalyzer;
  // Overlap buffer: holds stream samples [bufStart, bufStart + bufLen). Sized for a few frames so compaction
  // (a copyWithin of at most nFft samples) is rare.
  private readonly buf: Float32Array;
  private bufStart = 0;
  private bufLen = 0;
  private received = 0;
  private next = 0; // index of the next frame to emit
  private flushed = false;
  // Gathers an edge frame's window through the reflect padding. [winLength]
  private readonly edge: Float32Array;

  constructor(config: FeatureConfig = DEFAULT_FEATURES) {
    this.config = config;
    this.plan = planFor(config);
    this.analyzer = new FrameAnalyzer(this.plan);
    this.buf = new Float32Array(4 * config.nFft + config.hopLength);
    this.edge = new Float32Array(config.winLength);
  }

  /** Frames emitted since construction or the last reset(). */
  get framesEmitted(): number {
    return this.next;
  }

  /** Samples accepted since construction or the last reset(). */
  get samplesAccepted(): number {
    return this.received;
  }

  /** Add PCM samples ([-1, 1], config.sampleRate); returns the frames completed by them (maybe none). */
  accept(chunk: Float32Array): LogMel {
    if (this.flushed) throw new Error('StreamingLogMel.accept: stream already flushed; call reset() first');
    // Validate before touching state so a bad chunk leaves the stream usable.
    assertFinite(chunk, 'StreamingLogMel.accept', this.received);

    const { nMels } = this.config;
    const ready = this.readyFrames(this.received + chunk.length);
    const data = new Float32Array((ready - this.next) * nMels); // [newFrames, nMels]
    let written = 0;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.bufLen === this.buf.length) this.compact();
      const take = Math.min(this.buf.length - this.bufLen, chunk.length - pos);
      this.buf.set(chunk.subarray(pos, pos + take), this.bufLen);
      this.bufLen += take;
      this.received += take;
      pos += take;
      // Frames ready now lie wholly inside the buffer, except the first ones, which read the left padding.
      const readyNow = this.readyFrames(this.received);
      for (; this.next < readyNow; this.next++, written++) {
        const lo = this.frameStart(this.next);
        if (lo >= 0) this.analyzer.analyze(this.buf, lo - this.bufStart, data, written * nMels);
        else this.analyzer.analyze(this.gatherEdge(lo), 0, data, written * nMels);
      }
    }
    return { frames: written, bins: nMels, data };
  }

  /** End of stream: reflect-pad the tail and emit the remaining frames. accept() is refused until reset(). */
  flush(): LogMel {
    if (this.flushed) throw new Error('StreamingLogMel.flush: stream already flushed; call reset() first');
    this.flushed = true;
    const { nMels } = this.config;
    const total = numFrames(this.received, this.config);
    const data = new Float32Array(Math.max(0, total - this.next) * nMels); // [newFrames, nMels]
    let written = 0;
    for (; this.next < total; this.next++, written++) {
      this.analyzer.analyze(this.gatherEdge(this.frameStart(this.next)), 0, data, written * nMels);
    }
    return { frames: written, bins: nMels, data };
  }

  /** Forget the stream: the next sample accepted is sample 0 of a new one. */
  reset(): void {
    this.bufStart = 0;
    this.bufLen = 0;
    this.received = 0;
    this.next = 0;
    this.flushed = false;
  }

  /** Stream index of the first sample under frame t's window (negative: inside the left padding). */
  private frameStart(t: number): number {
    return t * this.config.hopLength + this.plan.winOffset - this.plan.pad;
  }

  /** Frames computable from the first `received` samples without knowing where the stream ends. */
  private readyFrames(received: number): number {
    if (received < this.plan.minSamples) return 0;
    const lastReadable = Math.floor(
      (received - this.frameStart(0) - this.config.winLength) / this.config.hopLength,
    );
    return Math.min(lastReadable + 1, numFrames(received, this.config));
  }

  /** Drop samples no pending frame can read, keeping the ones flush() may mirror. */
  private compact(): void {
    // flush() mirrors up to nFft/2 + 1 samples back from the end. With the defaults the pending frame's window
    // already reaches that far back; with a hop longer than the window it would not, so keep them explicitly.
    const keepFrom = Math.max(
      this.bufStart,
      Math.min(this.frameStart(this.next), this.received - this.plan.pad - 1),
    );
    const drop = keepFrom - this.bufStart;
    if (drop <= 0) throw new Error('StreamingLogMel: overlap buffer too small for the configuration');
    this.buf.copyWithin(0, drop, this.bufLen);
    this.bufStart = keepFrom;
    this.bufLen -= drop;
  }

  /** Window samples of the frame starting at stream index lo, reading through the reflect padding. */
  private gatherEdge(lo: number): Float32Array {
    const last = this.received - 1;
    for (let i = 0; i < this.edge.length; i++) {
      let j = lo + i;
      if (j < 0) j = -j;
      else if (j > last) j = 2 * last - j;
      this.edge[i] = this.buf[j - this.bufStart];
    }
    return this.edge;
  }
}

/** Centre frequency in Hz of each mel bin of `melFilterbank`. */
export function melCentresHz(config: FeatureConfig = DEFAULT_FEATURES): number[] {
  const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
  const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);
  const lo = hzToMel(config.fMin);
  const hi = hzToMel(config.fMax);
  return Array.from({ length: config.nMels }, (_, m) =>
    melToHz(lo + ((hi - lo) * (m + 1)) / (config.nMels + 1)),
  );
}

/**
 * HTK mel filterbank as torchaudio.functional.melscale_fbanks(n_freqs=nFft/2+1, ..., norm=None, mel_scale='htk')
 * builds it: triangles between mel-spaced points, evaluated at the FFT bin frequencies. [nFreqs, nMels]
 */
export function melFilterbank(config: FeatureConfig = DEFAULT_FEATURES): Float64Array {
  const nFreqs = Math.floor(config.nFft / 2) + 1;
  const { nMels } = config;
  const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
  const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);
  // torchaudio spaces the bins over [0, sample_rate // 2].
  const nyquist = Math.floor(config.sampleRate / 2);
  const melMin = hzToMel(config.fMin);
  const melMax = hzToMel(config.fMax);
  const fPts = new Float64Array(nMels + 2); // filter edges and centres, Hz
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1));

  const fb = new Float64Array(nFreqs * nMels); // [nFreqs, nMels]
  for (let k = 0; k < nFreqs; k++) {
    const freq = (nyquist * k) / (nFreqs - 1);
    for (let m = 0; m < nMels; m++) {
      const down = (freq - fPts[m]) / (fPts[m + 1] - fPts[m]);
      const up = (fPts[m + 2] - freq) / (fPts[m + 2] - fPts[m + 1]);
      fb[k * nMels + m] = Math.max(0, Math.min(down, up));
    }
  }
  return fb;
}

// ---- derived tables, computed once per config object ----

interface FeaturePlan {
  readonly config: FeatureConfig;
  readonly nFreqs: number;
  readonly pad: number; // center=True reflect padding, samples each side: nFft/2
  readonly winOffset: number; // zeros before the window inside the nFft span: (nFft - winLength)/2
  readonly minSamples: number;
  readonly window: Float64Array; // periodic Hann [winLength]
  // The filterbank is sparse (each FFT bin feeds at most two bands): band m uses bins melLo[m]..melLo[m]+len-1
  // with weights melWeights[melOffset[m] ..].
  readonly melLo: Int32Array; // [nMels]
  readonly melOffset: Int32Array; // [nMels + 1]
  readonly melWeights: Float64Array; // [non-zero weights]
  readonly fft: FFT;
}

const plans = new WeakMap<FeatureConfig, FeaturePlan>();

function planFor(config: FeatureConfig): FeaturePlan {
  let plan = plans.get(config);
  if (!plan) {
    plan = makePlan(config);
    plans.set(config, plan);
  }
  return plan;
}

function makePlan(config: FeatureConfig): FeaturePlan {
  const { sampleRate, nFft, winLength, hopLength, nMels, fMin, fMax, logFloor } = config;
  const isPositiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;
  const problems: string[] = [];
  if (!(sampleRate > 0)) problems.push(`sampleRate ${sampleRate} must be positive`);
  if (!isPositiveInt(nFft) || nFft < 4 || (nFft & (nFft - 1)) !== 0)
    problems.push(`nFft ${nFft} must be a power of two ≥ 4`);
  if (!isPositiveInt(winLength) || winLength > nFft)
    problems.push(`winLength ${winLength} must be in 1..nFft`);
  if (!isPositiveInt(hopLength)) problems.push(`hopLength ${hopLength} must be a positive integer`);
  if (!isPositiveInt(nMels)) problems.push(`nMels ${nMels} must be a positive integer`);
  if (!(fMin >= 0 && fMin < fMax && fMax <= sampleRate / 2))
    problems.push(`need 0 ≤ fMin < fMax ≤ sampleRate/2, got fMin ${fMin}, fMax ${fMax}`);
  if (!(logFloor > 0)) problems.push(`logFloor ${logFloor} must be positive`);
  if (problems.length > 0) throw new Error(`FeatureConfig: ${problems.join('; ')}`);

  const nFreqs = nFft / 2 + 1;
  const window = new Float64Array(winLength);
  // torch.hann_window(winLength), periodic: the DFT-even window (denominator winLength, not winLength - 1).
  for (let n = 0; n < winLength; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / winLength);

  const fb = melFilterbank(config); // [nFreqs, nMels]
  const melLo = new Int32Array(nMels);
  const melOffset = new Int32Array(nMels + 1);
  const weights: number[] = [];
  for (let m = 0; m < nMels; m++) {
    let lo = 0;
    while (lo < nFreqs && fb[lo * nMels + m] === 0) lo++;
    let hi = nFreqs;
    while (hi > lo && fb[(hi - 1) * nMels + m] === 0) hi--;
    melLo[m] = lo;
    melOffset[m] = weights.length;
    for (let k = lo; k < hi; k++) weights.push(fb[k * nMels + m]);
  }
  melOffset[nMels] = weights.length;

  return {
    config,
    nFreqs,
    pad: nFft / 2,
    winOffset: Math.floor((nFft - winLength) / 2), // as torch.stft centres a short window
    minSamples: minSamples(config),
    window,
    melLo,
    melOffset,
    melWeights: Float64Array.from(weights),
    fft: new FFT(nFft),
  };
}

/** Window → power spectrum → mel → log for one frame; owns its scratch buffers. */
class FrameAnalyzer {
  private readonly plan: FeaturePlan;
  // FFT input: zero outside [winOffset, winOffset + winLength), which is never written. [nFft]
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array; // interleaved re, im [2 * nFft]; bins 0..nFft/2 used
  private readonly power: Float64Array; // [nFreqs]

  constructor(plan: FeaturePlan) {
    this.plan = plan;
    this.frame = new Float64Array(plan.config.nFft);
    this.spectrum = new Float64Array(2 * plan.config.nFft);
    this.power = new Float64Array(plan.nFreqs);
  }

  /** Log-mel of src[start, start + winLength) (the window's span) into out[outOffset, outOffset + nMels). */
  analyze(src: Float32Array, start: number, out: Float32Array, outOffset: number): void {
    const { window, winOffset, nFreqs, melLo, melOffset, melWeights, fft, config } = this.plan;
    const { frame, spectrum, power } = this;
    for (let i = 0; i < window.length; i++) frame[winOffset + i] = src[start + i] * window[i];
    // Real-input FFT: fills bins 0..nFft/2, all a one-sided power spectrum needs.
    fft.realTransform(spectrum, frame);
    for (let k = 0; k < nFreqs; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < config.nMels; m++) {
      let sum = 0;
      const lo = melLo[m] - melOffset[m];
      for (let w = melOffset[m]; w < melOffset[m + 1]; w++) sum += power[lo + w] * melWeights[w];
      out[outOffset + m] = Math.log(Math.max(sum, config.logFloor));
    }
  }
}

function assertFinite(samples: Float32Array, where: string, firstIndex: number): void {
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new Error(`${where}: sample ${firstIndex + i} is ${samples[i]}; audio samples must be finite`);
    }
  }
}
