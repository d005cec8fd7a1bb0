// Where each part of a sphinx "Trie Language Model" file (sphinxbase's binary n-gram format, `.lm.bin`)
// lies. The file is a memory image written in the writer's byte order, with no byte-order mark:
//
//   "Trie Language Model"                 19 bytes, no terminating NUL
//   order                                 1 byte
//   counts[order]                         uint32 each: n-grams per order (as the writer counted them)
//   quantiser (only when order ≥ 2)       int32 (unused by readers), then float32 tables of 2^16 values:
//                                         for each middle order (2 … order − 1) its probabilities, then its
//                                         back-off weights; last, the longest order's probabilities
//   unigrams[counts[0] + 1]               {float32 prob, float32 backoff, uint32 next} each; the last one a
//                                         sentinel whose `next` ends the previous unigram's range
//   middle arrays (orders 2 … order − 1)  bit-packed entries, see trie.ts
//   longest array (order)                 bit-packed entries
//   word strings                          int32 byte length, then counts[0] NUL-terminated words, in id order
//
// Probabilities and back-off weights are logarithms in base 1.0001 (sphinx's -logbase default, the base the
// writer used: the file does not record it).

export const SPHINX_LM_MAGIC = 'Trie Language Model';
/** Sphinx's older binary format, which starts with its header's length and then this string. */
const DMP_MAGIC = 'Darpa Trigram LM';
/** Longest n-gram sphinx builds (its NGRAM_MAX_ORDER). */
export const MAX_ORDER = 5;
/** Sphinx's bit packing reads fields with one 32-bit load: 25 bits at most, at any bit offset. */
export const MAX_FIELD_BITS = 25;
/** Bits of a quantised probability and of a quantised back-off weight (their tables have 2^16 values). */
export const QUANT_BITS = 16;
const TABLE_BYTES = (1 << QUANT_BITS) * 4;
const UNIGRAM_BYTES = 12;
/** Each bit-packed array ends with 8 bytes of slack, so a 64-bit load at its last entry stays inside. */
const ARRAY_SLACK_BYTES = 8;

export class SphinxLmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SphinxLmError';
  }
}

export interface BitArrayLayout {
  /** Byte offset of the array in the file. */
  offset: number;
  bytes: number;
  /** Bits of one entry: word id, quantised values, and (middle orders) the next order's start. */
  entryBits: number;
  /** Bits of the pointer into the next order (0 for the longest order). */
  nextBits: number;
}

export interface SphinxLmLayout {
  order: number;
  /** N-grams per order as the header states them (sphinx's builder may count a few more than it stores). */
  declared: number[];
  /** Byte offset of each quantisation table: [middle order index][0 prob, 1 back-off], then the longest's. */
  quantOffset: number;
  unigramOffset: number;
  /** Middle orders 2 … order − 1 (index 0 is the 2-grams), then the longest order; empty for order 1. */
  arrays: BitArrayLayout[];
  /** Bits of a word id in every array. */
  wordBits: number;
  wordsOffset: number;
  wordsBytes: number;
}

/** Bits needed to store values up to `max` (0 for 0), as sphinx sizes its fields. */
export function bitsFor(max: number): number {
  let bits = 0;
  for (let v = max; v > 0; v = Math.floor(v / 2)) bits++;
  return bits;
}

/** Whether the bytes start like a sphinx trie language model. */
export function isSphinxLm(bytes: Uint8Array): boolean {
  if (bytes.length < SPHINX_LM_MAGIC.length) return false;
  for (let i = 0; i < SPHINX_LM_MAGIC.length; i++)
    if (bytes[i] !== SPHINX_LM_MAGIC.charCodeAt(i)) return false;
  return true;
}

const ascii = (bytes: Uint8Array, from: number, to: number) =>
  Buffer.from(bytes.subarray(from, Math.min(to, bytes.length))).toString('latin1');

/**
 * Reads the header and works out every section's place, checking that the file holds exactly them.
 * `source` names the file in errors.
 */
