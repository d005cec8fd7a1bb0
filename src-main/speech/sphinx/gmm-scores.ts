// Scores one 39-dim sphinx feature vector against the acoustic model's context-independent (CI) phones.
//
// 1. Gaussian log-likelihoods: every density d of a codebook, for each feature stream s (the -svspec ranges:
//    cepstra, Δ, ΔΔ for the en-us model), ln N(x_s; μ, diag σ²) = -½ Σ ln(2π σ²_i) - Σ (x_i - μ_i)² / (2σ²_i),
//    with variances first raised to varianceFloor (sphinx's -varfloor), as sphinx does. WebAssembly SIMD
//    (simd-densities.ts) computes the same numbers as the TypeScript here, to the bit, several times faster.
// 2. Top N: per codebook and stream, the topN likeliest densities (pocketsphinx's -topn, 4 by default), found
//    exactly: the previous frame's top N set the bar, and only densities above it are inserted.
// 3. Senone scores: a CI senone (one emitting state of a CI phone) is a mixture over its codebook's densities,
//    independently per stream: ln p(x | senone) = Σ_s ln Σ_d w[senone, s, d] N_d(x_s), the sum over the top N
//    densities as in pocketsphinx (topN 'all': every density). The codebook of a senone is its CI phone's in a
//    phonetically-tied model (PTM, one codebook per CI phone), the only one in a semi-continuous model, and
//    its own in a continuous one.
// 4. Phone log-posteriors: per CI phone, ln Σ over its emitting states of p(x | state) (equal state priors),
//    then a log-softmax over the phones (equal phone priors). One value per CI phone, fillers included: for
//    the en-us model 42 = 39 phones + SIL + the noise fillers +NSN+ and +SPN+.
//
// Partial-distance elimination (pocketsphinx's way of finding the top N: stop a density's sum once it falls
// below the N-th best) is not used: V8 compiles its data-dependent exits to jumps the processor often
// mispredicts, which cost more than the arithmetic they skip, and the SIMD kernel's straight-line evaluation
// of every density is cheaper still.

import type { SphinxAcousticModel } from './load-model.js';
import { haveWasmSimd, SimdDensities } from './simd-densities.js';

export interface GmmScoringConfig {
  /** Variances below this are raised to it (sphinx's -varfloor default); the en-us model has zeros. */
  readonly varianceFloor: number;
  /**
   * Densities more than this many nats below their codebook's best are skipped: each would add under
   * e^-pruneNats times its weight to a sum holding the best density's weighted term (≥ e^-16 with en-us).
   */
  readonly pruneNats: number;
  /**
   * Densities of each codebook and stream a senone's mixture sums: the frame's N likeliest, as pocketsphinx's
   * -topn (default 4). 'all' (or the codebook's size, 128 for en-us) sums every density: full mixtures.
   */
  readonly topN: number | 'all';
  /**
   * Evaluate the Gaussians with WebAssembly SIMD where the runtime has it (default true); the numbers are the
   * same either way.
   */
  readonly simd: boolean;
}

export const DEFAULT_GMM_SCORING: Readonly<GmmScoringConfig> = Object.freeze({
  varianceFloor: 1e-4,
  pruneNats: 50,
  topN: 4,
  simd: true,
});

