/**
 * The compute host's wire format: one binary WebSocket message per request or reply, carrying a JSON
 * header and the typed arrays it refers to, so weights, features and gradients cross without being
 * turned into text. Layout (little-endian):
 *
 *   u32 headerBytes │ header (UTF-8 JSON) │ pad to 4 │ array 0 │ array 1 │ …
 *
 * The header's `arrays` lists each array's dtype and length in order; every array starts on a 4-byte
 * boundary, so the receiver views them in place without copying.
 */
export type WireArray = Float32Array | Int32Array;

interface ArrayInfo {
  dtype: 'float32' | 'int32';
  length: number;
}

export interface WireMessage<H> {
  header: H;
  arrays: WireArray[];
}

export class WireError extends Error {}

const ALIGN = 4;

export function encodeWire<H>(header: H, arrays: readonly WireArray[] = []): Uint8Array {
  const infos: ArrayInfo[] = arrays.map((a) => ({
    dtype: a instanceof Float32Array ? 'float32' : 'int32',
    length: a.length,
  }));
  const head = new TextEncoder().encode(JSON.stringify({ header, arrays: infos }));
  const start = align(4 + head.length);
  const total = arrays.reduce((n, a) => n + a.byteLength, start);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let at = start;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

/** Reads a message; a malformed one (truncated, lying lengths, not JSON) is a WireError naming the fault. */
export function decodeWire<H>(bytes: Uint8Array): WireMessage<H> {
  if (bytes.byteLength < 4) throw new WireError(`a ${bytes.byteLength}-byte message has no header length`);
  // Arrays are viewed in place: they need a 4-byte aligned buffer of their own.
  const buf = bytes.byteOffset % ALIGN === 0 ? bytes : bytes.slice();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headBytes = view.getUint32(0, true);
  if (4 + headBytes > buf.byteLength)
    throw new WireError(`header of ${headBytes} bytes in a message of ${buf.byteLength}`);
  let parsed: { header: H; arrays: ArrayInfo[] };
  try {
    parsed = JSON.parse(new TextDecoder().decode(buf.subarray(4, 4 + headBytes))) as typeof parsed;
  } catch {
    throw new WireError('the header is not JSON');
  }
  if (parsed == null || typeof parsed !== 'object' || !Array.isArray(parsed.arrays))
    throw new WireError('the header lists no arrays');
  let at = align(4 + headBytes);
  const arrays = parsed.arrays.map((info, k) => {
    if (info.dtype !== 'float32' && info.dtype !== 'int32')
      throw new WireError(`array ${k} has dtype ${String(info.dtype)}`);
    if (!Number.isInteger(info.length) || info.length < 0)
      throw new WireError(`array ${k} has length ${String(info.length)}`);
    const bytesNeeded = info.length * 4;
    if (at + bytesNeeded > buf.byteLength)
      throw new WireError(`array ${k} runs past the message's end (${at + bytesNeeded} > ${buf.byteLength})`);
    const Ctor = info.dtype === 'float32' ? Float32Array : Int32Array;
    const a = new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset + at, info.length);
    at += bytesNeeded;
    return a;
  });
  if (at !== buf.byteLength) throw new WireError(`${buf.byteLength - at} bytes follow the last array`);
  return { header: parsed.header, arrays };
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
