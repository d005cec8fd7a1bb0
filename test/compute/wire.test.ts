// The compute host's wire format: arrays cross intact and aligned, and every malformed message is one
// WireError naming its fault.
import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, WireError } from '../../src-main/compute/wire.js';

describe('wire messages', () => {
  it('round-trips a header and float32 and int32 arrays, each aligned', () => {
    // A header of odd length puts the first array after padding.
    const header = { op: 'gradients', lengths: [3, 1], note: 'ä' };
    const f = Float32Array.from([1.5, -2, Math.PI, 1e-30]);
    const i = Int32Array.from([0, -7, 2 ** 31 - 1]);
    const empty = new Float32Array(0);
    const bytes = encodeWire(header, [f, empty, i]);
    const { header: h, arrays } = decodeWire<typeof header>(bytes);
    expect(h).toEqual(header);
    expect(arrays).toHaveLength(3);
    expect(arrays[0]).toBeInstanceOf(Float32Array);
    expect([...arrays[0]]).toEqual([...f]);
    expect(arrays[1].length).toBe(0);
    expect(arrays[2]).toBeInstanceOf(Int32Array);
    expect([...arrays[2]]).toEqual([...i]);
    for (const a of arrays) expect(a.byteOffset % 4).toBe(0);
  });

  it('sends a subarray as its own values, not its whole buffer', () => {
    const whole = Float32Array.from([9, 1, 2, 9]);
    const { arrays } = decodeWire(encodeWire({}, [whole.subarray(1, 3)]));
    expect([...arrays[0]]).toEqual([1, 2]);
  });

  it('reads a message that arrives at an unaligned offset', () => {
    const bytes = encodeWire({ a: 1 }, [Float32Array.from([4, 5])]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const { arrays } = decodeWire(shifted.subarray(1));
    expect([...arrays[0]]).toEqual([4, 5]);
  });

  it('names the fault of each malformed message', () => {
    const good = encodeWire({ a: 1 }, [Float32Array.from([1, 2])]);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(2), /no header length/],
      [good.subarray(0, 6), /header of \d+ bytes in a message of 6/],
      [good.subarray(0, good.length - 4), /array 0 runs past the message's end/],
      [concat(good, new Uint8Array(4)), /4 bytes follow the last array/],
      [withHeader('not json'), /not JSON/],
      [withHeader('{"header":{}}'), /lists no arrays/],
      [withHeader('{"header":{},"arrays":[{"dtype":"float64","length":1}]}'), /array 0 has dtype float64/],
      [withHeader('{"header":{},"arrays":[{"dtype":"int32","length":-1}]}'), /array 0 has length -1/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeWire(bytes)).toThrow(WireError);
      expect(() => decodeWire(bytes)).toThrow(message);
    }
  });
});

function withHeader(text: string): Uint8Array {
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + head.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
