import type { ArpaEntry, ArpaModel } from '../speech/arpa.js';
import { SENTENCE_END, SENTENCE_START, UNKNOWN_WORD } from '../speech/word-lm.js';

/**
 * Builds a word n-gram language model with interpolated Kneser-Ney smoothing and writes it as an ARPA
 * back-off model (the form KenLM gives the same smoothing). Kneser-Ney because it is the best-studied
 * smoothing for small n-gram models: a word's lower-order probability counts the different contexts it
 * follows, not its frequency, so "francisco" is not guessed after every word because "san francisco" is
 * common.
 */
export interface LanguageModelConfig {
  /** Longest n-gram. 3: trigrams are where most of the gain of a word LM is for dictation. */
  order: number;
  /**
   * Fewest occurrences an n-gram of each order from 2 up must have to be kept (index 0 = bigrams);
   * missing orders take the last value. [1, 2] keeps every bigram and drops trigrams seen once: the
   * model shrinks by more than half for a small loss (the dropped mass goes to the back-off).
   */
  minCount: number[];
}

export const DEFAULT_LANGUAGE_MODEL: LanguageModelConfig = {
  order: 3,
  minCount: [1, 2],
};

export interface BuiltLanguageModel {
  arpa: ArpaModel;
  sentences: number;
  /** Running words in the text (sentence markers not counted). */
  tokens: number;
  /** Words of the vocabulary (text words, extra words, <unk>, sentence markers). */
  vocabulary: number;
}

const LOG10 = (x: number) => Math.log10(Math.max(x, 1e-99));

/**
 * `sentences`: normalised text, words separated by single spaces. `extraWords`: words to know beyond
 * the text's (a dictionary's), given the share of probability smoothing leaves for unseen words.
 */
export function buildLanguageModel(
  sentences: Iterable<string>,
  extraWords: Iterable<string> = [],
  config: Partial<LanguageModelConfig> = {},
): BuiltLanguageModel {
  const cfg = { ...DEFAULT_LANGUAGE_MODEL, ...config };
  const N = cfg.order;
  if (!Number.isInteger(N) || N < 1)
    throw new Error(`language model order must be a whole number ≥ 1, not ${N}`);
  const minCount = (n: number) => Math.max(1, cfg.minCount[Math.min(n - 2, cfg.minCount.length - 1)] ?? 1);
  const { raw, vocab, count, tokens } = countNgrams(sentences, N);
  for (const w of extraWords) if (w !== '') vocab.add(w);
  const kn = interpolatedKneserNey(raw, vocab.size);
  const kept = keptNgrams(raw, vocab, minCount);
  const prob: Map<string, number>[] = kept.map((set, k) => {
    const m = new Map<string, number>();
    for (const key of set) m.set(key, k === 0 && key === SENTENCE_START ? 0 : kn(key.split(' ')));
    return m;
  });
  const bow = backoffWeights(kept, prob);
  const entries: ArpaEntry[][] = kept.map((set, k) =>
    [...set].sort().map((key) => ({
      words: key.split(' '),
      logProb: key === SENTENCE_START ? -99 : LOG10(prob[k].get(key)!),
      backoff: k < N - 1 && bow[k].has(key) ? LOG10(bow[k].get(key)!) : 0,
    })),
  );
  return { arpa: { entries }, sentences: count, tokens, vocabulary: vocab.size };
}

/** raw[n-1]: occurrences of every n-gram (words joined by spaces); the text's words; sentence and word counts. */
function countNgrams(sentences: Iterable<string>, N: number) {
  const raw: Map<string, number>[] = Array.from({ length: N }, () => new Map());
  const vocab = new Set<string>([SENTENCE_START, SENTENCE_END, UNKNOWN_WORD]);
  let count = 0;
  let tokens = 0;
  for (const s of sentences) {
    const words = s.split(' ').filter(Boolean);
    if (words.length === 0) continue;
    count++;
    tokens += words.length;
    for (const w of words) vocab.add(w);
    const seq = [SENTENCE_START, ...words, SENTENCE_END];
    for (let n = 1; n <= N; n++) {
      const m = raw[n - 1];
      for (let i = 0; i + n <= seq.length; i++) {
        if (n === 1 && i === 0) continue; // <s> is never predicted
        const key = seq.slice(i, i + n).join(' ');
        m.set(key, (m.get(key) ?? 0) + 1);
      }
    }
  }
  return { raw, vocab, count, tokens };
}

/**
 * Kneser-Ney counts: the top order keeps raw counts; lower orders count distinct left contexts
 * (continuation counts), except n-grams starting with <s>, which nothing can precede.
 */
