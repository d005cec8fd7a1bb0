// Readers for sphinx3 binary model files (means, variances, mixture_weights, transition_matrices) and
// pocketsphinx's quantised mixture weights (sendump). Every reader takes the file's bytes and its name, and
// throws an Error naming the file and what is wrong with it (truncated, bad magic, sizes that disagree, ...).
//
// The s3 layout: a text header ("s3\n", then "key value" lines up to "endhdr\n"; "chksum0 yes" announces a
// checksum), the uint32 byte-order magic 0x11223344 (read in the file's order; byte-swapped means the file is
// big-endian), then int32 dimensions, an int32 count of the float32 values, the values, and with chksum0 a
// uint32 checksum over everything after the magic (sum = rotl(sum, 20) + word, for each 32-bit word).

const BYTE_ORDER_MAGIC = 0x11223344;

/** Bounds-checked little/big-endian reads over one file's bytes; errors name the file. */
export class ByteReader {
  readonly view: DataView;
  pos: number;
  littleEndian = true;
  /** Running s3 checksum of the 32-bit words read through word() and floats(). */
  checksum = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    pos = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(problem: string): never {
    throw new Error(`${this.file}: ${problem}`);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.remaining < n)
      this.fail(
        `truncated: ${what} needs ${n} bytes at offset ${this.pos}, but the file has ${this.remaining} left`,
      );
  }

  int32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }

  uint32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }

  /** An int32 that counts toward the s3 checksum. */
  word(what: string): number {
    const v = this.int32(what);
    this.checksum = addToChecksum(this.checksum, v >>> 0);
    return v;
  }

  /** n float32 values, counted toward the s3 checksum. */
  floats(n: number, what: string): Float32Array {
    this.need(4 * n, what);
    const out = new Float32Array(n);
    let sum = this.checksum;
    for (let i = 0, at = this.pos; i < n; i++, at += 4) {
      out[i] = this.view.getFloat32(at, this.littleEndian);
      sum = addToChecksum(sum, this.view.getUint32(at, this.littleEndian));
    }
    this.checksum = sum;
    this.pos += 4 * n;
    return out;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Fails unless the whole file has been read. */
  end(what: string): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected bytes after ${what}`);
  }
}

function addToChecksum(sum: number, word: number): number {
  return ((((sum << 20) | (sum >>> 12)) >>> 0) + word) >>> 0;
}

/** Parses the s3 text header and byte-order magic; returns the header fields and a reader positioned after them. */
export function readS3Header(
  bytes: Uint8Array,
  file: string,
): { fields: Map<string, string>; reader: ByteReader } {
  const reader = new ByteReader(bytes, file);
  const fields = new Map<string, string>();
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, reader.pos);
    if (nl < 0 || nl - reader.pos > 4096)
      reader.fail('truncated or not an s3 file: header line without an end');
    const text = new TextDecoder('latin1').decode(bytes.subarray(reader.pos, nl));
    reader.pos = nl + 1;
    return text;
  };
  if (bytes.length < 3 || line() !== 's3')
    reader.fail('not an s3 binary file (it must start with "s3" on a line)');
  for (;;) {
    const words = line().trim().split(/\s+/);
    if (words[0] === 'endhdr') break;
    if (words[0] === '' || words[0].startsWith('#')) continue;
    if (words.length !== 2) reader.fail(`bad header line "${words.join(' ')}" (expected "key value")`);
    fields.set(words[0], words[1]);
  }
  const magic = reader.uint32('the byte-order magic');
  if (magic !== BYTE_ORDER_MAGIC) {
    reader.littleEndian = false;
    reader.pos -= 4;
    if (reader.uint32('the byte-order magic') !== BYTE_ORDER_MAGIC)
      reader.fail(`bad byte-order magic 0x${magic.toString(16)} (expected 0x11223344)`);
  }
  return { fields, reader };
}

/** Reads and checks the trailing checksum if the header announced one, then requires the end of the file. */
function finishS3(fields: Map<string, string>, reader: ByteReader, what: string): void {
  if (fields.has('chksum0')) {
    const computed = reader.checksum;
    const stored = reader.uint32('the checksum');
    if (stored !== computed)
      reader.fail(
        `checksum mismatch: file says 0x${stored.toString(16)}, data gives 0x${computed.toString(16)}`,
      );
  }
  reader.end(what);
}

function positive(reader: ByteReader, value: number, what: string, max = 1 << 24): number {
  if (!(value > 0 && value <= max)) reader.fail(`implausible ${what}: ${value}`);
  return value;
}

/** Means or variances: per codebook, per feature stream, nDensities Gaussians of streamDims[stream] values. */
export interface GaussianParams {
  readonly nCodebooks: number;
  readonly nStreams: number;
  readonly nDensities: number;
  readonly streamDims: readonly number[]; // [nStreams]
  /** [nCodebooks][nStreams][nDensities][streamDims[stream]], flattened in that order. */
  readonly data: Float32Array;
}

/** Parses a means or variances file. */
export function parseGaussians(bytes: Uint8Array, file: string): GaussianParams {
  const { fields, reader } = readS3Header(bytes, file);
  const nCodebooks = positive(reader, reader.word('#codebooks'), '#codebooks');
  const nStreams = positive(reader, reader.word('#streams'), '#streams', 64);
  const nDensities = positive(reader, reader.word('#densities'), '#densities');
  const streamDims: number[] = [];
  for (let s = 0; s < nStreams; s++)
    streamDims.push(positive(reader, reader.word(`stream ${s} width`), 'stream width', 4096));
  const n = reader.word('#values');
  const expected = nCodebooks * nDensities * streamDims.reduce((a, b) => a + b, 0);
  if (n !== expected)
    reader.fail(
      `${n} values do not match ${nCodebooks} codebooks × ${nDensities} densities × ${streamDims.join('+')} dims`,
    );
  const data = reader.floats(n, 'the Gaussian parameters');
  finishS3(fields, reader, 'the Gaussian parameters');
  return { nCodebooks, nStreams, nDensities, streamDims, data };
}

/**
 * Transition matrices: [nTmat][nEmitting][nEmitting + 1], row i from emitting state i, the last column to the
 * exit. Values as stored: sphinxtrain may leave counts, so normalise each row before use (pocketsphinx does).
 */
export interface TransitionMatrices {
  readonly nTmat: number;
  readonly nEmitting: number;
  readonly data: Float32Array; // [nTmat, nEmitting, nEmitting + 1]
}

export function parseTransitionMatrices(bytes: Uint8Array, file: string): TransitionMatrices {
  const { fields, reader } = readS3Header(bytes, file);
  const nTmat = positive(reader, reader.word('#matrices'), '#matrices');
  const nEmitting = positive(reader, reader.word('#rows'), '#rows', 64);
  const nCols = reader.word('#columns');
  if (nCols !== nEmitting + 1)
    reader.fail(`matrices are ${nEmitting}×${nCols}; expected ${nEmitting}×${nEmitting + 1}`);
  const n = reader.word('#values');
  if (n !== nTmat * nEmitting * nCols)
    reader.fail(`${n} values do not match ${nTmat} × ${nEmitting} × ${nCols}`);
  const data = reader.floats(n, 'the transition probabilities');
  finishS3(fields, reader, 'the transition probabilities');
  return { nTmat, nEmitting, data };
}

/** Mixture weights of every senone, whichever file they came from. */
export interface MixtureWeights {
  readonly nSenones: number;
  readonly nStreams: number;
  readonly nDensities: number;
  /** ln weights of the given senones: [senones.length][nStreams][nDensities]. */
  logWeights(senones: readonly number[]): Float64Array;
}

/** Sphinx's defaults for turning float weights into log weights (-mixwfloor). */
export const MIXTURE_WEIGHT_FLOOR = 1e-7;

/** Parses an s3 mixture_weights file: [nSenones][nStreams][nDensities] float32 (unnormalised counts allowed). */
export function parseMixtureWeights(
  bytes: Uint8Array,
  file: string,
  floor = MIXTURE_WEIGHT_FLOOR,
): MixtureWeights {
  const { fields, reader } = readS3Header(bytes, file);
  const nSenones = positive(reader, reader.word('#senones'), '#senones');
  const nStreams = positive(reader, reader.word('#streams'), '#streams', 64);
  const nDensities = positive(reader, reader.word('#densities'), '#densities');
  const n = reader.word('#values');
  if (n !== nSenones * nStreams * nDensities)
    reader.fail(
      `${n} values do not match ${nSenones} senones × ${nStreams} streams × ${nDensities} densities`,
    );
  const raw = reader.floats(n, 'the mixture weights');
  finishS3(fields, reader, 'the mixture weights');
  return {
    nSenones,
    nStreams,
    nDensities,
    logWeights(senones) {
      const out = new Float64Array(senones.length * nStreams * nDensities);
      senones.forEach((sen, i) => {
        checkSenone(file, sen, nSenones);
        for (let s = 0; s < nStreams; s++) {
          const at = (sen * nStreams + s) * nDensities;
          const to = (i * nStreams + s) * nDensities;
          normaliseAndLog(raw.subarray(at, at + nDensities), floor, out.subarray(to, to + nDensities));
        }
      });
      return out;
    },
  };
}

/** As sphinx: normalise to sum 1, floor, normalise again, then ln. */
function normaliseAndLog(w: Float32Array, floor: number, out: Float64Array): void {
  let sum = 0;
  for (let d = 0; d < w.length; d++) sum += w[d];
  let sum2 = 0;
  for (let d = 0; d < w.length; d++) {
    out[d] = Math.max(sum > 0 ? w[d] / sum : 0, floor);
    sum2 += out[d];
  }
  for (let d = 0; d < w.length; d++) out[d] = Math.log(out[d] / sum2);
}

function checkSenone(file: string, sen: number, nSenones: number): void {
  if (!(Number.isInteger(sen) && sen >= 0 && sen < nSenones))
    throw new Error(`${file}: senone ${sen} is out of range 0..${nSenones - 1}`);
}

/** How pocketsphinx quantised the weights in a sendump: byte q = -log_base(w) >> shift. */
export interface SendumpQuantisation {
  /** -logbase the dump was made with. Default 1.0001 (pocketsphinx's). */
  readonly logBase: number;
  /** Bits dropped from the log value (SENSCR_SHIFT). Default 10. */
  readonly shift: number;
}

export const DEFAULT_SENDUMP_QUANTISATION: Readonly<SendumpQuantisation> = Object.freeze({
  logBase: 1.0001,
  shift: 10,
});

/**
 * Parses a sendump: a header of length-prefixed strings (ended by a zero length; "feature_count n",
 * "cluster_count n" among them), then, without clustering, int32 #densities and #senones, then one byte per
 * (stream, density, senone), stream-major. A byte q stands for ln w = -q · 2^shift · ln(logBase), the value
 * pocketsphinx adds to its scores (it is the lower edge of the quantisation bin: weights were rounded down).
 * nStreams is needed only if the header does not give feature_count.
 */
export function parseSendump(
  bytes: Uint8Array,
  file: string,
  nStreams?: number,
  quant: SendumpQuantisation = DEFAULT_SENDUMP_QUANTISATION,
): MixtureWeights {
  const reader = new ByteReader(bytes, file);
  const header = readSendumpStrings(reader);
  const count = (key: string): number | undefined => {
    const line = header.find((h) => h.startsWith(`${key} `));
    return line === undefined ? undefined : Number(line.slice(key.length + 1));
  };
  const clusters = count('cluster_count') ?? 0;
  if (clusters !== 0) reader.fail(`4-bit clustered weights (cluster_count ${clusters}) are not supported`);
  const given =
    count('feature_count') ??
    nStreams ??
    reader.fail('the header gives no feature_count and none was supplied');
  const streams = positive(reader, given, 'feature_count', 64);
  const nDensities = positive(reader, reader.int32('#densities'), '#densities', 65536);
  const nSenones = positive(reader, reader.int32('#senones'), '#senones');
  const q = reader.take(streams * nDensities * nSenones, `${streams}×${nDensities}×${nSenones} weights`);
  reader.end('the weights');
  const step = -(2 ** quant.shift) * Math.log(quant.logBase);
  return {
    nSenones,
    nStreams: streams,
    nDensities,
    logWeights(senones) {
      const out = new Float64Array(senones.length * streams * nDensities);
      senones.forEach((sen, i) => {
        checkSenone(file, sen, nSenones);
        for (let s = 0; s < streams; s++) {
          for (let d = 0; d < nDensities; d++) {
            const byte = q[(s * nDensities + d) * nSenones + sen];
            out[(i * streams + s) * nDensities + d] = byte === 0 ? 0 : byte * step;
          }
        }
      });
      return out;
    },
  };
}

/** The sendump's header strings; the first (the title) must be NUL-terminated text of 1..999 bytes. */
function readSendumpStrings(reader: ByteReader): string[] {
  const first = reader.int32('the title length');
  if (!(first >= 1 && first <= 999)) {
    reader.pos = 0;
    reader.littleEndian = false;
    const swapped = reader.int32('the title length');
    if (!(swapped >= 1 && swapped <= 999))
      reader.fail(`not a sendump: title length ${first} is out of range`);
  }
  reader.pos -= 4;
  const strings: string[] = [];
  for (;;) {
    const n = reader.int32('a header string length');
    if (n === 0) return strings;
    if (!(n > 0 && n < 1 << 16)) reader.fail(`bad header string length ${n} at offset ${reader.pos - 4}`);
    const raw = reader.take(n, 'a header string');
    if (strings.length === 0 && raw[n - 1] !== 0) reader.fail('the title is not NUL-terminated');
    strings.push(new TextDecoder('latin1').decode(raw).replace(/\0+$/, ''));
  }
}
