import { PhoneChunks } from './phone-chunks.js';
import { LETTERS, letterCode } from './spelling.js';

/**
 * Which phones each letter of a word stands for, learned from a pronouncing dictionary by
 * expectation-maximisation. A dictionary pairs spellings with phone strings but never says which letter
 * made which phone, so every way of cutting the phones into one chunk per letter — each chunk none, one or
 * two phones — is a candidate alignment of the word. EM starts with every chunk equally likely for every
 * letter; each pass weighs each word's alignments by the current probabilities (forward–backward over the
 * letters × phones lattice), then re-estimates p(chunk | letter) from those weighted counts. Chunks seen
 * across many words ("b" → B, "gh" → nothing) soon outweigh the spread-thin pairs, so the estimates settle
 * in a handful of passes; the most likely alignment of each word (Viterbi) is then what the letter-to-sound
 * model learns from.
 *
 * One chunk per letter (rather than letter groups to phone groups) keeps the alignment a fixed-length
 * labelling of the spelling: a model reading the word letter by letter then has exactly one decision per
 * letter, and multi-letter units ("th", "ph", "igh") come out as one letter carrying the phone and its
 * neighbours carrying nothing, which the model learns from context just as well.
 */
export interface LetterAlignmentConfig {
  /** At most this many EM passes; a cap only, `minGain` ends the fit first (after 20 passes on CMUdict). */
  maxIterations: number;
  /**
   * Stop once a pass raises the mean log-likelihood per pronunciation by less than this (nats): later
   * passes only settle rarer spellings, and a pass is cheap, so running to convergence costs little
   * (bench/G2P.md compares a fixed number of passes).
   */
  minGain: number;
  /**
   * Each two-phone chunk's probability is multiplied by this when weighing alignments. Left free, EM can
   * settle on pairs that are mere bookkeeping — "kit" as k → K IH, i → nothing; "go" as g → nothing,
   * o → G OW — because once a letter is often silent, such cuts explain the data as well as the plain
   * one. Charging a pair for the second phone it carries makes a letter earn a pair only where no
   * one-phone cut will do (x → K S, u → Y UW). The weights are fixed, so each pass still cannot lower the
   * (weighted) likelihood. On CMUdict any weight from 0.01 to 1 learns equally good rules; it is small
   * dictionaries, where a few words decide each letter, that need it.
   */
  pairWeight: number;
}

export const DEFAULT_LETTER_ALIGNMENT: LetterAlignmentConfig = {
  maxIterations: 30,
  minGain: 0.001,
  pairWeight: 0.1,
};

/** A spelling (letters of LETTERS) and one of its pronunciations. */
export interface SpeltPronunciation {
  spelling: string;
  phones: readonly string[];
}

/** How the fit went, and what could not be aligned. */
export interface AlignmentFit {
  /** Each pass's mean (pair-weighted) log-likelihood per pronunciation, under the estimates it began with. */
  logLikelihoods: number[];
  /** Pronunciations left out: more than two phones per letter, or a letter outside LETTERS. */
  unalignable: number;
}

export class LetterAlignmentError extends Error {
  override readonly name = 'LetterAlignmentError';
}

/** A pronunciation as numbers: letter codes and phone indices. */
interface Coded {
  letters: Uint8Array;
  phones: Uint8Array;
}

export class LetterAlignment {
  private constructor(
    readonly chunks: PhoneChunks,
    /** p(chunk | letter), [LETTERS.length, chunks.count] row-major. */
    private readonly prob: Float64Array,
    /** The same with pairs down-weighted: what alignments are weighed by. */
    private readonly weight: Float64Array,
    readonly fit: AlignmentFit,
  ) {}