export class CiPhoneScorer {
  readonly config: GmmScoringConfig;
  readonly phoneNames: readonly string[]; // [nPhones]
  readonly nPhones: number;
  readonly nStates: number; // emitting states per phone
  readonly nCodebooks: number;
  readonly nStreams: number;
  readonly nDensities: number;
  /** Densities summed per codebook and stream: config.topN, or nDensities for 'all' (full mixtures). */
  readonly topN: number;
  readonly featureDim: number;
  private readonly streamStart: Int32Array; // [nStreams + 1] feature index where each stream starts
  // TypeScript evaluation (empty with SIMD): per density, its dims' (μ_i, 1 / (2 σ²_i)) pairs side by side,
  // read in one pass: [nCodebooks][nStreams][nDensities][dims][2]
  private readonly params: Float64Array;
  private readonly simd: SimdDensities | null;
  private readonly logNorm: Float64Array; // [nCodebooks, nStreams, nDensities] -½ Σ ln(2π σ²)
  private readonly blockStart: Int32Array; // [nCodebooks * nStreams] offset of each (codebook, stream) in params
  private readonly stateCodebook: Int32Array; // [nPhones, nStates]
  private readonly neededCodebooks: Int32Array; // codebooks some CI state uses
  private readonly codebookStates: Int32Array[]; // per needed codebook: the CI states (p * nStates + k) using it
  private readonly weights: Float64Array; // linear mixture weights [nPhones, nStates, nStreams, nDensities]
  // Top-N lists, best first, of the last frame scored: [nCodebooks, nStreams, topN] density index and
  // log-likelihood. Each frame's selection starts from the previous frame's, whichever audio stream (the
  // featurizer is shared) that was: only the speed depends on it.
  private readonly topIndex: Int32Array;
  private readonly topLl: Float64Array;
  // Scratch for score(): [featureDim], [nCodebooks, nStreams, nDensities] (the SIMD kernel's output with
  // SIMD), [nPhones, nStates], [nDensities] exp(ll - best) of one codebook and stream, [nPhones]
  private readonly x: Float64Array;
  private readonly densityLl: Float64Array;
  private readonly senones: Float64Array;
  private readonly relative: Float64Array; // [max(nDensities, nStreams * topN)]
  private readonly phone: Float64Array;
  private readonly exp: NegativeExp;

  constructor(model: SphinxAcousticModel, config: GmmScoringConfig = DEFAULT_GMM_SCORING) {
    const { means, variances, mdef, mixtureWeights } = model;
    this.config = config;
    this.phoneNames = mdef.ciPhones;
    this.nPhones = mdef.ciPhones.length;
    this.nStates = mdef.nEmittingStates;
    this.nCodebooks = means.nCodebooks;
    this.nStreams = means.nStreams;
    this.nDensities = means.nDensities;
    this.topN = checkTopN(config.topN, this.nDensities);
    this.streamStart = new Int32Array(this.nStreams + 1);
    for (let s = 0; s < this.nStreams; s++)
      this.streamStart[s + 1] = this.streamStart[s] + means.streamDims[s];
    this.featureDim = this.streamStart[this.nStreams];

    const useSimd = config.simd && haveWasmSimd() && this.nDensities % 2 === 0;
    this.params = new Float64Array(useSimd ? 0 : 2 * means.data.length);
    this.logNorm = new Float64Array(this.nCodebooks * this.nStreams * this.nDensities);
    this.blockStart = new Int32Array(this.nCodebooks * this.nStreams);
    this.simd = this.precompute(means.data, variances.data, means.streamDims, useSimd);

    this.stateCodebook = new Int32Array(this.nPhones * this.nStates);
    for (let p = 0; p < this.nPhones; p++) {
      for (let k = 0; k < this.nStates; k++) {
        const senone = mdef.ciSenones[p * this.nStates + k];
        const cb = this.nCodebooks === 1 ? 0 : this.nCodebooks === this.nPhones ? p : senone;
        this.stateCodebook[p * this.nStates + k] = cb;
      }
    }
    this.neededCodebooks = Int32Array.from(new Set(this.stateCodebook)).sort();
    this.codebookStates = Array.from(this.neededCodebooks, (cb) =>
      Int32Array.from(this.stateCodebook.keys()).filter((ps) => this.stateCodebook[ps] === cb),
    );
    const logW = mixtureWeights.logWeights(Array.from(mdef.ciSenones));
    this.weights = logW.map(Math.exp);

    // Any N distinct densities start the first selection.
    const n = this.topN;
    this.topIndex = Int32Array.from({ length: this.nCodebooks * this.nStreams * n }, (_, i) => i % n);
    this.topLl = new Float64Array(this.topIndex.length);
    this.x = new Float64Array(this.featureDim);
    this.densityLl = this.simd?.out ?? new Float64Array(this.logNorm.length);
    this.senones = new Float64Array(this.nPhones * this.nStates);
    this.relative = new Float64Array(Math.max(this.nDensities, this.nStreams * n));
    this.phone = new Float64Array(this.nPhones);
    this.exp = new NegativeExp(config.pruneNats);
  }

