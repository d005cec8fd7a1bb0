// Splits a FLAC stream's audio into frames, the unit libFLAC decodes. A frame starts with a header
// (sync code 0xFFF8/0xFFF9, a few coded fields, CRC-8) and ends with a CRC-16 over the whole frame.
// Frames carry no length, so a frame ends where the next valid header begins *and* the CRC-16 of the
// bytes before it checks out; the last frame ends with the data. (RFC 9639, sections 9.1 and 9.3.)

export interface FlacFrames {
  /** Whole frames, in order: each passed both checks. */
  complete: Uint8Array[];
  /** Bytes after the last whole frame that do not form one (a cut-off file), or null. */
  partial: Uint8Array | null;
}

/** Splits `bytes` from `start`, the offset of the first frame (right after the metadata blocks). */
export function splitFlacFrames(bytes: Uint8Array, start: number): FlacFrames {
  const complete: Uint8Array[] = [];
  let frameStart = start;
  while (frameStart < bytes.length) {
    const headerLength = frameHeaderLength(bytes, frameStart);
    if (headerLength === null) break;
    // The CRC-16 of a frame including its own CRC is 0, so a running CRC that reaches 0 right
    // before a valid header marks the end of a frame.
    let crc = 0;
    let end = -1;
    let lastZero = -1;
    for (let i = frameStart; i < bytes.length; i++) {
      crc = ((crc << 8) ^ CRC16_TABLE[(crc >>> 8) ^ bytes[i]]) & 0xffff;
      if (crc !== 0 || i + 1 - frameStart < headerLength + 2) continue;
      lastZero = i + 1;
      if (i + 1 === bytes.length || frameHeaderLength(bytes, i + 1) !== null) {
        end = i + 1;
        break;
      }
    }
    // Bytes that are not a frame after the last one (a tag some tools append) end the stream; the
    // last frame is where the CRC last checked out.
    if (end < 0) end = lastZero;
    if (end < 0) break;
    complete.push(bytes.subarray(frameStart, end));
    frameStart = end;
  }
  const rest = bytes.subarray(frameStart);
  // What is left counts as a cut-off frame only if it starts like one; anything else is trailing data.
  return { complete, partial: frameHeaderLength(rest, 0) !== null ? rest : null };
}

/**
 * Length in bytes of the frame header at `at`, or null when there is no valid header there: the
 * sync code, no reserved values, a well-formed coded number and a matching CRC-8.
 */
export function frameHeaderLength(bytes: Uint8Array, at: number): number | null {
  if (at + 6 > bytes.length) return null;
  if (bytes[at] !== 0xff || (bytes[at + 1] & 0xfe) !== 0xf8) return null;
  const blockSizeBits = bytes[at + 2] >> 4;
  const sampleRateBits = bytes[at + 2] & 0x0f;
  const channelBits = bytes[at + 3] >> 4;
  const sampleSizeBits = (bytes[at + 3] >> 1) & 0x07;
  if (blockSizeBits === 0 || sampleRateBits === 0x0f || channelBits > 0x0a || (bytes[at + 3] & 1) !== 0) {
    return null;
  }
  if (sampleSizeBits === 3) return null;
  // Frame or sample number, UTF-8 style: the count of leading 1 bits is the byte count.
  let length = 4;
  const lead = bytes[at + 4];
  const extra = lead < 0x80 ? 0 : lead >= 0xc0 && lead <= 0xfe ? Math.clz32(~(lead << 24)) - 1 : -1;
  if (extra < 0) return null;
  for (let k = 1; k <= extra; k++) {
    if (at + 4 + k >= bytes.length || (bytes[at + 4 + k] & 0xc0) !== 0x80) return null;
  }
  length += 1 + extra;
  if (blockSizeBits === 6) length += 1;
  else if (blockSizeBits === 7) length += 2;
  if (sampleRateBits === 0x0c) length += 1;
  else if (sampleRateBits === 0x0d || sampleRateBits === 0x0e) length += 2;
  if (at + length >= bytes.length) return null;
  let crc = 0;
  for (let i = at; i < at + length; i++) crc = CRC8_TABLE[crc ^ bytes[i]];
  return crc === bytes[at + length] ? length + 1 : null;
}

// CRC-8 with polynomial x^8 + x^2 + x + 1 and CRC-16 with x^16 + x^15 + x^2 + 1, both starting at 0.
const CRC8_TABLE = crcTable(8, 0x07);
const CRC16_TABLE = crcTable(16, 0x8005);

function crcTable(bits: 8 | 16, poly: number): Uint16Array {
  const top = 1 << (bits - 1);
  const mask = (1 << bits) - 1;
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << (bits - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    table[n] = c;
  }
  return table;
}