  /** Learns chunk probabilities from pronunciations by EM, starting from uniform. */
  static learn(
    entries: readonly SpeltPronunciation[],
    config: LetterAlignmentConfig = DEFAULT_LETTER_ALIGNMENT,
  ): LetterAlignment {
    const chunks = new PhoneChunks(entries.flatMap((e) => e.phones));
    if (chunks.phones.length > 256)
      throw new LetterAlignmentError(
        `${chunks.phones.length} phones are more than the 256 an alignment holds`,
      );
    const coded: Coded[] = [];
    for (const e of entries) {
      const c = encode(chunks, e.spelling, e.phones);
      if (c) coded.push(c);
    }
    if (coded.length === 0) throw new LetterAlignmentError('no pronunciation can be aligned to its spelling');
    const C = chunks.count;
    const prob = new Float64Array(LETTERS.length * C).fill(1 / C);
    const lattice = new Lattice(coded);
    const logLikelihoods: number[] = [];
    let weight = weighted(chunks, prob, config.pairWeight);
    for (let pass = 0; pass < config.maxIterations; pass++) {
      const counts = new Float64Array(prob.length);
      let total = 0;
      for (const c of coded) total += lattice.expect(c, chunks, weight, counts);
      normalise(counts, prob, C);
      weight = weighted(chunks, prob, config.pairWeight);
      logLikelihoods.push(total / coded.length);
      const n = logLikelihoods.length;
      if (n >= 2 && logLikelihoods[n - 1] - logLikelihoods[n - 2] < config.minGain) break;
    }
    return new LetterAlignment(chunks, prob, weight, {
      logLikelihoods,
      unalignable: entries.length - coded.length,
    });
  }

  /** p(phones | letter) for a chunk of none, one or two phones; 0 for anything else. */
  probability(letter: string, phones: readonly string[]): number {
    const l = letterCode(letter);
    const chunk = chunkOf(this.chunks, phones);
    if (l < 0 || chunk < 0) return 0;
    return this.prob[l * this.chunks.count + chunk];
  }

  /**
   * The most likely alignment: one chunk (array of phone names) per letter of the spelling, in order;
   * undefined when the phones cannot be cut that way (too many phones, an unknown letter or phone).
   */
  align(spelling: string, phones: readonly string[]): string[][] | undefined {
    const codes = this.alignChunks(spelling, phones);
    return codes && [...codes].map((c) => this.chunks.phonesOf(c));
  }

  /** As `align`, as chunk numbers of `chunks`. */
  alignChunks(spelling: string, phones: readonly string[]): Int32Array | undefined {
    const c = encode(this.chunks, spelling, phones);
    return c && viterbi(c, this.chunks, this.weight);
  }
}

function encode(chunks: PhoneChunks, spelling: string, phones: readonly string[]): Coded | undefined {
  const L = spelling.length;
  if (L === 0 || phones.length > 2 * L) return undefined;
  const letters = new Uint8Array(L);
  for (let i = 0; i < L; i++) {
    const l = letterCode(spelling[i]);
    if (l < 0) return undefined;
    letters[i] = l;
  }
  const ph = new Uint8Array(phones.length);
  for (let j = 0; j < phones.length; j++) {
    const p = chunks.phoneIndex(phones[j]);
    if (p < 0) return undefined;
    ph[j] = p;
  }
  return { letters, phones: ph };
}

function chunkOf(chunks: PhoneChunks, phones: readonly string[]): number {
  const idx = phones.map((p) => chunks.phoneIndex(p));
  if (idx.some((i) => i < 0)) return -1;
  if (idx.length === 0) return 0;
  if (idx.length === 1) return chunks.single(idx[0]);
  if (idx.length === 2) return chunks.pair(idx[0], idx[1]);
  return -1;
}

/** Chunk ending at phone j (exclusive) that spans k phones (k = 0, 1, 2). */
function chunkEnding(chunks: PhoneChunks, phones: Uint8Array, j: number, k: number): number {
  if (k === 0) return 0;
  if (k === 1) return chunks.single(phones[j - 1]);
  return chunks.pair(phones[j - 2], phones[j - 1]);
}

/** The probabilities with every pair's multiplied by `pairWeight`. */
function weighted(chunks: PhoneChunks, prob: Float64Array, pairWeight: number): Float64Array {
  const C = chunks.count;
  const firstPair = 1 + chunks.phones.length;
  const w = prob.slice();
  for (let l = 0; l < LETTERS.length; l++) for (let c = firstPair; c < C; c++) w[l * C + c] *= pairWeight;
  return w;
}

