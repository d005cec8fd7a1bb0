import type { BackoffNgram } from './backoff-ngram.js';

/**
 * Beam search for the most likely graphone sequence of a spelling under a joint-sequence n-gram model. Each
 * letter is one step, and its candidates are the graphones (that letter with some chunk of phones) the
 * model knows, which the vocabulary numbers contiguously per letter. Hypotheses that reach the same model
 * state are merged (Viterbi) since their futures score alike; the best `beamWidth` survive each step.
 * Sequences end with the end token so that the word's last letters are judged as a word ending.
 */
export interface GraphoneSearchInput {
  /** Candidate token range [lo[i], hi[i]) for each letter of the spelling. */
  lo: readonly number[];
  hi: readonly number[];
  /** Whether each token speaks at least one phone. */
  speaks: Uint8Array;
  /**
   * Hypotheses still silent after this step are dropped (−1: none), so a word with letters is never
   * given an empty pronunciation.
   */
  speakBy: number;
}

interface Hypothesis {
  state: number;
  score: number;
  spoken: boolean;
  /** Tokens so far, as a linked list back to the start. */
  path: Path | null;
}

interface Path {
  token: number;
  prev: Path | null;
}

/** The best token sequence (one token per letter), or undefined when every path was dropped. */
export function searchGraphones(
  model: BackoffNgram,
  bos: number,
  eos: number,
  input: GraphoneSearchInput,
  beamWidth: number,
): number[] | undefined {
  let beam: Hypothesis[] = [{ state: model.score(0, bos).next, score: 0, spoken: false, path: null }];
  const widest = Math.max(1, ...input.hi.map((h, i) => h - input.lo[i]));
  const score = new Float64Array(widest);
  const next = new Int32Array(widest);
  for (let i = 0; i < input.lo.length; i++) {
    const lo = input.lo[i];
    const n = input.hi[i] - lo;
    const merged = new Map<number, Hypothesis>();
    for (const h of beam) {
      model.scoreRange(h.state, lo, lo + n, score, next);
      for (let k = 0; k < n; k++) {
        const s = h.score + score[k];
        if (s === -Infinity) continue;
        const spoken = h.spoken || input.speaks[lo + k] === 1;
        if (!spoken && i === input.speakBy) continue;
        const key = next[k] * 2 + (spoken ? 1 : 0);
        const old = merged.get(key);
        if (old === undefined || s > old.score)
          merged.set(key, { state: next[k], score: s, spoken, path: { token: lo + k, prev: h.path } });
      }
    }
    beam = [...merged.values()].sort((a, b) => b.score - a.score).slice(0, beamWidth);
    if (beam.length === 0) return undefined;
  }
  let best: Hypothesis | undefined;
  let bestScore = -Infinity;
  for (const h of beam) {
    const s = h.score + model.score(h.state, eos).logProb;
    if (best === undefined || s > bestScore) [best, bestScore] = [h, s];
  }
  const tokens: number[] = [];
  for (let p = best!.path; p; p = p.prev) tokens.push(p.token);
  return tokens.reverse();
}
