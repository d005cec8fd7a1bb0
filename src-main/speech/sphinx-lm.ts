import { readFileSync } from 'node:fs';
import { SphinxLmError, sphinxLmLayout, type SphinxLmLayout } from './sphinx-lm/layout.js';
import { readQuantTables, sphinxToLog10, type QuantTables } from './sphinx-lm/quantisation.js';
import {
  bitPackedArrays,
  findEntry,
  forEachStoredNgram,
  checkTrie,
  readUnigrams,
  type BitPackedArray,
  type Unigrams,
} from './sphinx-lm/trie.js';
import type { WordIdSource } from './word-lm-build.js';

export { isSphinxLm, SphinxLmError, SPHINX_LM_MAGIC } from './sphinx-lm/layout.js';
export { SPHINX_LOG_BASE } from './sphinx-lm/quantisation.js';

/** One n-gram's values, log10 as in an ARPA file. */
export interface SphinxNgram {
  logProb: number;
  /** 0 for the longest order, which has no back-off weights. */
  backoff: number;
}

/**
 * A sphinx "Trie Language Model" (`.lm.bin`, the binary format of sphinxbase and pocketsphinx), read in
 * place from the file's bytes. Its n-grams come out as an ARPA source, so `WordLm` is built from it with no
 * text in between; probabilities and back-off weights are the quantised values decoded as sphinx decodes
 * them (the bin's float32, base 1.0001, converted to log10).
 */
export class SphinxLm {
  readonly order: number;
  /** Words by id (the unigrams' order in the file). */
  readonly words: readonly string[];
  /** N-grams per order that the model holds (what the unigrams reach). */
  readonly counts: readonly number[];
  /** N-grams per order as the header states them: sphinx's builder sometimes counts a few it never stores. */
  readonly declared: readonly number[];
  private readonly layout: SphinxLmLayout;
  private readonly unigrams: Unigrams;
  private readonly arrays: BitPackedArray[];
  private readonly quant: QuantTables;
  /** Entries out of order within their context (see TrieCheck); read all the same. */
  readonly outOfOrder: number;
  private ids: Map<string, number> | null = null;

  /** Reads and checks a model's bytes; `source` names the file in errors. */
  constructor(
    bytes: Uint8Array,
    readonly source = 'language model',
  ) {
    this.layout = sphinxLmLayout(bytes, source);
    this.order = this.layout.order;
    this.declared = this.layout.declared;
    this.quant = readQuantTables(bytes, this.layout);
    this.unigrams = readUnigrams(bytes, this.layout);
    this.arrays = bitPackedArrays(bytes, this.layout);
    const check = checkTrie(this.layout, this.unigrams, this.arrays, source);
    this.counts = check.ranges.map(([a, b]) => b - a);
    this.outOfOrder = check.outOfOrder;
    this.words = readWords(bytes, this.layout, source);
  }

  /** Reads a `.lm.bin` file. */
  static load(path: string): SphinxLm {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new SphinxLmError(`cannot read language model ${path}: ${(err as Error).message}`);
    }
    return new SphinxLm(bytes, path);
  }

  /**
   * The n-grams, unigrams first, each order's complete before the next: what `WordLm` takes. Besides the
   * ARPA visitor (words as strings) it offers `forEachIds`, the same n-grams as word ids (`words[id]`).
   */
  arpaSource(): WordIdSource {
    const forEachIds: WordIdSource['forEachIds'] = (visit) => {
      const { prob, backoff } = this.unigrams;
      const one = new Int32Array(1);
      for (let w = 0; w < this.words.length; w++) {
        one[0] = w;
        visit(1, one, sphinxToLog10(prob[w]), sphinxToLog10(backoff[w]));
      }
      for (let n = 2; n <= this.order; n++) {
        forEachStoredNgram(n, this.layout, this.unigrams, this.arrays, this.quant, (ids, p, bo) =>
          visit(n, ids, sphinxToLog10(p), sphinxToLog10(bo)),
        );
      }
    };
    return {
      counts: [...this.counts],
      words: this.words,
      forEachIds,
      forEach: (visit) =>
        forEachIds((n, ids, logProb, backoff) =>
          visit(
            n,
            Array.from(ids, (w) => this.words[w]),
            logProb,
            backoff,
          ),
        ),
    };
  }

  /** The n-gram's values if the model lists it (words oldest first), else null. */
  lookup(words: readonly string[]): SphinxNgram | null {
    if (words.length < 1 || words.length > this.order) return null;
    this.ids ??= new Map(this.words.map((w, i) => [w, i]));
    const ids = words.map((w) => this.ids!.get(w) ?? -1);
    if (ids.includes(-1)) return null;
    const n = ids.length;
    const last = ids[n - 1];
    if (n === 1) {
      const { prob, backoff } = this.unigrams;
      return { logProb: sphinxToLog10(prob[last]), backoff: sphinxToLog10(backoff[last]) };
    }
    let begin = this.unigrams.next[last];
    let end = this.unigrams.next[last + 1];
    for (let d = 0; ; d++) {
      const array = this.arrays[d];
      const e = findEntry(array, begin, end, ids[n - 2 - d], this.outOfOrder > 0);
      if (e < 0) return null;
      if (d === n - 2) {
        const middle = n < this.order;
        const bo = middle ? this.quant.backoff[d][array.backoffIndex(e)] : 0;
        return {
          logProb: sphinxToLog10(this.quant.prob[d][array.probIndex(e, middle)]),
          backoff: sphinxToLog10(bo),
        };
      }
      begin = array.next(e);
      end = array.next(e + 1);
    }
  }
}

/** The word strings: exactly one NUL-terminated string per unigram. */
function readWords(bytes: Uint8Array, layout: SphinxLmLayout, source: string): string[] {
  const from = layout.wordsOffset + 4;
  const to = from + layout.wordsBytes;
  const words: string[] = [];
  let start = from;
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) continue;
    if (i === start) throw new SphinxLmError(`${source}: word ${words.length} is an empty string`);
    words.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('utf8'));
    start = i + 1;
  }
  if (start !== to || words.length !== layout.declared[0]) {
    throw new SphinxLmError(
      `${source}: the word strings hold ${words.length} words${start !== to ? ' and an unterminated one' : ''}, ` +
        `the header counts ${layout.declared[0]} unigrams`,
    );
  }
  return words;
}
