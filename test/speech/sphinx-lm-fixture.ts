// Small sphinx trie models written byte by byte from the format's description, so the reader's tests run
// where pocketsphinx is not installed and can hold any defect on purpose.

/** Quantisation bins of the fixtures: value = index × step (base-1.0001 log units), exact in float32. */
export const MIDDLE_PROB_STEP = -10;
export const MIDDLE_BACKOFF_STEP = -1;
export const LONGEST_PROB_STEP = -20;

export interface MiddleEntry {
  word: number;
  probIndex: number;
  backoffIndex: number;
  /** Start of its range in the next order's array. */
  next: number;
}

export interface LongestEntry {
  word: number;
  probIndex: number;
}

export interface TrieFixture {
  words: string[];
  /** Base-1.0001 log values and the start of each word's 2-gram range. */
  unigrams: { prob: number; backoff: number; next: number }[];
  /** Where the last word's 2-gram range ends (the sentinel unigram's next). */
  unigramEnd: number;
  /** Orders 2 … order − 1, each with where its last entry's range ends. */
  middles: { entries: MiddleEntry[]; end: number }[];
  longest: LongestEntry[];
  /** Counts in the header (default: the entries given); larger counts leave unused, zeroed entries. */
  declared?: number[];
  bigEndian?: boolean;
}

const bitsFor = (max: number) => (max === 0 ? 0 : Math.floor(Math.log2(max)) + 1);

/** Sets `bits` bits of value at bit offset `at`, least significant bit first within little-endian bytes. */
function putBits(bytes: Uint8Array, at: number, bits: number, value: number): void {
  for (let k = 0; k < bits; k++) if ((value >>> k) & 1) bytes[(at + k) >> 3] |= 1 << ((at + k) & 7);
}

/** The bytes of a sphinx "Trie Language Model" file. */
export function sphinxLmBytes(f: TrieFixture): Buffer {
  const order = f.middles.length + 2;
  const actual = [f.words.length, ...f.middles.map((m) => m.entries.length), f.longest.length];
  const counts = f.declared ?? actual;
  const le = !f.bigEndian;
  const parts: Buffer[] = [Buffer.from('Trie Language Model', 'latin1'), Buffer.from([order])];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const f32s = (values: number[]) => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => (le ? b.writeFloatLE(v, i * 4) : b.writeFloatBE(v, i * 4)));
    return b;
  };
  for (const c of counts) parts.push(u32(c));
  parts.push(u32(1)); // the quantiser's unused word
  const table = (step: number) => f32s(Array.from({ length: 65536 }, (_, k) => k * step));
  for (let n = 2; n < order; n++) parts.push(table(MIDDLE_PROB_STEP), table(MIDDLE_BACKOFF_STEP));
  parts.push(table(LONGEST_PROB_STEP));
  for (const u of f.unigrams) parts.push(f32s([u.prob, u.backoff]), u32(u.next));
  parts.push(f32s([0, 0]), u32(f.unigramEnd));
  const wordBits = bitsFor(counts[0]);
  f.middles.forEach((m, k) => {
    const nextBits = bitsFor(counts[k + 2]);
    const entryBits = wordBits + 32 + nextBits;
    const bytes = new Uint8Array(Math.floor(((counts[k + 1] + 1) * entryBits + 7) / 8) + 8);
    m.entries.forEach((e, i) => {
      const at = i * entryBits;
      putBits(bytes, at, wordBits, e.word);
      putBits(bytes, at + wordBits, 16, e.backoffIndex);
      putBits(bytes, at + wordBits + 16, 16, e.probIndex);
      putBits(bytes, at + wordBits + 32, nextBits, e.next);
    });
    putBits(bytes, m.entries.length * entryBits + wordBits + 32, nextBits, m.end);
    parts.push(Buffer.from(bytes));
  });
  const entryBits = wordBits + 16;
  const longest = new Uint8Array(Math.floor(((counts[order - 1] + 1) * entryBits + 7) / 8) + 8);
  f.longest.forEach((e, i) => {
    putBits(longest, i * entryBits, wordBits, e.word);
    putBits(longest, i * entryBits + wordBits, 16, e.probIndex);
  });
  parts.push(Buffer.from(longest));
  const strings = Buffer.from(f.words.map((w) => `${w}\0`).join(''), 'utf8');
  parts.push(u32(strings.length), strings);
  return Buffer.concat(parts);
}

/**
 * A trigram model of four words:
 *
 *   2-grams (grouped by their last word, as the trie stores them): "b </s>", "<s> a", "<s> b", "a b"
 *   3-grams: "a b </s>" (under "b </s>"), "<s> a b" (under "a b")
 */
export function tinyTrigramFixture(): TrieFixture {
  return {
    words: ['</s>', '<s>', 'a', 'b'],
    unigrams: [
      { prob: -5000, backoff: 0, next: 0 }, // </s>: 2-grams [0, 1)
      { prob: -990000, backoff: -3000, next: 1 }, // <s>: none
      { prob: -7000, backoff: -2000, next: 1 }, // a: [1, 2)
      { prob: -8000, backoff: -1000, next: 2 }, // b: [2, 4)
    ],
    unigramEnd: 4,
    middles: [
      {
        entries: [
          { word: 3, probIndex: 100, backoffIndex: 40, next: 0 }, // b </s>: 3-grams [0, 1)
          { word: 1, probIndex: 200, backoffIndex: 50, next: 1 }, // <s> a: none
          { word: 1, probIndex: 300, backoffIndex: 60, next: 1 }, // <s> b: none
          { word: 2, probIndex: 400, backoffIndex: 70, next: 1 }, // a b: [1, 2)
        ],
        end: 2,
      },
    ],
    longest: [
      { word: 2, probIndex: 500 }, // a b </s>
      { word: 1, probIndex: 600 }, // <s> a b
    ],
  };
}
