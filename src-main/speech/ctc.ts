/**
 * Connectionist Temporal Classification (CTC) loss and its gradient, in pure TypeScript.
 *
 * The acoustic model emits one row of class scores per frame; CTC sums the probability of every frame-level
 * alignment (labels interleaved with optional blanks, repeats merged) that collapses to the target text.
 * This is the reference the training loop's gradient is built on, so it is written for exactness first
 * (log-space forward–backward in Float64) and speed second (banded recursions, reusable scratch buffers).
 *
 * Inputs are UNNORMALISED logits, row-major [T, C]; a log-softmax is applied inside. Passing log-probabilities
 * is also fine and gives the same result, because log-softmax is idempotent (log-probs already normalise to 1).
 * Never pass plain probabilities: they would be treated as logits.
 *
 * The gradient returned is ∂loss/∂logits = softmax(logits) − posterior occupancy of each class, the closed
 * form that already includes the log-softmax's Jacobian.
 */

export type CtcReduction = 'none' | 'sum' | 'mean';

/** How a batch of CTC losses is combined. Field names and defaults follow PyTorch's `ctc_loss`. */
export interface CtcOptions {
  /**
   * How per-utterance losses combine into `loss` (and how the gradient is scaled).
   * - 'mean' (default, as in PyTorch): each loss divided by its target length (at least 1), then averaged over the batch.
   * - 'sum': plain sum over the batch.
   * - 'none': `loss` is the plain sum too; read the per-utterance values from `losses`.
   */
  reduction: CtcReduction;
  /**
   * Utterances whose target cannot fit in their frames contribute loss 0 and zero gradient instead of Infinity.
   * Default: true, so one mislabelled or too-short clip cannot derail a training run. They are always counted in
   * `infeasible`.
   */
  zeroInfinity: boolean;
}

export const DEFAULT_CTC_OPTIONS: Readonly<CtcOptions> = { reduction: 'mean', zeroInfinity: true };

export interface CtcResult {
  /** −log p(target | logits); Infinity when the target cannot fit in T frames. */
  loss: number;
  /** ∂loss/∂logits, [T, C]; all zero when the loss is Infinity. */
  grad: Float32Array;
}

export interface CtcBatchResult {
  /** Per-utterance −log p(target | logits) before reduction, [B]; 0 for infeasible ones under `zeroInfinity`. */
  losses: Float64Array;
  /** The reduced loss (see `CtcOptions.reduction`). */
  loss: number;
  /** ∂loss/∂logits, [B, Tmax, C]; zero beyond each utterance's input length and for infeasible utterances. */
  grad: Float32Array;
  /** How many utterances had a target too long for their frames. */
  infeasible: number;
}

/** Targets for a batch: one label array per utterance, or all labels concatenated with per-utterance lengths. */
export type CtcTargets =
  readonly ArrayLike<number>[] | { flat: ArrayLike<number>; lengths: ArrayLike<number> };

/**
 * Scratch memory for the forward–backward pass. It only grows, so a training loop that keeps one alive does no
 * per-utterance allocation once it has seen its longest utterance.
 */
export class CtcWorkspace {
  /** [T, C] log-softmax of the current utterance. */
  logProbs = new Float64Array(0);
  /** [T, S] forward variables, S = 2L + 1 states of the blank-extended target. */
  alpha = new Float64Array(0);
  /** [S] backward variables for frame t + 1 and frame t (two rows are enough: occupancy is taken on the fly). */
  betaNext = new Float64Array(0);
  betaCur = new Float64Array(0);
  /** [S] class of each extended state: blank at even s, target[(s − 1) / 2] at odd s. */
  extended = new Int32Array(0);
  /** [S] 1 where state s may be entered from s − 2 (a label differing from the label before it). */
  canSkip = new Uint8Array(0);
  /** [C] posterior occupancy of each class at the current frame. */
  occupancy = new Float64Array(0);

  /** Make room for an utterance of `frames` frames, `classes` classes and `targetLength` labels. */
  ensure(frames: number, classes: number, targetLength: number): this {
    const states = 2 * targetLength + 1;
    if (this.logProbs.length < frames * classes) this.logProbs = new Float64Array(frames * classes);
    if (this.alpha.length < frames * states) this.alpha = new Float64Array(frames * states);
    if (this.extended.length < states) {
      this.betaNext = new Float64Array(states);
      this.betaCur = new Float64Array(states);
      this.extended = new Int32Array(states);
      this.canSkip = new Uint8Array(states);
    }
    if (this.occupancy.length < classes) this.occupancy = new Float64Array(classes);
    return this;
  }
}

