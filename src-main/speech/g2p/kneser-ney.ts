import { BackoffNgram } from './backoff-ngram.js';
import type { NgramCountTrie } from './ngram-count-trie.js';

/**
 * Interpolated Kneser–Ney estimation with modified discounts (Chen & Goodman 1998), the smoothing that
 * serves joint-sequence pronunciation models best (Bisani & Ney 2008): each order's counts are discounted by
 * D1, D2 or D3+ (for n-grams seen once, twice, more), and the mass freed goes to the next lower order, whose
 * counts are continuation counts — how many different tokens precede an n-gram, not how often it occurs —
 * so a graphone common only after one context does not look likely after others.
 *
 * Count cutoffs then drop rare high-order n-grams to keep the model small; each context's back-off weight is
 * recomputed so that its distribution still sums to one over what remains.
 */
export interface KneserNeyConfig {
  /**
   * Minimum raw count for an n-gram of each order to be kept (index 0 = unigrams; orders past the end use
   * the last value). Must not decrease with order, so every kept n-gram's prefix and suffix are kept too.
   */
  minCounts: readonly number[];
}

/** Estimates the model from counts. `bos` is the sequence-start token: it is a context, never predicted. */
export function estimateKneserNey(trie: NgramCountTrie, bos: number, config: KneserNeyConfig): BackoffNgram {
  const { minCounts } = config;
  for (let i = 1; i < minCounts.length; i++)
    if (!(minCounts[i] >= minCounts[i - 1]))
      throw new RangeError(`minimum counts must not decrease with order: ${minCounts.join(', ')}`);
  const N = trie.size;
  const nodesByOrder = trie.byOrder();
  const suffix = trie.suffixLinks();
  const counts = kneserNeyCounts(trie, suffix, bos);
  const discounts = modifiedDiscounts(trie, counts);

  // Per context: total count, and how many children were seen once, twice, three or more times.
  const total = new Float64Array(N);
  const gamma = new Float64Array(N);
  for (let n = 1; n < N; n++) {
    const p = trie.parent[n];
    const c = counts[n];
    total[p] += c;
    if (c > 0) gamma[p] += discounts[trie.order[n]][Math.min(c, 3)];
  }
  for (let h = 0; h < N; h++) if (total[h] > 0) gamma[h] /= total[h];

  const prob = new Float64Array(N);
  const V = trie.vocabSize;
  for (const n of nodesByOrder) {
    if (n === 0) continue;
    const p = trie.parent[n];
    const lower = p === 0 ? 1 / V : prob[suffix[n]];
    const c = counts[n];
    prob[n] =
      total[p] > 0
        ? Math.max(c - discounts[trie.order[n]][Math.min(c, 3)], 0) / total[p] + gamma[p] * lower
        : lower;
  }
  const keep = (n: number) =>
    n === 0 || trie.count[n] >= minCounts[Math.min(trie.order[n], minCounts.length) - 1];
  return pack(trie, suffix, prob, gamma, keep);
}

/**
 * The counts each order is estimated from: raw counts for the highest order and for n-grams starting at
 * the sequence start (nothing can precede them), continuation counts for the rest.
 */
function kneserNeyCounts(trie: NgramCountTrie, suffix: Int32Array, bos: number): Float64Array {
  const N = trie.size;
  const continuation = new Float64Array(N);
  for (let n = 1; n < N; n++) if (trie.order[n] >= 2) continuation[suffix[n]]++;
  const startsAtBos = new Uint8Array(N);
  const counts = new Float64Array(N);
  for (const n of trie.byOrder()) {
    if (n === 0) continue;
    const p = trie.parent[n];
    startsAtBos[n] = p === 0 ? (trie.token[n] === bos ? 1 : 0) : startsAtBos[p];
    const raw = trie.order[n] === trie.maxOrder || startsAtBos[n] === 1;
    counts[n] = raw ? trie.count[n] : continuation[n];
  }
  // The start token is only ever a context: as a unigram it must get no probability of its own.
  const b = trie.child(0, bos);
  if (b > 0) counts[b] = 0;
  return counts;
}

/**
 * D1, D2, D3+ per order from the count-of-counts n1…n4 (Chen & Goodman's estimates). Where a small corpus
 * leaves one undefined or outside (0, k) — with no n-gram seen three times, D2 comes out as 2 and would
 * take all of a twice-seen n-gram's own probability — fall back to 0.5, 1, 1.5: moderate discounts that
 * leave every seen n-gram some of its own.
 */
function modifiedDiscounts(trie: NgramCountTrie, counts: Float64Array): number[][] {
  const nk = Array.from({ length: trie.maxOrder + 1 }, () => [0, 0, 0, 0, 0]);
  for (let n = 1; n < trie.size; n++) {
    const c = counts[n];
    if (c >= 1 && c <= 4) nk[trie.order[n]][c]++;
  }
  return nk.map(([, n1, n2, n3, n4]) => {
    const y = n1 / (n1 + 2 * n2);
    const d = [0, 1 - 2 * y * (n2 / n1), 2 - 3 * y * (n3 / n2), 3 - 4 * y * (n4 / n3)];
    const fallback = [0, 0.5, 1, 1.5];
    return d.map((v, k) => (k === 0 ? 0 : Number.isFinite(v) && v > 0 && v < k ? v : fallback[k]));
  });
}

/**
 * The kept nodes, renumbered breadth-first with children sorted by token, and each context's back-off
 * weight normalised over what was kept: (1 − Σ kept p(w|h)) / (1 − Σ kept p(w|h')). With nothing
 * dropped this is exactly the interpolation weight γ(h).
 */
function pack(
  trie: NgramCountTrie,
  suffix: Int32Array,
  prob: Float64Array,
  gamma: Float64Array,
  keep: (n: number) => boolean,
): BackoffNgram {
  const N = trie.size;
  const kidCount = new Int32Array(N + 1);
  for (let n = 1; n < N; n++) if (keep(n)) kidCount[trie.parent[n] + 1]++;
  for (let n = 1; n <= N; n++) kidCount[n] += kidCount[n - 1];
  const kids = new Int32Array(kidCount[N]);
  const fill = kidCount.slice();
  for (let n = 1; n < N; n++) if (keep(n)) kids[fill[trie.parent[n]]++] = n;

  const order: number[] = [0];
  for (let i = 0; i < order.length; i++) {
    const n = order[i];
    const list = Array.from(kids.subarray(kidCount[n], kidCount[n + 1])).sort(
      (a, b) => trie.token[a] - trie.token[b],
    );
    for (const c of list) order.push(c);
  }
  const M = order.length;
  const token = new Uint16Array(M);
  const childStart = new Uint32Array(M + 1);
  const logProb = new Float32Array(M);
  const backoff = new Float32Array(M);
  let next = 1;
  for (let i = 0; i < M; i++) {
    const n = order[i];
    token[i] = trie.token[n];
    logProb[i] = Math.log(prob[n]);
    childStart[i] = next;
    let kept = 0;
    let keptLower = 0;
    for (let k = kidCount[n]; k < kidCount[n + 1]; k++) {
      kept += prob[kids[k]];
      keptLower += n === 0 ? 0 : prob[suffix[kids[k]]];
      next++;
    }
    if (n !== 0 && kidCount[n + 1] > kidCount[n]) {
      const den = 1 - keptLower;
      const weight = den > 1e-9 && kept < 1 ? (1 - kept) / den : gamma[n];
      backoff[i] = Math.log(weight);
    }
  }
  childStart[M] = next;
  return new BackoffNgram(trie.vocabSize, token, childStart, logProb, backoff);
}
