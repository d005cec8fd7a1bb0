// Phone log-posteriorgram features from a sphinx acoustic model, one vector per log-mel frame, offline (whole
// clips) and streaming (mic chunks), so they can be concatenated beside features.ts's log-mel.
//
// Pipeline per frame: sphinx MFCC (mfcc.ts, centred framing) → live CMN (live-cmn.ts, causal, starting at the
// model's -cmninit) → 1s_c_d_dd dynamic features → CI phone log-posteriors (gmm-scores.ts).
//
// Frame alignment: output frame t is centred on sample t * hop, exactly like log-mel frame t, and a clip of
// n samples gives numFrames(n) frames (features.ts). The MFCC window of frame t is centred there (410 samples
// for the en-us model, 25.6 ms, vs log-mel's 25 ms) and the signal is reflected at both ends as logMel does.
//
// 1s_c_d_dd (sphinxbase feat.c): the 39-dim vector of frame t, from CMN'd cepstra c, is
//   [c_t, c_{t+2} - c_{t-2}, (c_{t+3} - c_{t-1}) - (c_{t+1} - c_{t-3})]  (13 + 13 + 13),
// with the first cepstrum standing in for frames before the start and the last for frames after the end, as
// sphinx pads an utterance. So frame t needs cepstra up to t + 3: 3 frames (30 ms) of look-ahead.
//
// The -cmn setting of feat.params is not followed: the en-us model was trained with batch CMN (each
// utterance's own mean), which needs the whole utterance; live CMN is its causal stand-in, as in pocketsphinx.

import { DEFAULT_FEATURES, minSamples, numFrames, type FeatureConfig } from '../features.js';
import { ContextPhoneScorer } from './context-scores.js';
import { CiPhoneScorer, DEFAULT_GMM_SCORING, type GmmScoringConfig } from './gmm-scores.js';
import { DEFAULT_LIVE_CMN, LiveCmn, type LiveCmnConfig } from './live-cmn.js';
import type { SphinxAcousticModel } from './load-model.js';
import { CentredFrameGatherer, MfccAnalyzer, centredMfcc, checkAlignment } from './mfcc.js';

export interface SphinxFeatureConfig {
  /** The log-mel front end whose frame grid the features follow (its hop and rate must equal the model's). */
  readonly logMel: FeatureConfig;
  readonly scoring: GmmScoringConfig;
  readonly cmn: LiveCmnConfig;
  /** Each phone's best-context posterior after the CI ones (context-scores.ts): twice the bins. */
  readonly contexts: boolean;
}

export const DEFAULT_SPHINX_FEATURES: Readonly<SphinxFeatureConfig> = Object.freeze({
  logMel: DEFAULT_FEATURES,
  scoring: DEFAULT_GMM_SCORING,
  cmn: DEFAULT_LIVE_CMN,
  contexts: false,
});

/** Frames of phone log-posteriors, frame-major like LogMel, with the feature vectors they were scored from. */
export interface SphinxFrames {
  frames: number;
  bins: number; // CI phones (42 for en-us), twice that with contexts
  data: Float32Array; // [frames, bins] ln P(phone | frame), then with contexts ln P_ctx(phone | frame); each set's exp sums to 1
  features: Float32Array; // [frames, featureDim] CMN'd MFCC, Δ, ΔΔ (featureDim 39)
}

/** Frames of look-ahead the dynamic features need (c_{t+3}). */
const LOOKAHEAD_FRAMES = 3;

/** Everything derived from the model once (the scorer's tables are ~4 MB); share one between streams. */
export class SphinxFeaturizer {
  readonly model: SphinxAcousticModel;
  readonly config: SphinxFeatureConfig;
  readonly scorer: CiPhoneScorer;
  readonly contexts: ContextPhoneScorer | null;
  readonly nCep: number;
  readonly featureDim: number;
  readonly bins: number;
  readonly phoneNames: readonly string[];

  constructor(model: SphinxAcousticModel, config: SphinxFeatureConfig = DEFAULT_SPHINX_FEATURES) {
    const fe = model.frontEnd;
    const unsupported: string[] = [];
    if (fe.featureType !== '1s_c_d_dd') unsupported.push(`-feat ${fe.featureType} (only 1s_c_d_dd)`);
    if (fe.agc !== 'none') unsupported.push(`-agc ${fe.agc}`);
    if (fe.varNorm) unsupported.push('-varnorm yes');
    if (unsupported.length > 0)
      throw new Error(`${model.dir}: unsupported front end: ${unsupported.join(', ')}`);
    checkAlignment(fe, config.logMel);
    this.model = model;
    this.config = config;
    this.scorer = new CiPhoneScorer(model, config.scoring);
    this.nCep = fe.nCep;
    this.featureDim = 3 * fe.nCep;
    if (this.scorer.featureDim !== this.featureDim)
      throw new Error(
        `${model.dir}: the Gaussians cover ${this.scorer.featureDim} dims, 1s_c_d_dd gives ${this.featureDim}`,
      );
    this.contexts = config.contexts ? new ContextPhoneScorer(model, this.scorer) : null;
    this.bins = this.scorer.nPhones * (this.contexts ? 2 : 1);
    this.phoneNames = this.scorer.phoneNames;
  }