/** M-step: p(chunk | letter) = expected count / letter's total. A letter never seen keeps its row. */
function normalise(counts: Float64Array, prob: Float64Array, C: number): void {
  for (let l = 0; l < LETTERS.length; l++) {
    let sum = 0;
    for (let c = 0; c < C; c++) sum += counts[l * C + c];
    if (sum <= 0) continue;
    for (let c = 0; c < C; c++) prob[l * C + c] = counts[l * C + c] / sum;
  }
}

/**
 * Forward–backward over one word's lattice: cell (i, j) = the first i letters have spoken the first j
 * phones. Buffers are sized once for the longest word and reused. Plain probabilities (no logs) suffice:
 * a word multiplies one chunk probability per letter, and even 30 letters at 1e-8 stay far above the
 * smallest double.
 */
class Lattice {
  private readonly alpha: Float64Array;
  private readonly beta: Float64Array;

  constructor(coded: readonly Coded[]) {
    let most = 0;
    for (const c of coded) most = Math.max(most, (c.letters.length + 1) * (c.phones.length + 1));
    this.alpha = new Float64Array(most);
    this.beta = new Float64Array(most);
  }

  /** Adds the word's expected chunk counts to `counts`; returns its log-likelihood. */
  expect(c: Coded, chunks: PhoneChunks, prob: Float64Array, counts: Float64Array): number {
    const L = c.letters.length;
    const P = c.phones.length;
    const W = P + 1;
    const C = chunks.count;
    const { alpha, beta } = this;
    alpha.fill(0, 0, (L + 1) * W);
    beta.fill(0, 0, (L + 1) * W);
    alpha[0] = 1;
    for (let i = 1; i <= L; i++) {
      const row = c.letters[i - 1] * C;
      for (let j = 0; j <= P; j++) {
        let a = 0;
        for (let k = 0; k <= 2 && k <= j; k++)
          a += alpha[(i - 1) * W + j - k] * prob[row + chunkEnding(chunks, c.phones, j, k)];
        alpha[i * W + j] = a;
      }
    }
    const Z = alpha[L * W + P];
    if (!(Z > 0)) return 0;
    beta[L * W + P] = 1;
    for (let i = L; i >= 1; i--) {
      const row = c.letters[i - 1] * C;
      for (let j = P; j >= 0; j--) {
        const b = beta[i * W + j];
        if (b === 0) continue;
        for (let k = 0; k <= 2 && k <= j; k++) {
          const chunk = chunkEnding(chunks, c.phones, j, k);
          const edge = prob[row + chunk] * b;
          const from = (i - 1) * W + j - k;
          beta[from] += edge;
          counts[row + chunk] += (alpha[from] * edge) / Z;
        }
      }
    }
    return Math.log(Z);
  }
}

/** The single most likely chunk per letter (max-product over the same lattice). */
function viterbi(c: Coded, chunks: PhoneChunks, prob: Float64Array): Int32Array | undefined {
  const L = c.letters.length;
  const P = c.phones.length;
  const W = P + 1;
  const C = chunks.count;
  const best = new Float64Array((L + 1) * W);
  const step = new Uint8Array((L + 1) * W);
  best[0] = 1;
  for (let i = 1; i <= L; i++) {
    const row = c.letters[i - 1] * C;
    for (let j = 0; j <= P; j++) {
      let b = 0;
      let s = 0;
      for (let k = 0; k <= 2 && k <= j; k++) {
        const v = best[(i - 1) * W + j - k] * prob[row + chunkEnding(chunks, c.phones, j, k)];
        if (v > b) [b, s] = [v, k];
      }
      best[i * W + j] = b;
      step[i * W + j] = s;
    }
  }
  if (!(best[L * W + P] > 0)) return undefined;
  const out = new Int32Array(L);
  for (let i = L, j = P; i >= 1; i--) {
    const k = step[i * W + j];
    out[i - 1] = chunkEnding(chunks, c.phones, j, k);
    j -= k;
  }
  return out;
}
