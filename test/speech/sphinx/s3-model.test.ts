import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseGaussians,
  parseMixtureWeights,
  parseSendump,
  parseTransitionMatrices,
  readS3Header,
} from '../../../src-main/speech/sphinx/s3-model.js';
import { Bytes, HAVE_MODEL, MODEL_DIR, s3File } from './helpers.js';

const read = (name: string): Buffer => readFileSync(join(MODEL_DIR, name));

describe.skipIf(!HAVE_MODEL)('the en-us model files', () => {
  it('means and variances: 42 codebooks × 3 streams × 128 densities × 13, checksums verified', () => {
    const means = parseGaussians(read('means'), 'means');
    const vars = parseGaussians(read('variances'), 'variances');
    for (const g of [means, vars]) {
      expect([g.nCodebooks, g.nStreams, g.nDensities, g.streamDims]).toEqual([42, 3, 128, [13, 13, 13]]);
      expect(g.data.length).toBe(42 * 3 * 128 * 13);
    }
    expect(vars.data.every((v) => v >= 0)).toBe(true);
  });

  it('sendump: 5126 senones of 3 × 128 weights, each summing to about 1', () => {
    const w = parseSendump(read('sendump'), 'sendump');
    expect([w.nSenones, w.nStreams, w.nDensities]).toEqual([5126, 3, 128]);
    const lw = w.logWeights([0, 96, 5125]);
    for (let k = 0; k < 9; k++) {
      let sum = 0;
      for (let d = 0; d < 128; d++) sum += Math.exp(lw[k * 128 + d]);
      // Quantisation rounds every weight down by up to one step (~0.1 nats), so the sums fall a little short.
      expect(sum).toBeGreaterThan(0.85);
      expect(sum).toBeLessThanOrEqual(1);
    }
    expect(() => w.logWeights([5126])).toThrow(/sendump: senone 5126 is out of range 0..5125/);
  });

  it('transition matrices: 42 left-to-right 3 × 4 count matrices', () => {
    const t = parseTransitionMatrices(read('transition_matrices'), 'tmat');
    expect([t.nTmat, t.nEmitting]).toEqual([42, 3]);
    for (let m = 0; m < 42; m++) {
      for (let i = 0; i < 3; i++) {
        const row = Array.from(t.data.subarray((m * 3 + i) * 4, (m * 3 + i + 1) * 4));
        // Each state loops or moves on; the file holds counts, which pocketsphinx normalises per row.
        row.forEach((v, j) => expect(v > 0).toBe(j === i || j === i + 1));
      }
    }
  });
});