export function sphinxLmLayout(bytes: Uint8Array, source: string): SphinxLmLayout {
  const fail = (what: string): never => {
    throw new SphinxLmError(`${source}: ${what}`);
  };
  if (!isSphinxLm(bytes)) {
    if (ascii(bytes, 4, 4 + DMP_MAGIC.length) === DMP_MAGIC)
      fail('a sphinx DMP language model (the older binary format), not a trie model: convert it to ARPA');
    const start = JSON.stringify(ascii(bytes, 0, SPHINX_LM_MAGIC.length));
    fail(`not a sphinx trie language model: it starts with ${start}, not "${SPHINX_LM_MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const orderAt = SPHINX_LM_MAGIC.length;
  if (orderAt + 1 > bytes.length) truncated(bytes, 'header (order)', orderAt, 1, fail);
  const order = bytes[orderAt];
  if (order < 1 || order > MAX_ORDER)
    fail(`order ${order} is not supported (sphinx trie models hold 1- to ${MAX_ORDER}-grams)`);
  const countsAt = orderAt + 1;
  if (countsAt + 4 * order > bytes.length)
    truncated(bytes, 'header (n-gram counts)', countsAt, 4 * order, fail);
  const counts = (littleEndian: boolean) =>
    Array.from({ length: order }, (_, k) => view.getUint32(countsAt + 4 * k, littleEndian));
  const headerBytes = countsAt + 4 * order;
  const layout = placeSections(counts(true), headerBytes);
  const wordsBytes = wordsBytesIfExact(view, layout.wordsOffset, true);
  if (wordsBytes !== null) {
    checkCounts(layout.declared, fail);
    return { ...layout, wordsBytes };
  }
  // The sizes do not add up. A file written on a big-endian machine would add up with its counts swapped:
  // sphinx writes native byte order, and its bit packing is only well defined on little-endian machines.
  if (wordsBytesIfExact(view, placeSections(counts(false), headerBytes).wordsOffset, false) !== null)
    fail('written on a big-endian machine; only little-endian sphinx trie models are supported');
  checkCounts(layout.declared, fail);
  return findMismatch(bytes, view, layout, headerBytes, fail);
}

/** The word strings' byte length if the file ends exactly after them, else null. */
function wordsBytesIfExact(view: DataView, wordsOffset: number, littleEndian: boolean): number | null {
  if (wordsOffset + 4 > view.byteLength) return null;
  const n = view.getInt32(wordsOffset, littleEndian);
  return n >= 0 && wordsOffset + 4 + n === view.byteLength ? n : null;
}

function truncated(
  bytes: Uint8Array,
  section: string,
  at: number,
  n: number,
  fail: (what: string) => never,
): never {
  // Past the counts, a section that runs off the end may also mean counts that do not fit the data.
  const why = section.startsWith('header') ? '' : ` (or the header's counts do not match the data)`;
  return fail(
    `truncated in the ${section}: it needs ${n} bytes at offset ${at}, the file ends at ${bytes.length}${why}`,
  );
}

/** Walks the sections of a file whose size does not match its header, to say where it goes wrong. */
function findMismatch(
  bytes: Uint8Array,
  view: DataView,
  layout: Omit<SphinxLmLayout, 'wordsBytes'>,
  headerBytes: number,
  fail: (what: string) => never,
): never {
  const sections: [string, number][] = [];
  if (layout.order >= 2) sections.push(['quantisation tables', layout.unigramOffset - headerBytes]);
  sections.push(['unigrams', (layout.declared[0] + 1) * UNIGRAM_BYTES]);
  layout.arrays.forEach((a, k) => sections.push([`${k + 2}-gram array`, a.bytes]));
  sections.push(['word strings (their length)', 4]);
  let pos = headerBytes;
  for (const [section, n] of sections) {
    if (pos + n > bytes.length) truncated(bytes, section, pos, n, fail);
    pos += n;
  }
  const wordsBytes = view.getInt32(pos - 4, true);
  if (wordsBytes < 0) fail(`the word strings' length is negative (${wordsBytes}): damaged file`);
  if (pos + wordsBytes > bytes.length) truncated(bytes, 'word strings', pos, wordsBytes, fail);
  return fail(
    `${bytes.length - pos - wordsBytes} bytes follow the word strings: ` +
      `the header's n-gram counts (${layout.declared.join(', ')}) do not match the data`,
  );
}

/** Section offsets for these counts, the header taking `headerBytes`. */
function placeSections(counts: number[], headerBytes: number): Omit<SphinxLmLayout, 'wordsBytes'> {
  const order = counts.length;
  const quantOffset = order >= 2 ? headerBytes + 4 : headerBytes;
  const quantBytes = order >= 2 ? ((order - 2) * 2 + 1) * TABLE_BYTES : 0;
  const unigramOffset = quantOffset + quantBytes;
  const wordBits = bitsFor(counts[0]);
  let offset = unigramOffset + (counts[0] + 1) * UNIGRAM_BYTES;
  const arrays: BitArrayLayout[] = [];
  for (let n = 2; n <= order; n++) {
    const nextBits = n < order ? bitsFor(counts[n]) : 0;
    const entryBits = wordBits + (n < order ? 2 * QUANT_BITS : QUANT_BITS) + nextBits;
    // One entry more than the count: its next pointer ends the last entry's range.
    const bytes = Math.floor(((counts[n - 1] + 1) * entryBits + 7) / 8) + ARRAY_SLACK_BYTES;
    arrays.push({ offset, bytes, entryBits, nextBits });
    offset += bytes;
  }
  return { order, declared: counts, quantOffset, unigramOffset, arrays, wordBits, wordsOffset: offset };
}

/** Limits of the bit packing: word ids and next pointers are read with one 32-bit load. */
function checkCounts(counts: number[], fail: (what: string) => never): void {
  if (counts[0] === 0) fail('the header counts no unigrams');
  if (bitsFor(counts[0]) > MAX_FIELD_BITS)
    fail(`${counts[0]} words need more than ${MAX_FIELD_BITS}-bit word ids, which the format cannot hold`);
  counts.forEach((c, k) => {
    if (k > 0 && bitsFor(c) > MAX_FIELD_BITS)
      fail(`${c} ${k + 1}-grams need more than ${MAX_FIELD_BITS}-bit pointers, which the format cannot hold`);
  });
}
