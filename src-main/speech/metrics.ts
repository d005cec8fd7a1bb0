/**
 * Error rates by edit distance. Counts are kept separately (substitutions, insertions, deletions)
 * because a corpus score is the sum of edits over the sum of reference lengths, not a mean of
 * per-utterance rates, and because the split tells a tuner whether the model drops or invents words.
 */

export interface EditCounts {
  substitutions: number;
  insertions: number;
  deletions: number;
  /** Tokens in the reference (the denominator of the error rate). */
  refLength: number;
  /** Tokens in the hypothesis. */
  hypLength: number;
}

export type AlignOp = 'equal' | 'substitute' | 'insert' | 'delete';

/** One step of an alignment; `ref`/`hyp` are token indices (-1 where the side has none). */
export interface AlignStep {
  op: AlignOp;
  ref: number;
  hyp: number;
}

export interface ErrorRate extends EditCounts {
  /** (S + I + D) / refLength; 0 for an empty reference and empty hypothesis, 1 per inserted token otherwise. */
  rate: number;
  errors: number;
}

/**
 * Levenshtein alignment of two token sequences with unit costs. Among equal-cost paths it prefers
 * substitutions over insert+delete pairs, which is what sclite/jiwer report.
 */
export function align<T>(ref: readonly T[], hyp: readonly T[]): { counts: EditCounts; steps: AlignStep[] } {
  const n = ref.length;
  const m = hyp.length;
  const w = m + 1;
  // [n+1, m+1] cost table; Uint32 is plenty (costs ≤ n + m).
  const cost = new Uint32Array((n + 1) * w);
  for (let j = 0; j <= m; j++) cost[j] = j;
  for (let i = 1; i <= n; i++) {
    cost[i * w] = i;
    for (let j = 1; j <= m; j++) {
      const sub = cost[(i - 1) * w + j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      const del = cost[(i - 1) * w + j] + 1;
      const ins = cost[i * w + j - 1] + 1;
      cost[i * w + j] = Math.min(sub, del, ins);
    }
  }
  const steps: AlignStep[] = [];
  let s = 0;
  let ins = 0;
  let del = 0;
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = cost[i * w + j];
    if (i > 0 && j > 0 && here === cost[(i - 1) * w + j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1)) {
      const same = ref[i - 1] === hyp[j - 1];
      if (!same) s++;
      steps.push({ op: same ? 'equal' : 'substitute', ref: i - 1, hyp: j - 1 });
      i--;
      j--;
    } else if (i > 0 && here === cost[(i - 1) * w + j] + 1) {
      del++;
      steps.push({ op: 'delete', ref: i - 1, hyp: -1 });
      i--;
    } else {
      ins++;
      steps.push({ op: 'insert', ref: -1, hyp: j - 1 });
      j--;
    }
  }
  steps.reverse();
  return { counts: { substitutions: s, insertions: ins, deletions: del, refLength: n, hypLength: m }, steps };
}

function rateOf(c: EditCounts): ErrorRate {
  const errors = c.substitutions + c.insertions + c.deletions;
  const rate = c.refLength === 0 ? (errors === 0 ? 0 : errors) : errors / c.refLength;
  return { ...c, errors, rate };
}

/** Splits normalised text into words on whitespace. */
export function words(text: string): string[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Characters of the text with whitespace runs collapsed to one space (spaces count as characters). */
export function chars(text: string): string[] {
  return [...text.trim().replace(/\s+/g, ' ')];
}

/** Word error rate of one utterance. Inputs should already be normalised (see normalizeText). */
export function wer(ref: string, hyp: string): ErrorRate {
  return rateOf(align(words(ref), words(hyp)).counts);
}

/** Character error rate of one utterance. */
export function cer(ref: string, hyp: string): ErrorRate {
  return rateOf(align(chars(ref), chars(hyp)).counts);
}

/** Accumulates edit counts over a corpus; the rate is total edits / total reference tokens. */
export class ErrorAccumulator {
  private c: EditCounts = { substitutions: 0, insertions: 0, deletions: 0, refLength: 0, hypLength: 0 };
  private n = 0;

  add(counts: EditCounts): void {
    this.c.substitutions += counts.substitutions;
    this.c.insertions += counts.insertions;
    this.c.deletions += counts.deletions;
    this.c.refLength += counts.refLength;
    this.c.hypLength += counts.hypLength;
    this.n++;
  }

  get utterances(): number {
    return this.n;
  }

  result(): ErrorRate {
    return rateOf(this.c);
  }
}

/** Corpus WER and CER together, the pair every evaluation reports. */
export class CorpusScorer {
  readonly words = new ErrorAccumulator();
  readonly chars = new ErrorAccumulator();

  add(ref: string, hyp: string): { wer: ErrorRate; cer: ErrorRate } {
    const w = align(words(ref), words(hyp)).counts;
    const c = align(chars(ref), chars(hyp)).counts;
    this.words.add(w);
    this.chars.add(c);
    return { wer: rateOf(w), cer: rateOf(c) };
  }

  get wer(): ErrorRate {
    return this.words.result();
  }

  get cer(): ErrorRate {
    return this.chars.result();
  }
}
