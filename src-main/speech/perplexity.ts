import type { WordLm } from './word-lm.js';

export interface PerplexityReport {
  sentences: number;
  /** Running words (sentence markers not counted), out-of-vocabulary ones included. */
  words: number;
  /** Words the model does not know: left out of the probability, and their history with them. */
  oovs: number;
  /** oovs / words. */
  oovRate: number;
  /** log10 probability of every scored token: the known words and each sentence's end. */
  logProb: number;
  /** 10^(−logProb / scored tokens), scored tokens = words − oovs + sentences (SRILM's "ppl"). */
  perplexity: number;
}

/**
 * Perplexity of a model on tokenised sentences, as SRILM's `ngram -ppl` reports it: each sentence is
 * scored as <s> w1 … wn </s> (the start given, the words and the end predicted); a word the model does
 * not know is counted as an OOV and not scored (even if the model has <unk>, whose probability mass
 * depends on how the model was built), and the next word is scored without the history before it.
 * Empty sentences are skipped.
 */
export function perplexity(lm: WordLm, sentences: Iterable<readonly string[]>): PerplexityReport {
  let count = 0;
  let words = 0;
  let oovs = 0;
  let ln = 0;
  let scored = 0;
  for (const sentence of sentences) {
    if (sentence.length === 0) continue;
    count++;
    let context = [lm.bos];
    for (const w of [...sentence.map((s) => lm.id(s)), lm.eos]) {
      if (w < 0) oovs++;
      else {
        ln += lm.score(context, w);
        scored++;
      }
      context = lm.advance(context, w);
    }
    words += sentence.length;
  }
  const logProb = ln / Math.LN10;
  return {
    sentences: count,
    words,
    oovs,
    oovRate: words > 0 ? oovs / words : 0,
    logProb,
    perplexity: scored > 0 ? 10 ** (-logProb / scored) : NaN,
  };
}