  /** Fills logNorm, and params or (returned) the SIMD tables. */
  private precompute(
    mean: Float32Array,
    variance: Float32Array,
    streamDims: readonly number[],
    useSimd: boolean,
  ): SimdDensities | null {
    const { varianceFloor } = this.config;
    const ln2pi = Math.log(2 * Math.PI);
    const precision = (at: number): number => 1 / (2 * Math.max(variance[at], varianceFloor));
    let at = 0;
    for (let cb = 0; cb < this.nCodebooks; cb++) {
      for (let s = 0; s < this.nStreams; s++) {
        this.blockStart[cb * this.nStreams + s] = 2 * at;
        for (let d = 0; d < this.nDensities; d++) {
          let logDet = 0;
          for (let i = 0; i < streamDims[s]; i++, at++) {
            logDet += Math.log(Math.max(variance[at], varianceFloor));
            if (useSimd) continue;
            this.params[2 * at] = mean[at];
            this.params[2 * at + 1] = precision(at);
          }
          this.logNorm[(cb * this.nStreams + s) * this.nDensities + d] =
            -0.5 * (logDet + streamDims[s] * ln2pi);
        }
      }
    }
    if (!useSimd) return null;
    const { nStreams, nDensities, streamStart, logNorm } = this;
    const nBlocks = this.nCodebooks * nStreams;
    return new SimdDensities({ nBlocks, nStreams, nDensities, streamStart, mean, precision, logNorm });
  }

  /** Whether the Gaussians run on the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.simd !== null;
  }

  /** Gaussian log-likelihoods of every density of every codebook: out is [nCodebooks, nStreams, nDensities]. */
  densityLogLikelihoods(feature: ArrayLike<number>, offset: number, out: Float64Array): void {
    this.load(feature, offset);
    for (let cb = 0; cb < this.nCodebooks; cb++) this.codebookLl(cb, out);
  }

  /**
   * The topN likeliest densities of each codebook and stream that CI states use, best first (ties to the lower
   * index): index and ll are [nCodebooks, nStreams, topN], other codebooks' entries left as they are.
   */
  topDensities(feature: ArrayLike<number>, offset: number, index: Int32Array, ll: Float64Array): void {
    this.load(feature, offset);
    this.selectTop();
    const n = this.nStreams * this.topN;
    for (const cb of this.neededCodebooks) {
      index.set(this.topIndex.subarray(cb * n, (cb + 1) * n), cb * n);
      ll.set(this.topLl.subarray(cb * n, (cb + 1) * n), cb * n);
    }
  }

  /**
   * CI senone log-likelihoods from density log-likelihoods (as densityLogLikelihoods writes them; only the
   * codebooks CI states use are read), every density summed. out is [nPhones, nStates].
   */
  senoneScores(densityLl: Float64Array, out: Float64Array): void {
    const { nStreams, nDensities, weights, relative } = this;
    const floor = -this.config.pruneNats;
    out.fill(0, 0, this.nPhones * this.nStates);
    for (let c = 0; c < this.neededCodebooks.length; c++) {
      const states = this.codebookStates[c];
      for (let s = 0; s < nStreams; s++) {
        // Densities relative to the best, exponentiated once per codebook and shared by the states using it.
        const ll = (this.neededCodebooks[c] * nStreams + s) * nDensities;
        let best = -Infinity;
        for (let d = 0; d < nDensities; d++) if (densityLl[ll + d] > best) best = densityLl[ll + d];
        for (let d = 0; d < nDensities; d++) {
          const rel = densityLl[ll + d] - best;
          relative[d] = rel > floor ? this.exp.of(rel) : 0;
        }
        for (let k = 0; k < states.length; k++) {
          const w = (states[k] * nStreams + s) * nDensities;
          let sum = 0;
          for (let d = 0; d < nDensities; d++) sum += weights[w + d] * relative[d];
          out[states[k]] += best + Math.log(sum);
        }
      }
    }
  }