  /**
   * Writes frame t's 1s_c_d_dd vector and its phone log-posteriors into row `row` of out; cepAt(k) is where
   * cepstrum k starts in cep (already clamped to the stream's ends by the caller).
   */
  frame(cep: Float32Array, cepAt: (k: number) => number, t: number, out: SphinxFrames, row: number): void {
    const n = this.nCep;
    const f = row * this.featureDim;
    const [m3, m2, m1, c, p1, p2, p3] = [
      cepAt(t - 3),
      cepAt(t - 2),
      cepAt(t - 1),
      cepAt(t),
      cepAt(t + 1),
      cepAt(t + 2),
      cepAt(t + 3),
    ];
    for (let i = 0; i < n; i++) {
      out.features[f + i] = cep[c + i];
      out.features[f + n + i] = cep[p2 + i] - cep[m2 + i];
      out.features[f + 2 * n + i] = cep[p3 + i] - cep[m1 + i] - (cep[p1 + i] - cep[m3 + i]);
    }
    this.scorer.score(out.features, f, out.data, row * this.bins);
    this.contexts?.score(this.scorer, out.data, row * this.bins + this.scorer.nPhones);
  }

  /** Zeroed output for `frames` frames. */
  emptyFrames(frames: number): SphinxFrames {
    return {
      frames,
      bins: this.bins,
      data: new Float32Array(frames * this.bins), // [frames, bins]
      features: new Float32Array(frames * this.featureDim), // [frames, featureDim]
    };
  }
}

/** Sphinx phone features of a whole clip (samples in [-1, 1]): numFrames(samples.length) frames. */
export function sphinxFeatures(
  samples: Float32Array,
  featurizer: SphinxFeaturizer,
  sampleRate: number = featurizer.model.frontEnd.sampleRate,
): SphinxFrames {
  checkInput(samples, sampleRate, featurizer, 'sphinxFeatures', 0);
  const { nCep } = featurizer;
  const cep = centredMfcc(samples, featurizer.model.frontEnd, featurizer.config.logMel);
  const cmn = new LiveCmn(featurizer.model.frontEnd.cmnInit, featurizer.config.cmn);
  for (let t = 0; t < cep.frames; t++) cmn.apply(cep.data, t * nCep);
  const out = featurizer.emptyFrames(cep.frames);
  const last = cep.frames - 1;
  const cepAt = (k: number): number => Math.min(Math.max(k, 0), last) * nCep;
  for (let t = 0; t < cep.frames; t++) featurizer.frame(cep.data, cepAt, t, out, t);
  return out;
}

/**
 * Streaming sphinx phone features: accept PCM chunks of any size, get each frame once it is complete. The
 * frames are identical to sphinxFeatures' for the same audio however it is chunked, and flush() emits the rest
 * so the total is numFrames(total samples).
 *
 * Latency: frame t needs its MFCC window and those of the three frames after it (Δ, ΔΔ), so it is emitted
 * once the stream reaches (t + 3) * hop + frameSize - floor(frameSize / 2) samples: t*160 + 685 with the en-us
 * model, 42.8 ms after its centre (StreamingLogMel: 12.5 ms). Between calls only a few thousand samples and
 * eight cepstra are kept.
 */
export class StreamingSphinxFeatures {
  readonly featurizer: SphinxFeaturizer;
  private readonly analyzer: MfccAnalyzer;
  private readonly gatherer: CentredFrameGatherer;
  private readonly cmn: LiveCmn;
  private samples = new Float32Array(4096); // stream samples [base, base + length)
  private base = 0;
  private length = 0;
  private nextCep = 0; // next MFCC frame to compute
  private nextOut = 0; // next feature frame to emit
  private flushed = false;
  // CMN'd cepstra of frames nextOut - 3 .. nextCep - 1, frame k in slot k % RING. [RING, nCep]
  private readonly ring: Float32Array;
  private static readonly RING = 2 * LOOKAHEAD_FRAMES + 2;

  constructor(featurizer: SphinxFeaturizer) {
    this.featurizer = featurizer;
    this.analyzer = new MfccAnalyzer(featurizer.model.frontEnd);
    this.gatherer = new CentredFrameGatherer(featurizer.model.frontEnd);
    this.cmn = new LiveCmn(featurizer.model.frontEnd.cmnInit, featurizer.config.cmn);
    this.ring = new Float32Array(StreamingSphinxFeatures.RING * featurizer.nCep);
  }

