// Causal cepstral mean normalisation in the style of sphinx's live CMN (cmn_live / cmn_prior): each frame has
// the current mean estimate subtracted, then is added to a running sum. The estimate starts at -cmninit,
// counted as if windowFrames frames had produced it, and is replaced when the count exceeds updateFrames:
// mean = sum / count, after which sum and count are scaled back to windowFrames (old frames are forgotten
// exponentially). Unlike sphinx, which checks the count once per block of frames it is given, the check here
// is made after every frame, so the result does not depend on how the audio was chunked.
//
// Sphinx's schedule (SPHINX_LIVE_CMN, 500 / 800) keeps -cmninit for the first 301 frames (3 s) and then moves
// every 301 frames; a short clip is normalised with -cmninit throughout, and the en-us model's -cmninit is far
// from real microphones' means (c0 41 against ~55 on the librivox clips). The default here updates after every
// frame (updateFrames = windowFrames: a moving average with a 2 s memory), which follows a new channel within
// a second or two; on the librivox test clips its phone posteriors agree better with pocketsphinx's own phone
// alignments than with sphinx's schedule.
//
// Frames with c0 < 0 (digital silence: every mel energy near 0) are normalised but not counted, so stretches
// of zeros cannot drag the mean down; later sphinx versions skip them the same way.

export interface LiveCmnConfig {
  /** Frames the mean counts as after an update (sphinx's CMN_WIN). Default 200. */
  readonly windowFrames: number;
  /** The mean is re-estimated when the count exceeds this (sphinx's CMN_WIN_HWM); ≥ windowFrames. Default 200. */
  readonly updateFrames: number;
}

export const DEFAULT_LIVE_CMN: Readonly<LiveCmnConfig> = Object.freeze({
  windowFrames: 200,
  updateFrames: 200,
});

/** Pocketsphinx's own schedule (CMN_WIN 500, CMN_WIN_HWM 800). */
export const SPHINX_LIVE_CMN: Readonly<LiveCmnConfig> = Object.freeze({
  windowFrames: 500,
  updateFrames: 800,
});

export class LiveCmn {
  readonly config: LiveCmnConfig;
  private readonly initial: Float64Array; // [nCep]
  private readonly current: Float64Array; // [nCep] mean being subtracted
  private readonly sum: Float64Array; // [nCep]
  private count = 0;

  constructor(initialMean: readonly number[], config: LiveCmnConfig = DEFAULT_LIVE_CMN) {
    if (!(config.windowFrames > 0 && config.updateFrames >= config.windowFrames))
      throw new Error('LiveCmnConfig: need 0 < windowFrames ≤ updateFrames');
    this.config = config;
    this.initial = Float64Array.from(initialMean);
    this.current = new Float64Array(initialMean.length);
    this.sum = new Float64Array(initialMean.length);
    this.reset();
  }

  /** The mean currently subtracted. [nCep] */
  get mean(): Float64Array {
    return this.current.slice();
  }

  /** Normalises cep[offset, offset + nCep) in place, then lets the frame update the estimate. */
  apply(cep: Float32Array, offset: number): void {
    const n = this.current.length;
    const counted = cep[offset] >= 0;
    for (let i = 0; i < n; i++) {
      const x = cep[offset + i];
      if (counted) this.sum[i] += x;
      cep[offset + i] = x - this.current[i];
    }
    if (!counted) return;
    this.count++;
    if (this.count > this.config.updateFrames) {
      const scale = this.config.windowFrames / this.count;
      for (let i = 0; i < n; i++) {
        this.current[i] = this.sum[i] / this.count;
        this.sum[i] *= scale;
      }
      this.count = this.config.windowFrames;
    }
  }

  /** Back to the initial mean, as if no frame had been seen. */
  reset(): void {
    this.current.set(this.initial);
    for (let i = 0; i < this.sum.length; i++) this.sum[i] = this.initial[i] * this.config.windowFrames;
    this.count = this.config.windowFrames;
  }
}