  /**
   * CI senone log-likelihoods from each codebook's top-N densities (as topDensities writes them): each
   * stream's mixture sums only those N. out is [nPhones, nStates].
   */
  topSenoneScores(index: Int32Array, ll: Float64Array, out: Float64Array): void {
    const { nStreams, nDensities, topN, weights, relative } = this;
    const floor = -this.config.pruneNats;
    for (let c = 0; c < this.neededCodebooks.length; c++) {
      // relative: [nStreams, topN] each density's exp(ll - its stream's best), shared by the codebook's states.
      const t0 = this.neededCodebooks[c] * nStreams * topN;
      let best = 0;
      for (let s = 0; s < nStreams; s++) {
        const t = t0 + s * topN;
        best += ll[t]; // lists are best first
        for (let j = 0; j < topN; j++) {
          const rel = ll[t + j] - ll[t];
          relative[s * topN + j] = rel > floor ? this.exp.of(rel) : 0;
        }
      }
      const states = this.codebookStates[c];
      for (let k = 0; k < states.length; k++) {
        // One log of the streams' product: each factor is at least its best density's weight (≥ e^-16 for
        // en-us, see pruneNats), so a few of them are far from underflowing.
        let product = 1;
        for (let s = 0; s < nStreams; s++) {
          const w = (states[k] * nStreams + s) * nDensities;
          let sum = 0;
          for (let j = 0; j < topN; j++)
            sum += weights[w + index[t0 + s * topN + j]] * relative[s * topN + j];
          product *= sum;
        }
        out[states[k]] = best + Math.log(product);
      }
    }
  }

  /**
   * The top-N lists of the frame score() saw last, [nCodebooks, nStreams, topN] density index and
   * log-likelihood, best first (live views: the next score() overwrites them). Only with topN below the
   * codebook size; context scores (context-scores.ts) mix their senones from them.
   */
  lastTop(): { index: Int32Array; ll: Float64Array } {
    if (this.topN >= this.nDensities) throw new Error('lastTop: scoring sums every density (topN "all")');
    return { index: this.topIndex, ll: this.topLl };
  }

  /** Log-softmax over phones of each phone's log-sum-exp over its states: out[outOffset, + nPhones). */
  phoneLogPosteriors(senones: Float64Array, out: Float32Array, outOffset: number): void {
    const { nPhones, nStates, phone } = this;
    for (let p = 0; p < nPhones; p++) phone[p] = logSumExp(senones, p * nStates, nStates);
    const norm = logSumExp(phone, 0, nPhones);
    for (let p = 0; p < nPhones; p++) out[outOffset + p] = phone[p] - norm;
  }

  /** All the steps for one feature vector; writes nPhones log-posteriors to out[outOffset...]. */
  score(feature: ArrayLike<number>, offset: number, out: Float32Array, outOffset: number): void {
    this.load(feature, offset);
    if (this.topN < this.nDensities) {
      this.selectTop();
      this.topSenoneScores(this.topIndex, this.topLl, this.senones);
    } else {
      for (let i = 0; i < this.neededCodebooks.length; i++)
        this.codebookLl(this.neededCodebooks[i], this.densityLl);
      this.senoneScores(this.densityLl, this.senones);
    }
    this.phoneLogPosteriors(this.senones, out, outOffset);
  }

  private load(feature: ArrayLike<number>, offset: number): void {
    for (let i = 0; i < this.featureDim; i++) this.x[i] = feature[offset + i];
    this.simd?.load(this.x);
  }