/** log(exp(a) + exp(b)) without overflow; exact when either side is −Infinity. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(exp(a) + exp(b) + exp(c)): one log for the three predecessors of a trellis cell instead of two. */
function logSumExp3(a: number, b: number, c: number): number {
  const m = a > b ? (a > c ? a : c) : b > c ? b : c;
  if (m === -Infinity) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
}

/** Prefix for error messages: which utterance of a batch, if any. */
function where(utterance: number): string {
  return utterance < 0 ? 'ctc' : `ctc (utterance ${utterance})`;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`ctc: ${name} must be an integer ≥ ${min}, got ${value}`);
}

function checkBlank(blank: number, C: number): void {
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new Error(`ctc: blank index ${blank} is out of range for ${C} classes`);
  }
}

/** Labels must be integer classes in [0, C) other than blank; returns how many are repeats of the label before. */
function checkTarget(
  target: ArrayLike<number>,
  offset: number,
  L: number,
  C: number,
  blank: number,
  utterance: number,
): number {
  let repeats = 0;
  for (let i = 0; i < L; i++) {
    const label = target[offset + i];
    if (!Number.isInteger(label) || label < 0 || label >= C) {
      throw new Error(`${where(utterance)}: target[${i}] = ${label} is not a class index in [0, ${C})`);
    }
    if (label === blank) throw new Error(`${where(utterance)}: target[${i}] is the blank index ${blank}`);
    if (i > 0 && label === target[offset + i - 1]) repeats++;
  }
  return repeats;
}

/**
 * Row-wise log-softmax of `T` rows of `C` logits starting at `inOffset`, in Float64, into `out` at 0.
 * Throws on non-finite logits, which only arise from a diverged model and would poison every gradient.
 */