describe('s3 readers on synthetic files', () => {
  const values = Float32Array.from({ length: 2 * 1 * 3 * 2 }, (_, i) => i / 4);
  const gauss = s3File([2, 1, 3, 2], values); // 2 codebooks, 1 stream, 3 densities, 2 dims

  it('read what they were given, in either byte order', () => {
    const g = parseGaussians(gauss, 'g');
    expect([g.nCodebooks, g.nStreams, g.nDensities, g.streamDims]).toEqual([2, 1, 3, [2]]);
    expect(Array.from(g.data)).toEqual(Array.from(values));
    // Big-endian: every 32-bit word after the text header swapped.
    const headerEnd = gauss.indexOf('endhdr\n') + 7;
    const swapped = Buffer.from(gauss);
    for (let at = headerEnd; at < swapped.length; at += 4) swapped.subarray(at, at + 4).reverse();
    expect(Array.from(parseGaussians(swapped, 'be').data)).toEqual(Array.from(values));
    expect(Array.from(parseGaussians(s3File([2, 1, 3, 2], values, false), 'nock').data)).toEqual(
      Array.from(values),
    );
  });

  it.each([
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 9), /^t: truncated: .*needs 48 bytes/],
    [
      'a missing checksum',
      (b: Buffer) => b.subarray(0, b.length - 4),
      /^t: truncated: the checksum needs 4 bytes/,
    ],
    ['a wrong checksum', (b: Buffer) => flip(b, b.length - 1), /^t: checksum mismatch/],
    ['corrupt data', (b: Buffer) => flip(b, b.length - 10), /^t: checksum mismatch/],
    ['extra bytes', (b: Buffer) => Buffer.concat([b, Buffer.alloc(3)]), /^t: 3 unexpected bytes after/],
    ['a bad magic', (b: Buffer) => flip(b, b.indexOf('endhdr\n') + 7), /^t: bad byte-order magic 0x11223345/],
    ['no s3 header', () => Buffer.from('hello\n'), /^t: not an s3 binary file/],
    ['an unended header', () => Buffer.from('s3\nversion 1.0'), /^t: truncated or not an s3 file/],
    ['an empty file', () => Buffer.alloc(0), /^t: not an s3 binary file/],
  ])('name the file and the problem on %s', (_, corrupt, message) => {
    expect(() => parseGaussians(corrupt(gauss), 't')).toThrow(message);
  });

  it('check that the counts agree', () => {
    expect(() => parseGaussians(s3File([2, 1, 3, 2], values.subarray(1)), 'g')).toThrow(
      /g: 11 values do not match 2 codebooks × 3 densities × 2 dims/,
    );
    expect(() => parseGaussians(s3File([2, 1, -3, 2], values), 'g')).toThrow(/g: implausible #densities: -3/);
    expect(() => parseTransitionMatrices(s3File([1, 2, 4], new Float32Array(8)), 't')).toThrow(
      /t: matrices are 2×4; expected 2×3/,
    );
  });

  it('read the header fields', () => {
    const { fields, reader } = readS3Header(gauss, 'g');
    expect(fields.get('version')).toBe('1.0');
    expect(fields.has('chksum0')).toBe(true);
    expect(reader.littleEndian).toBe(true);
  });

  it('turn mixture_weights counts into normalised, floored log weights', () => {
    // 2 senones, 1 stream, 3 densities; senone 1 has a zero count, which the 1e-7 floor keeps finite.
    const w = parseMixtureWeights(s3File([2, 1, 3], [1, 1, 2, 0, 3, 1]), 'mixw');
    const lw = w.logWeights([0, 1]);
    expect(Array.from(lw.subarray(0, 3)).map(Math.exp)).toEqual(
      [0.25, 0.25, 0.5].map((v) => expect.closeTo(v, 12)),
    );
    expect(Math.exp(lw[3])).toBeCloseTo(1e-7, 12);
    expect(Math.exp(lw[4])).toBeCloseTo(0.75, 6);
    expect(() => parseMixtureWeights(s3File([2, 1, 3], [1, 2, 3]), 'mixw')).toThrow(
      /mixw: 3 values do not match 2 senones/,
    );
  });
});

describe('sendump reader', () => {
  const dump = (q: number[], header = ['feature_count 1']): Buffer => {
    const b = new Bytes();
    for (const s of ['BEGIN FILE FORMAT DESCRIPTION', 'END FILE FORMAT DESCRIPTION', ...header])
      b.int32(s.length + 1).text(`${s}\0`);
    return b.int32(0, 2, 3).raw(Uint8Array.from(q)).build(); // 2 densities, 3 senones
  };

  it('decodes bytes as -q · 1024 · ln(1.0001) nats, stream-major [stream][density][senone]', () => {
    const w = parseSendump(dump([0, 1, 2, 10, 20, 30]), 'sd');
    expect([w.nSenones, w.nStreams, w.nDensities]).toEqual([3, 1, 2]);
    const step = -1024 * Math.log(1.0001);
    expect(Array.from(w.logWeights([2, 0]))).toEqual([2 * step, 30 * step, 0, 10 * step]);
  });

  it.each([
    ['a truncated weight table', dump([0, 1, 2, 3, 4]), /^sd: truncated: 1×2×3 weights needs 6 bytes/],
    ['trailing bytes', Buffer.concat([dump([0, 1, 2, 3, 4, 5]), Buffer.alloc(2)]), /^sd: 2 unexpected bytes/],
    ['clustered weights', dump([0, 0, 0, 0, 0, 0], ['feature_count 1', 'cluster_count 16']), /not supported/],
    ['no stream count', dump([0, 0, 0, 0, 0, 0], []), /no feature_count/],
    ['garbage', Buffer.from('not a sendump at all'), /^sd: not a sendump: title length/],
    ['a cut header', dump([0, 1, 2, 3, 4, 5]).subarray(0, 20), /^sd: truncated: a header string/],
  ])('names the file and the problem on %s', (_, bytes, message) => {
    expect(() => parseSendump(bytes, 'sd')).toThrow(message);
  });
});

function flip(b: Buffer, at: number): Buffer {
  const out = Buffer.from(b);
  out[at] ^= 1;
  return out;
}