  /** Evaluates the needed codebooks for the loaded vector and selects each one's top N into topIndex, topLl. */
  private selectTop(): void {
    const { nStreams, nDensities, topN, densityLl } = this;
    for (let c = 0; c < this.neededCodebooks.length; c++) {
      const cb = this.neededCodebooks[c];
      this.codebookLl(cb, densityLl);
      for (let s = 0; s < nStreams; s++) {
        const b = cb * nStreams + s;
        selectTop(densityLl, b * nDensities, nDensities, this.topIndex, this.topLl, b * topN, topN);
      }
    }
  }

  /** Density log-likelihoods of one codebook for the loaded feature vector. */
  private codebookLl(cb: number, out: Float64Array): void {
    const { x, params, logNorm, nStreams, nDensities } = this;
    for (let s = 0; s < nStreams; s++) {
      const x0 = this.streamStart[s];
      const dims = this.streamStart[s + 1] - x0;
      const at = this.blockStart[cb * nStreams + s];
      const o = (cb * nStreams + s) * nDensities;
      if (this.simd) {
        this.simd.evaluate(cb * nStreams + s);
        if (out !== this.simd.out) out.set(this.simd.out.subarray(o, o + nDensities), o);
        continue;
      }
      if (dims === 13) {
        densities13(x, x0, params, at, logNorm, out, o, nDensities);
        continue;
      }
      for (let d = 0, p = at; d < nDensities; d++) {
        let acc = logNorm[o + d];
        for (let i = 0; i < dims; i++, p += 2) {
          const diff = x[x0 + i] - params[p];
          acc -= diff * diff * params[p + 1];
        }
        out[o + d] = acc;
      }
    }
  }
}

/**
 * The same for 13-dim streams (cepstra, Δ, ΔΔ: every 1s_c_d_dd model), unrolled with the observation in locals:
 * this loop is most of the feature's cost, and V8 does not unroll or hoist it by itself.
 */
function densities13(
  x: Float64Array,
  x0: number,
  params: Float64Array,
  at: number,
  logNorm: Float64Array,
  out: Float64Array,
  o: number,
  nDensities: number,
): void {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12] = x.subarray(x0, x0 + 13);
  for (let d = 0, p = at; d < nDensities; d++, p += 26) {
    const e0 = a0 - params[p];
    const e1 = a1 - params[p + 2];
    const e2 = a2 - params[p + 4];
    const e3 = a3 - params[p + 6];
    const e4 = a4 - params[p + 8];
    const e5 = a5 - params[p + 10];
    const e6 = a6 - params[p + 12];
    const e7 = a7 - params[p + 14];
    const e8 = a8 - params[p + 16];
    const e9 = a9 - params[p + 18];
    const e10 = a10 - params[p + 20];
    const e11 = a11 - params[p + 22];
    const e12 = a12 - params[p + 24];
    // Four partial sums: one chain of 13 additions would make each density wait on the adder's latency.
    const s0 =
      e0 * e0 * params[p + 1] + e1 * e1 * params[p + 3] + e2 * e2 * params[p + 5] + e3 * e3 * params[p + 7];
    const s1 = e4 * e4 * params[p + 9] + e5 * e5 * params[p + 11] + e6 * e6 * params[p + 13];
    const s2 = e7 * e7 * params[p + 15] + e8 * e8 * params[p + 17] + e9 * e9 * params[p + 19];
    const s3 = e10 * e10 * params[p + 21] + e11 * e11 * params[p + 23] + e12 * e12 * params[p + 25];
    out[o + d] = logNorm[o + d] - (s0 + s1 + (s2 + s3));
  }
}

/**
 * The exact top n of one codebook's densities ll[o, o + nDensities) into the list (index, top)[t, t + n), best
 * first, ties to the lower index. The list holds the previous frame's top n on entry: their new values set the
 * bar at once (speech changes little in 10 ms), so nearly every density is rejected by one comparison.
 */
