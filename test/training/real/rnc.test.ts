import { describe, expect, it } from 'vitest';
import { RealSourceError } from '../../../src-main/training/real/clip.js';
import { isRnc, readRncHeader, rncCrc, unpackRnc } from '../../../src-main/training/real/rnc.js';

/** Writes the RNC bit stream: values least significant bit first, packed into 16-bit little-endian words. */
class BitWriter {
  private readonly bits: number[] = [];
  put(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.bits.push((value >> i) & 1);
    return this;
  }
  /** The words written so far (zero-padded to a whole word). */
  words(): number[] {
    const bytes: number[] = [];
    for (let word = 0; word * 16 < this.bits.length; word++) {
      let value = 0;
      for (let i = 0; i < 16; i++) value |= (this.bits[word * 16 + i] ?? 0) << i;
      bytes.push(value & 0xff, value >> 8);
    }
    return bytes;
  }
}

/** A Huffman table as the stream sends it: a 5-bit symbol count, then a 4-bit code length per symbol. */
function table(writer: BitWriter, lengths: number[]): void {
  writer.put(lengths.length, 5);
  for (const length of lengths) writer.put(length, 4);
}

/** A complete RNC method 1 file around `packed`. */
function rncFile(packed: number[], unpacked: Uint8Array, blocks = 1): Uint8Array {
  const body = Uint8Array.from(packed);
  const header = new Uint8Array(18);
  const view = new DataView(header.buffer);
  header.set([0x52, 0x4e, 0x43, 1]);
  view.setUint32(4, unpacked.length);
  view.setUint32(8, body.length);
  view.setUint16(12, rncCrc(unpacked));
  view.setUint16(14, rncCrc(body));
  header[17] = blocks;
  const out = new Uint8Array(18 + body.length);
  out.set(header);
  out.set(body, 18);
  return out;
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/**
 * "abababab" as one block of two steps: a literal run of 2 ("ab"), a match at distance 2 of length 6
 * (overlapping its own output), then a last step with an empty literal run. The literal bytes sit
 * right after the fifth word, the last one the bit stream had loaded when the run was read.
 */
function overlappingMatch(): { file: Uint8Array; expected: Uint8Array } {
  const bits = new BitWriter().put(0, 2);
  table(bits, [1, 0, 1]); // run lengths: symbol 0 -> "0", symbol 2 -> "1"
  table(bits, [0, 1]); // distances: symbol 1 -> "0"
  table(bits, [0, 0, 0, 1]); // match lengths: symbol 3 -> "0"
  bits.put(2, 16); // two steps
  bits.put(1, 1).put(0, 1); // run: symbol 2 plus one extra bit 0 -> 2
  bits.put(0, 1); // distance: symbol 1 -> 1, +1 = 2
  bits.put(0, 1).put(0, 2); // length: symbol 3 plus two extra bits 00 -> 4, +2 = 6
  bits.put(0, 1); // last step: run symbol 0 -> no literals
  const expected = ascii('abababab');
  return { file: rncFile([...bits.words(), ...ascii('ab')], expected), expected };
}

describe('RNC method 1', () => {
  it('copies literal runs from after the last loaded word and decodes values with extra bits', () => {
    const bits = new BitWriter().put(0, 2);
    table(bits, [0, 0, 0, 1]); // run lengths: symbol 3 -> "0"
    table(bits, []); // no distances or lengths needed: a single, final step
    table(bits, []);
    bits.put(1, 16);
    bits.put(0, 1).put(1, 2); // symbol 3 with extra bits 01 -> 4 | 1 = 5
    const expected = ascii('hello');
    const file = rncFile([...bits.words(), ...expected], expected);
    expect(isRnc(file)).toBe(true);
    expect(text(unpackRnc(file, 'hello.rnc'))).toBe('hello');
  });

  it('copies overlapping matches byte by byte', () => {
    const { file, expected } = overlappingMatch();
    const header = readRncHeader(file, 'match.rnc');
    expect(header).toMatchObject({ unpackedLength: 8, packedLength: 12, blocks: 1 });
    expect(text(unpackRnc(file, 'match.rnc'))).toBe(text(expected));
  });

  it('computes the CRC-16 RNC headers store (reflected 0xA001, initial 0)', () => {
    expect(rncCrc(new Uint8Array())).toBe(0);
    expect(rncCrc(ascii('123456789'))).toBe(0xbb3d); // the CRC-16/ARC check value
  });

  it('rejects corrupt packed data by its CRC, naming the file', () => {
    const { file } = overlappingMatch();
    file[18 + 3] ^= 0x10;
    expect(() => unpackRnc(file, 'bad.rnc')).toThrow(RealSourceError);
    expect(() => unpackRnc(file, 'bad.rnc')).toThrow(/packed-data CRC/);
    try {
      unpackRnc(file, 'bad.rnc');
    } catch (error) {
      expect((error as RealSourceError).file).toBe('bad.rnc');
    }
  });

  it('rejects output that does not match the unpacked CRC', () => {
    const { file } = overlappingMatch();
    file[12] ^= 0xff; // unpacked CRC
    expect(() => unpackRnc(file, 'crc.rnc')).toThrow(/unpacked-data CRC/);
  });

  it('rejects truncated data, a missing magic and other methods', () => {
    const { file } = overlappingMatch();
    expect(() => unpackRnc(file.subarray(0, 25), 'short.rnc')).toThrow(/truncated/);
    expect(() => unpackRnc(file.subarray(0, 10), 'tiny.rnc')).toThrow(/18-byte header/);
    const notRnc = file.slice();
    notRnc[0] = 0x58;
    expect(() => unpackRnc(notRnc, 'x.rnc')).toThrow(/magic/);
    const method2 = file.slice();
    method2[3] = 2;
    expect(() => unpackRnc(method2, 'm2.rnc')).toThrow(/method 2/);
  });
});