function logSoftmaxInto(
  logits: ArrayLike<number>,
  inOffset: number,
  T: number,
  C: number,
  out: Float64Array | Float32Array,
  utterance: number,
): void {
  for (let t = 0; t < T; t++) {
    const row = inOffset + t * C;
    let max = -Infinity;
    for (let k = 0; k < C; k++) {
      const x = logits[row + k];
      if (!Number.isFinite(x))
        throw new Error(`${where(utterance)}: logits[t=${t}, c=${k}] is ${x}; logits must be finite`);
      if (x > max) max = x;
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(logits[row + k] - max);
    const logNorm = max + Math.log(sum);
    for (let k = 0; k < C; k++) out[t * C + k] = logits[row + k] - logNorm;
  }
}

/** Row-wise log-softmax of unnormalised logits [T, C], computed in Float64 and returned as Float32 [T, C]. */
export function logSoftmaxRows(logits: ArrayLike<number>, T: number, C: number): Float32Array {
  checkCount('T', T, 0);
  checkCount('C', C, 1);
  if (logits.length !== T * C) {
    throw new Error(`ctc: logits has length ${logits.length}, expected T*C = ${T}*${C} = ${T * C}`);
  }
  const out = new Float32Array(T * C); // [T, C]
  logSoftmaxInto(logits, 0, T, C, out, -1);
  return out;
}

/**
 * Loss of one utterance, with `gradScale · ∂loss/∂logits` written into `grad` at `gradOffset` ([T, C] rows).
 * Inputs other than the logits must already be validated. On an infeasible target it returns Infinity and
 * leaves `grad` untouched, so a zero-filled output stays zero.
 */
function utteranceLossAndGrad(
  ws: CtcWorkspace,
  logits: ArrayLike<number>,
  logitsOffset: number,
  T: number,
  C: number,
  target: ArrayLike<number>,
  targetOffset: number,
  L: number,
  repeats: number,
  blank: number,
  grad: Float32Array,
  gradOffset: number,
  gradScale: number,
  utterance: number,
): number {
  const S = 2 * L + 1;
  ws.ensure(T, C, L);
  const lp = ws.logProbs; // [T, C]
  logSoftmaxInto(logits, logitsOffset, T, C, lp, utterance);

  // Each label needs a frame, and a repeated label needs a blank frame between its two copies.
  if (T < L + repeats) return Infinity;
  if (T === 0) return 0; // L = 0 here: the empty input emits the empty sequence with probability 1.

  const ext = ws.extended; // [S]
  const canSkip = ws.canSkip; // [S]
  for (let s = 0; s < S; s++) {
    const isLabel = (s & 1) === 1;
    ext[s] = isLabel ? target[targetOffset + (s >> 1)] : blank;
    canSkip[s] = isLabel && s >= 3 && ext[s] !== target[targetOffset + (s >> 1) - 1] ? 1 : 0;
  }

  // Forward: alpha[t, s] = log p(prefix of the extended target up to state s, emitted by frames 0..t).
  // Only states in the band [lo, hi] can lie on a complete path: at most 2 states are gained per frame from
  // the start (hi), and the last states must still be reachable in the frames left (lo). Cells outside stay −∞.
  const alpha = ws.alpha; // [T, S]
  alpha.fill(-Infinity, 0, T * S);
  alpha[0] = lp[blank];
  if (S > 1) alpha[1] = lp[ext[1]];
  for (let t = 1; t < T; t++) {
    const lo = Math.max(0, S - 2 * (T - t));
    const hi = Math.min(S - 1, 2 * t + 1);
    const row = t * S;
    const prev = row - S;
    const lpRow = t * C;
    for (let s = lo; s <= hi; s++) {
      const stay = alpha[prev + s];
      const step = s > 0 ? alpha[prev + s - 1] : -Infinity;
      const skip = canSkip[s] === 1 ? alpha[prev + s - 2] : -Infinity;
      alpha[row + s] = logSumExp3(stay, step, skip) + lp[lpRow + ext[s]]; // −∞ stays −∞: lp is finite
    }
  }
  const last = (T - 1) * S;
  const logLik = logAddExp(alpha[last + S - 1], S > 1 ? alpha[last + S - 2] : -Infinity);

  // Backward: beta[t, s] = log p(suffix from state s, emitted by frames t..T−1), including frame t's emission,
  // so alpha + beta − lp counts frame t once. Occupancy and gradient for frame t are taken as soon as beta[t] exists.
  let betaNext = ws.betaNext; // [S], frame t + 1
  let betaCur = ws.betaCur; // [S], frame t
  const occ = ws.occupancy; // [C]
  for (let t = T - 1; t >= 0; t--) {
    const lo = Math.max(0, S - 2 * (T - t));
    const hi = Math.min(S - 1, 2 * t + 1);
    const lpRow = t * C;
    betaCur.fill(-Infinity, 0, S);
    if (t === T - 1) {
      betaCur[S - 1] = lp[lpRow + ext[S - 1]];
      if (S > 1) betaCur[S - 2] = lp[lpRow + ext[S - 2]];
    } else {
      for (let s = lo; s <= hi; s++) {
        const stay = betaNext[s];
        const step = s + 1 < S ? betaNext[s + 1] : -Infinity;
        const skip = s + 2 < S && canSkip[s + 2] === 1 ? betaNext[s + 2] : -Infinity;
        betaCur[s] = logSumExp3(stay, step, skip) + lp[lpRow + ext[s]];
      }
    }

    occ.fill(0, 0, C);
    const row = t * S;
    for (let s = lo; s <= hi; s++) {
      const g = alpha[row + s] + betaCur[s];
      if (g !== -Infinity) occ[ext[s]] += Math.exp(g - lp[lpRow + ext[s]] - logLik);
    }
    const gRow = gradOffset + lpRow;
    for (let k = 0; k < C; k++) grad[gRow + k] = gradScale * (Math.exp(lp[lpRow + k]) - occ[k]);

    const swap = betaNext;
    betaNext = betaCur;
    betaCur = swap;
  }
  return -logLik;
}

/**
 * CTC loss and gradient of one utterance.
 *
 * @param logits unnormalised scores, row-major [T, C] (log-probabilities also work; see the file comment)
 * @param target label indices, none equal to `blank`; may be empty
 * @param workspace scratch to reuse across calls; a fresh one is made if omitted
 *
 * Edge cases: an infeasible target (T < L + adjacent repeats) gives loss Infinity and an all-zero gradient; an
 * empty target gives −Σ_t log p_t(blank); T = 0 gives loss 0 for an empty target (nothing to emit, probability 1)
 * and Infinity otherwise, with an empty gradient.
 */
export function ctcLossAndGrad(
  logits: ArrayLike<number>,
  T: number,
  C: number,
  target: ArrayLike<number>,
  blank: number,
  workspace: CtcWorkspace = new CtcWorkspace(),
): CtcResult {
  checkCount('T', T, 0);
  checkCount('C', C, 1);
  checkBlank(blank, C);
  if (logits.length !== T * C) {
    throw new Error(`ctc: logits has length ${logits.length}, expected T*C = ${T}*${C} = ${T * C}`);
  }
  const repeats = checkTarget(target, 0, target.length, C, blank, -1);
  const grad = new Float32Array(T * C); // [T, C]
  const loss = utteranceLossAndGrad(
    workspace,
    logits,
    0,
    T,
    C,
    target,
    0,
    target.length,
    repeats,
    blank,
    grad,
    0,
    1,
    -1,
  );
  return { loss, grad };
}

/**
 * CTC loss and gradient of a padded batch, as a training step needs them.
 *
 * @param logits unnormalised scores [B, Tmax, C]; frames at or beyond `inputLengths[b]` are ignored (may hold anything)
 * @param inputLengths valid frames per utterance, [B], each in [0, Tmax]
 * @param targets per-utterance label arrays, or `{ flat, lengths }` with all labels concatenated
 * @param workspace scratch to reuse across batches; a fresh one sized to this batch is made if omitted
 *
 * The gradient is that of the reduced `loss`: with 'mean' each utterance's rows are scaled by
 * 1 / (B · max(L_b, 1)); with 'sum' and 'none' they are the plain per-utterance gradients. With
 * `zeroInfinity: false` an infeasible utterance makes `loss` Infinity and still gets a zero gradient (PyTorch
 * gives NaN there; nothing useful can be learnt from it either way).
 */
export function ctcLossAndGradBatch(
  logits: ArrayLike<number>,
  B: number,
  Tmax: number,
  C: number,
  inputLengths: ArrayLike<number>,
  targets: CtcTargets,
  blank: number,
  opts: Partial<CtcOptions> = {},
  workspace: CtcWorkspace = new CtcWorkspace(),
): CtcBatchResult {
  const { reduction, zeroInfinity } = { ...DEFAULT_CTC_OPTIONS, ...opts };
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
    throw new Error(`ctc: unknown reduction '${String(reduction)}' (expected 'none', 'sum' or 'mean')`);
  }
  checkCount('B', B, 1);
  checkCount('Tmax', Tmax, 0);
  checkCount('C', C, 1);
  checkBlank(blank, C);
  if (logits.length !== B * Tmax * C) {
    throw new Error(
      `ctc: logits has length ${logits.length}, expected B*Tmax*C = ${B}*${Tmax}*${C} = ${B * Tmax * C}`,
    );
  }
  if (inputLengths.length !== B)
    throw new Error(`ctc: inputLengths has ${inputLengths.length} entries, expected B = ${B}`);

  // Resolve where each utterance's labels live, without copying them.
  const isFlat = !Array.isArray(targets);
  const flat = isFlat ? (targets as { flat: ArrayLike<number> }).flat : null;
  const perUtterance = isFlat ? null : (targets as readonly ArrayLike<number>[]);
  const targetLengths = isFlat
    ? (targets as { lengths: ArrayLike<number> }).lengths
    : (perUtterance as readonly ArrayLike<number>[]).map((t) => t.length);
  if (targetLengths.length !== B)
    throw new Error(`ctc: got targets for ${targetLengths.length} utterances, expected B = ${B}`);
  const targetOffsets = new Int32Array(B);
  let totalLabels = 0;
  let maxFrames = 0;
  let maxLabels = 0;
  for (let b = 0; b < B; b++) {
    const T = inputLengths[b];
    if (!Number.isInteger(T) || T < 0 || T > Tmax) {
      throw new Error(`ctc: inputLengths[${b}] = ${T} is not an integer in [0, Tmax = ${Tmax}]`);
    }
    const L = targetLengths[b];
    if (!Number.isInteger(L) || L < 0)
      throw new Error(`ctc: target length ${L} of utterance ${b} is not a count`);
    targetOffsets[b] = isFlat ? totalLabels : 0;
    totalLabels += L;
    maxFrames = Math.max(maxFrames, T);
    maxLabels = Math.max(maxLabels, L);
  }
  if (flat !== null && flat.length !== totalLabels) {
    throw new Error(
      `ctc: targets.flat has ${flat.length} labels but targets.lengths add up to ${totalLabels}`,
    );
  }
  workspace.ensure(maxFrames, C, maxLabels);

  const frameStride = Tmax * C;
  const grad = new Float32Array(B * frameStride); // [B, Tmax, C]
  const losses = new Float64Array(B); // [B]
  let loss = 0;
  let infeasible = 0;
  for (let b = 0; b < B; b++) {
    const T = inputLengths[b];
    const L = targetLengths[b];
    const target = flat ?? (perUtterance as readonly ArrayLike<number>[])[b];
    const repeats = checkTarget(target, targetOffsets[b], L, C, blank, b);
    // 'mean' divides each loss by its target length, then by B: the gradient takes the same weight.
    const weight = reduction === 'mean' ? 1 / (B * Math.max(L, 1)) : 1;
    let nll = utteranceLossAndGrad(
      workspace,
      logits,
      b * frameStride,
      T,
      C,
      target,
      targetOffsets[b],
      L,
      repeats,
      blank,
      grad,
      b * frameStride,
      weight,
      b,
    );
    if (nll === Infinity) {
      infeasible++;
      if (zeroInfinity) nll = 0;
    }
    losses[b] = nll;
    loss += nll * weight;
  }
  return { losses, loss, grad, infeasible };
}