function selectTop(
  ll: Float64Array,
  o: number,
  nDensities: number,
  index: Int32Array,
  top: Float64Array,
  t: number,
  n: number,
): void {
  for (let j = t; j < t + n; j++) top[j] = ll[o + index[j]];
  sortTop(index, top, t, n);
  let worst = top[t + n - 1];
  for (let d = 0; d < nDensities; d++) {
    const v = ll[o + d];
    if (v < worst || !enterTop(index, top, t, n, d, v)) continue;
    worst = top[t + n - 1];
  }
}

/** Whether (v, d) ranks before entry k of a list: likelier, or as likely with a lower index. */
function ranksBefore(v: number, d: number, index: Int32Array, top: Float64Array, k: number): boolean {
  return v > top[k] || (v === top[k] && d < index[k]);
}

/** Insertion sort of the list (index, top)[t, t + n), best first. */
function sortTop(index: Int32Array, top: Float64Array, t: number, n: number): void {
  for (let j = t + 1; j < t + n; j++) {
    const d = index[j];
    const v = top[j];
    let k = j;
    for (; k > t && ranksBefore(v, d, index, top, k - 1); k--) {
      index[k] = index[k - 1];
      top[k] = top[k - 1];
    }
    index[k] = d;
    top[k] = v;
  }
}

/** Puts density d (log-likelihood v) into the list if it ranks before its last entry and is not in it yet. */
function enterTop(index: Int32Array, top: Float64Array, t: number, n: number, d: number, v: number): boolean {
  const end = t + n - 1;
  if (!ranksBefore(v, d, index, top, end)) return false;
  for (let j = t; j <= end; j++) if (index[j] === d) return false;
  let k = end;
  for (; k > t && ranksBefore(v, d, index, top, k - 1); k--) {
    index[k] = index[k - 1];
    top[k] = top[k - 1];
  }
  index[k] = d;
  top[k] = v;
  return true;
}

function checkTopN(topN: number | 'all', nDensities: number): number {
  if (topN === 'all') return nDensities;
  if (!Number.isInteger(topN) || topN < 1)
    throw new Error(`GmmScoringConfig: topN ${topN} must be 'all' or a whole number ≥ 1`);
  return Math.min(topN, nDensities);
}

/**
 * e^x for -maxNats < x ≤ 0, within 4e-14 relative, about twice as fast as Math.exp in V8 (which the
 * senone sums would call 16 128 times a frame): e^x = 2^(-m/64) · e^r with m = round(-64 x / ln 2), the first
 * factor from a table and e^r (|r| ≤ ln 2 / 128) from its Taylor series to r^4.
 */
const EXP_STEPS = 64; // table entries per octave
const EXP_SCALE = EXP_STEPS / Math.LN2;
const EXP_LN2_HI = 0.6931471803691238 / EXP_STEPS; // ln 2 / 64 in two parts: m times the first is exact
const EXP_LN2_LO = 1.9082149292705877e-10 / EXP_STEPS;

class NegativeExp {
  private readonly table: Float64Array; // [m] 2^(-m / 64)

  constructor(maxNats: number) {
    if (!(maxNats > 0 && maxNats < 700))
      throw new Error(`GmmScoringConfig: pruneNats ${maxNats} must be in (0, 700)`);
    const size = Math.ceil(maxNats * EXP_SCALE) + 2;
    this.table = Float64Array.from({ length: size }, (_, m) => 2 ** (-m / EXP_STEPS));
  }

  of(x: number): number {
    const m = (0.5 - x * EXP_SCALE) | 0;
    const r = x + m * EXP_LN2_HI + m * EXP_LN2_LO;
    return (1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24))))) * this.table[m];
  }
}

function logSumExp(v: Float64Array, from: number, n: number): number {
  let best = -Infinity;
  for (let i = from; i < from + n; i++) if (v[i] > best) best = v[i];
  if (best === -Infinity) return best;
  let sum = 0;
  for (let i = from; i < from + n; i++) sum += Math.exp(v[i] - best);
  return best + Math.log(sum);
}
