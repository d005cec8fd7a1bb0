// How well each phone's best context explains a frame: for every CI phone, the likeliest of all its senones —
// context-dependent (triphone) states and CI states alike — as a log-posteriorgram over the phones.
//
// The CI scores (gmm-scores.ts) model each phone as one average over every context it was heard in; pocketsphinx
// recognises with its 5,000 context-dependent senones, which are far sharper (an /AE/ before /N/ is not an /AE/
// before /T/). Taking the best senone of each phone keeps that sharpness in one value per phone:
//
//   ln p_ctx(x | phone) = max over senones s of the phone (any state, any context) of ln p(x | s),
//   ln p(x | s) = Σ_streams ln Σ_{d in the codebook's top N} w[s, stream, d] N_d(x_stream),
//
// then a log-softmax over the phones (equal priors), as for the CI posteriors. The densities and their top-N
// lists are the CI scorer's own for the frame (CiPhoneScorer.lastTop), so the Gaussians are evaluated once; a
// senone mixes its base phone's codebook (phonetically tied models) or the one codebook (semi-continuous).

import type { CiPhoneScorer } from './gmm-scores.js';
import type { SphinxAcousticModel } from './load-model.js';

export class ContextPhoneScorer {
  readonly nPhones: number;
  private readonly nStreams: number;
  private readonly nDensities: number;
  private readonly topN: number;
  // Senones grouped by phone: phone p's are the phoneStart[p] .. phoneStart[p + 1] - 1-th of them.
  private readonly phoneStart: Int32Array; // [nPhones + 1]
  private readonly codebook: Int32Array; // [nPhones] the codebook every senone of the phone mixes
  // Linear mixture weights, per phone [nStreams, nDensities, its senones] from weightStart[p]: the senones of a
  // phone side by side for each density, so a frame reads a few contiguous rows (its top N densities) instead
  // of scattered single weights of 5,000 senones.
  private readonly weights: Float32Array;
  private readonly weightStart: Int32Array; // [nPhones]
  private readonly relative: Float64Array; // [nStreams, topN] scratch: exp(ll - the stream's best)
  private readonly sums: Float64Array; // [most senones of a phone] scratch: product over streams so far
  private readonly stream: Float64Array; // [most senones of a phone] scratch: one stream's mixture sums
  private readonly phone: Float64Array; // [nPhones] scratch

  constructor(model: SphinxAcousticModel, scorer: CiPhoneScorer) {
    const { mdef, mixtureWeights, means } = model;
    this.nPhones = mdef.ciPhones.length;
    this.nStreams = means.nStreams;
    this.nDensities = means.nDensities;
    this.topN = scorer.topN;
    if (means.nCodebooks !== 1 && means.nCodebooks !== this.nPhones)
      throw new Error(
        `${model.dir}: context scores need one codebook a phone or one in all; the model has ${means.nCodebooks}`,
      );
    const byPhone: number[][] = Array.from({ length: this.nPhones }, () => []);
    mdef.senoneBase.forEach((p, s) => {
      if (p >= 0) byPhone[p].push(s);
    });
    this.phoneStart = new Int32Array(this.nPhones + 1);
    byPhone.forEach((list, p) => (this.phoneStart[p + 1] = this.phoneStart[p] + list.length));
    const senones = byPhone.flat(); // grouped by phone
    this.codebook = Int32Array.from(byPhone, (_, p) => (means.nCodebooks === 1 ? 0 : p));
    const S = this.nStreams;
    const D = this.nDensities;
    const logW = mixtureWeights.logWeights(senones); // [senones, nStreams, nDensities]
    this.weights = new Float32Array(logW.length);
    this.weightStart = new Int32Array(this.nPhones);
    for (let p = 0; p < this.nPhones; p++) {
      const first = this.phoneStart[p];
      const n = this.phoneStart[p + 1] - first;
      this.weightStart[p] = first * S * D;
      for (let k = 0; k < n; k++)
        for (let st = 0; st < S; st++)
          for (let d = 0; d < D; d++)
            this.weights[first * S * D + (st * D + d) * n + k] = Math.exp(
              logW[((first + k) * S + st) * D + d],
            );
    }
    this.sums = new Float64Array(Math.max(...byPhone.map((l) => l.length)));
    this.stream = new Float64Array(this.sums.length);
    this.relative = new Float64Array(this.nStreams * this.topN);
    this.phone = new Float64Array(this.nPhones);
  }

  /**
   * Phone log-posteriors of the best context from the CI scorer's last frame (call after its score()):
   * writes nPhones values to out[outOffset...].
   */
  score(scorer: CiPhoneScorer, out: Float32Array, outOffset: number): void {
    const { index, ll } = scorer.lastTop(); // [nCodebooks, nStreams, topN], best first
    const { phone } = this;
    let top = -Infinity;
    for (let p = 0; p < this.nPhones; p++) {
      phone[p] = this.phoneScore(p, index, ll);
      if (phone[p] > top) top = phone[p];
    }
    let sum = 0;
    for (let p = 0; p < this.nPhones; p++) sum += Math.exp(phone[p] - top);
    const norm = top + Math.log(sum);
    for (let p = 0; p < this.nPhones; p++) out[outOffset + p] = phone[p] - norm;
  }

  /** ln p(x | phone's likeliest senone) from the frame's top-N lists. */
  private phoneScore(p: number, index: Int32Array, ll: Float64Array): number {
    const { nStreams, nDensities, topN, relative, weights, sums, stream } = this;
    const t0 = this.codebook[p] * nStreams * topN;
    let best = 0; // Σ over streams of the best density's log-likelihood
    for (let st = 0; st < nStreams; st++) {
      const t = t0 + st * topN;
      best += ll[t];
      for (let j = 0; j < topN; j++) relative[st * topN + j] = Math.exp(ll[t + j] - ll[t]);
    }
    // Every senone of the phone mixes the same codebook, so the likeliest has the largest product of its
    // streams' relative sums: one log a phone.
    const n = this.phoneStart[p + 1] - this.phoneStart[p];
    sums.fill(1, 0, n);
    for (let st = 0; st < nStreams; st++) {
      // The stream's mixture sum for every senone at once: one contiguous row of weights per top density.
      stream.fill(0, 0, n);
      for (let j = 0; j < topN; j++) {
        const rel = relative[st * topN + j];
        const w = this.weightStart[p] + (st * nDensities + index[t0 + st * topN + j]) * n;
        for (let k = 0; k < n; k++) stream[k] += weights[w + k] * rel;
      }
      for (let k = 0; k < n; k++) sums[k] *= stream[k];
    }
    let most = 0;
    for (let k = 0; k < n; k++) if (sums[k] > most) most = sums[k];
    return best + Math.log(most);
  }
}