  get framesEmitted(): number {
    return this.nextOut;
  }

  get samplesAccepted(): number {
    return this.base + this.length;
  }

  /** Add PCM samples ([-1, 1], the model's rate); returns the frames completed by them (maybe none). */
  accept(chunk: Float32Array): SphinxFrames {
    if (this.flushed)
      throw new Error('StreamingSphinxFeatures.accept: stream already flushed; call reset() first');
    const fe = this.featurizer.model.frontEnd;
    checkInput(chunk, fe.sampleRate, this.featurizer, 'StreamingSphinxFeatures.accept', this.samplesAccepted);
    this.append(chunk);
    const received = this.samplesAccepted;
    // Cepstra whose whole window has arrived (none before log-mel's first frame exists).
    const { frameSize, hop } = this.gatherer;
    const whole = Math.floor((received - frameSize + Math.floor(frameSize / 2)) / hop) + 1;
    const cepstra =
      received >= minSamples(this.featurizer.config.logMel) ? Math.max(this.nextCep, whole) : this.nextCep;
    const out = this.featurizer.emptyFrames(Math.max(0, cepstra - LOOKAHEAD_FRAMES - this.nextOut));
    this.run(cepstra, received, out, Infinity);
    this.compact();
    return out;
  }

  /** End of stream: reflect the tail, compute the remaining frames. accept() is refused until reset(). */
  flush(): SphinxFrames {
    if (this.flushed)
      throw new Error('StreamingSphinxFeatures.flush: stream already flushed; call reset() first');
    this.flushed = true;
    const received = this.samplesAccepted;
    const total = numFrames(received, this.featurizer.config.logMel);
    const out = this.featurizer.emptyFrames(Math.max(0, total - this.nextOut));
    this.run(total, received, out, total - 1);
    return out;
  }

  /** Forget the stream; with keepCmn the cepstral mean learnt so far carries over (as sphinx does between utterances). */
  reset(keepCmn = false): void {
    this.base = 0;
    this.length = 0;
    this.nextCep = 0;
    this.nextOut = 0;
    this.flushed = false;
    if (!keepCmn) this.cmn.reset();
  }

  /**
   * Computes cepstra up to frame upTo - 1 (reflecting at the ends of `total` samples) and emits each feature
   * frame as soon as its look-ahead is in, into out; cepstra past `last` are the last one's (end of stream).
   */
  private run(upTo: number, total: number, out: SphinxFrames, last: number): void {
    const { nCep } = this.featurizer;
    const ring = StreamingSphinxFeatures.RING;
    const cepAt = (k: number): number => (Math.min(Math.max(k, 0), last) % ring) * nCep;
    let row = 0;
    const emitReady = (): void => {
      for (
        ;
        row < out.frames && Math.min(this.nextOut + LOOKAHEAD_FRAMES, last) < this.nextCep;
        row++, this.nextOut++
      )
        this.featurizer.frame(this.ring, cepAt, this.nextOut, out, row);
    };
    emitReady();
    while (this.nextCep < upTo) {
      const src = this.gatherer.frame(this.nextCep, (j) => this.samples[j - this.base], total);
      const slot = (this.nextCep % ring) * nCep;
      this.analyzer.analyze(src, 1, this.gatherer.frameSize, src[0], this.ring, slot);
      this.cmn.apply(this.ring, slot);
      this.nextCep++;
      emitReady();
    }
    if (row !== out.frames) throw new Error('StreamingSphinxFeatures: internal frame count mismatch');
  }

  private append(chunk: Float32Array): void {
    if (this.length + chunk.length > this.samples.length) {
      const grown = new Float32Array(Math.max(2 * this.samples.length, this.length + chunk.length));
      grown.set(this.samples.subarray(0, this.length));
      this.samples = grown;
    }
    this.samples.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Drops samples no pending frame reads, keeping the tail flush() reflects. */
  private compact(): void {
    const received = this.samplesAccepted;
    const keepFrom = Math.min(
      this.gatherer.windowStart(this.nextCep) - 1,
      received - this.gatherer.frameSize - 2,
    );
    const drop = keepFrom - this.base;
    // Copying costs little next to the MFCC; doing it only past a quarter of the buffer keeps it rare.
    if (drop <= this.samples.length / 4) return;
    this.samples.copyWithin(0, drop, this.length);
    this.base += drop;
    this.length -= drop;
  }
}

function checkInput(
  samples: Float32Array,
  sampleRate: number,
  featurizer: SphinxFeaturizer,
  where: string,
  first: number,
): void {
  const rate = featurizer.model.frontEnd.sampleRate;
  if (sampleRate !== rate)
    throw new Error(`${where}: sample rate ${sampleRate} Hz is not the model's ${rate} Hz; resample first`);
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]))
      throw new Error(`${where}: sample ${first + i} is ${samples[i]}; audio samples must be finite`);
  }
}
