// The quantiser of a sphinx trie model: the n-grams above unigrams store 16-bit indices into tables of
// float32 values (bins of similar values, each the mean of its bin). Unigrams keep their own float32 values.

import { QUANT_BITS, type SphinxLmLayout } from './layout.js';

/** The log base sphinx stores its scores in (its -logbase default; the file does not say). */
export const SPHINX_LOG_BASE = 1.0001;
const LOG10_OF_BASE = Math.log10(SPHINX_LOG_BASE);

/**
 * log10 of a stored value, as sphinx converts it (logmath_log_float_to_log10: the float32 times log10 of
 * the base, in double precision), so printed to 4 decimals it matches what sphinx_lm_convert writes.
 */
export function sphinxToLog10(stored: number): number {
  return stored * LOG10_OF_BASE;
}

export interface QuantTables {
  /** Probability bins of each order above unigrams: prob[n − 2] for n-grams. */
  prob: Float32Array[];
  /** Back-off bins of each middle order (2 … order − 1): backoff[n − 2]. */
  backoff: Float32Array[];
}

/** Reads the tables: for each middle order its probability bins then its back-off bins, then the longest's. */
export function readQuantTables(bytes: Uint8Array, layout: SphinxLmLayout): QuantTables {
  const size = 1 << QUANT_BITS;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = layout.quantOffset;
  // Copied value by value: the file's bytes need not be 4-byte aligned in memory.
  const table = () => {
    const t = new Float32Array(size);
    for (let i = 0; i < size; i++, pos += 4) t[i] = view.getFloat32(pos, true);
    return t;
  };
  const prob: Float32Array[] = [];
  const backoff: Float32Array[] = [];
  for (let n = 2; n < layout.order; n++) {
    prob.push(table());
    backoff.push(table());
  }
  if (layout.order >= 2) prob.push(table());
  return { prob, backoff };
}
