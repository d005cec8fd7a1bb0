import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Whole numbers packed as LEB128 varints (7 bits a byte, high bit = more follows), deflated and written as
 * base64, so a large table of mostly small numbers fits compactly in a JSON string. Deflate finds what
 * varints alone cannot: n-gram tables repeat the same few values (one child, a back-off weight of a
 * context with one continuation) over and over, and the columns shrink to a third to a fifth. Signed
 * values go through zig-zag coding first (0, −1, 1, −2 … → 0, 1, 2, 3 …).
 */

export class PackedNumbersError extends Error {
  override readonly name = 'PackedNumbersError';
}

/** Base64 of the deflated varints of `values` (each a whole number from 0 to 2³² − 1). */
export function packVarints(values: Iterable<number>): string {
  const bytes: number[] = [];
  for (const v of values) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff))
      throw new RangeError(`cannot pack ${v}: not a whole number from 0 to 2^32 - 1`);
    let x = v;
    while (x >= 0x80) {
      bytes.push((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    bytes.push(x);
  }
  return deflateRawSync(Buffer.from(bytes), { level: 9 }).toString('base64');
}

/** Exactly `count` numbers from `text`; `what` names the field in errors. */
export function unpackVarints(text: unknown, count: number, what: string): Float64Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new PackedNumbersError(`${what} is not a base64 string`);
  let bytes: Buffer;
  try {
    // A varint is at most 5 bytes; a larger output is not what the field claims to be.
    bytes = inflateRawSync(Buffer.from(text, 'base64'), { maxOutputLength: 5 * count + 1 });
  } catch (err) {
    throw new PackedNumbersError(`${what} does not inflate: ${(err as Error).message}`);
  }
  if (bytes.length < count) throw new PackedNumbersError(`${what} holds fewer than ${count} numbers`);
  const out = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new PackedNumbersError(`${what} holds ${i} numbers, not ${count}`);
      const b = bytes[at++];
      v += (b & 0x7f) * scale;
      scale *= 0x80;
      if (b < 0x80) break;
      if (scale >= 2 ** 35) throw new PackedNumbersError(`${what} has a number longer than five bytes`);
    }
    out[i] = v;
  }
  if (at !== bytes.length) throw new PackedNumbersError(`${what} holds more than ${count} numbers`);
  return out;
}

export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