function kneserNeyCounts(raw: Map<string, number>[]): Map<string, number>[] {
  const N = raw.length;
  const adjusted: Map<string, number>[] = raw.map(() => new Map());
  adjusted[N - 1] = raw[N - 1];
  for (let n = N - 1; n >= 1; n--) {
    const m = adjusted[n - 1];
    for (const key of raw[n].keys()) {
      const suffix = key.slice(key.indexOf(' ') + 1);
      m.set(suffix, (m.get(suffix) ?? 0) + 1);
    }
    for (const [key, c] of raw[n - 1])
      if (key.startsWith(SENTENCE_START + ' ') || key === SENTENCE_START) m.set(key, c);
  }
  return adjusted;
}

/** Per-order discount from counts of counts (Ney's estimate), kept inside (0, 1). */
function discounts(adjusted: Map<string, number>[]): number[] {
  return adjusted.map((m) => {
    let n1 = 0;
    let n2 = 0;
    for (const c of m.values()) {
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
    const d = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
    return Math.min(Math.max(d, 0.05), 0.95);
  });
}

/** The interpolated Kneser-Ney probability of the last word of `words` given the others (full, unpruned counts). */
function interpolatedKneserNey(
  raw: Map<string, number>[],
  vocabularySize: number,
): (words: string[]) => number {
  const adjusted = kneserNeyCounts(raw);
  const discount = discounts(adjusted);
  // Context totals: A(h) = Σ_w a(h w) and T(h) = |{w : a(h w) > 0}|, per order.
  const totals = adjusted.map((m) => {
    const t = new Map<string, { sum: number; types: number }>();
    for (const [key, c] of m) {
      const sp = key.lastIndexOf(' ');
      const h = sp < 0 ? '' : key.slice(0, sp);
      const e = t.get(h) ?? { sum: 0, types: 0 };
      e.sum += c;
      e.types++;
      t.set(h, e);
    }
    return t;
  });
  const uniform = 1 / (vocabularySize - 1); // every word but <s>
  const memo: Map<string, number>[] = adjusted.map(() => new Map());
  const kn = (words: string[]): number => {
    const n = words.length;
    const key = words.join(' ');
    const hit = memo[n - 1].get(key);
    if (hit !== undefined) return hit;
    const lower = n === 1 ? uniform : kn(words.slice(1));
    const t = totals[n - 1].get(words.slice(0, -1).join(' '));
    let p = lower;
    if (t && t.sum > 0) {
      const a = adjusted[n - 1].get(key) ?? 0;
      const d = discount[n - 1];
      p = Math.max(a - d, 0) / t.sum + ((d * t.types) / t.sum) * lower;
    }
    memo[n - 1].set(key, p);
    return p;
  };
  return kn;
}

/** Which n-grams the file lists: every unigram; higher orders by count, plus every prefix of a kept one. */
function keptNgrams(
  raw: Map<string, number>[],
  vocab: Set<string>,
  minCount: (n: number) => number,
): Set<string>[] {
  const N = raw.length;
  const kept: Set<string>[] = Array.from({ length: N }, () => new Set());
  for (const w of vocab) kept[0].add(w);
  for (let n = N; n >= 2; n--) {
    for (const [key, c] of raw[n - 1]) if (c >= minCount(n) || kept[n - 1].has(key)) kept[n - 1].add(key);
    for (const key of kept[n - 1]) kept[n - 2].add(key.slice(0, key.lastIndexOf(' ')));
  }
  return kept;
}

/**
 * Back-off weights that keep each context's distribution summing to one with the pruned n-grams' mass moved
 * to the back-off: bow(h) = (1 − Σ p(w|h)) / (1 − Σ P(w|h′)).
 */
function backoffWeights(kept: Set<string>[], prob: Map<string, number>[]): Map<string, number>[] {
  const N = kept.length;
  const bow: Map<string, number>[] = kept.map(() => new Map());
  const backedOff = (words: string[]): number => {
    // P(w | h) by the back-off rule over the listed n-grams of lower orders (h = all but the last word).
    for (let start = 0; start < words.length; start++) {
      const key = words.slice(start).join(' ');
      const p = prob[words.length - start - 1].get(key);
      if (p !== undefined) {
        let b = 1;
        for (let s = 0; s < start; s++) b *= bow[words.length - s - 2].get(words.slice(s, -1).join(' ')) ?? 1;
        return b * p;
      }
    }
    return 0;
  };
  for (let n = 2; n <= N; n++) {
    const sums = new Map<string, { listed: number; lower: number }>();
    for (const key of kept[n - 1]) {
      const words = key.split(' ');
      const h = words.slice(0, -1).join(' ');
      const s = sums.get(h) ?? { listed: 0, lower: 0 };
      s.listed += prob[n - 1].get(key)!;
      s.lower += backedOff(words.slice(1));
      sums.set(h, s);
    }
    for (const [h, s] of sums)
      bow[n - 2].set(h, Math.max(1 - s.listed, 1e-12) / Math.max(1 - s.lower, 1e-12));
  }
  return bow;
}
