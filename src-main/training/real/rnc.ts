import { RealSourceError } from './clip.js';

/**
 * Decompressor for Rob Northen's "RNC" ProPack method 1, the packer many 1990s games (Beneath a Steel
 * Sky among them) used for their data files.
 *
 * Layout of a packed block: an 18-byte big-endian header (`RNC` + method byte 1, unpacked length,
 * packed length, CRC-16 of the unpacked data, CRC-16 of the packed data, a leeway byte and the number
 * of blocks), then the packed data. The packed data interleaves a bit stream, read least significant
 * bit first from 16-bit little-endian words, with runs of literal bytes that sit byte-aligned in the
 * same input, right after the last word the bit stream has consumed. Each block starts with three
 * Huffman tables (literal-run lengths, match distances, match lengths) and a 16-bit count of steps;
 * every step copies a literal run and, except for the block's last step, then copies a match from
 * the output already written.
 */

/** The fixed part of every RNC method 1 block. */
export interface RncHeader {
  unpackedLength: number;
  packedLength: number;
  unpackedCrc: number;
  packedCrc: number;
  /** How far the unpacked data may overlap the packed data when unpacking in place (unused here). */
  leeway: number;
  blocks: number;
}

export const RNC_HEADER_LENGTH = 18;
const RNC_MAGIC = [0x52, 0x4e, 0x43]; // "RNC"
const RNC_METHOD_1 = 1;
/** Each Huffman table in the stream has at most this many symbols (a 5-bit count, capped by the packer). */
const MAX_TABLE_SYMBOLS = 16;
/**
 * The last word of the bit stream may be cut short (odd packed lengths) or absent when its bits are
 * not needed: the original unpacker reads ahead and never notices. Reads that far past the end yield
 * zero bits; the output length and CRC checks catch any stream that really depends on them.
 */
const OVERRUN_ALLOWANCE = 2;
/** Matches are never shorter than this; the length table codes the excess. */
const MIN_MATCH = 2;

/** True when `data` starts with the RNC magic (any method). */
export function isRnc(data: Uint8Array): boolean {
  return data.length >= 3 && RNC_MAGIC.every((byte, i) => data[i] === byte);
}

/** Reads and checks the 18-byte header; `file` names the source in errors. */
export function readRncHeader(data: Uint8Array, file: string): RncHeader {
  if (data.length < RNC_HEADER_LENGTH)
    throw new RealSourceError(`RNC data is ${data.length} bytes, shorter than its 18-byte header`, file);
  if (!isRnc(data)) throw new RealSourceError('RNC data does not start with the "RNC" magic', file);
  if (data[3] !== RNC_METHOD_1)
    throw new RealSourceError(`RNC method ${data[3]} is not supported (only method 1)`, file);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    unpackedLength: view.getUint32(4),
    packedLength: view.getUint32(8),
    unpackedCrc: view.getUint16(12),
    packedCrc: view.getUint16(14),
    leeway: data[16],
    blocks: data[17],
  };
}

/** The CRC-16 RNC uses (reflected polynomial 0xA001, initial value 0), table-driven for speed. */
const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
}

/** CRC-16 of `bytes` as stored in RNC headers. */
export function rncCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

/**
 * Unpacks one RNC method 1 block (header included in `data`). Checks both CRCs and every bound, so
 * corrupt input raises RealSourceError naming `file` rather than producing garbage audio.
 */
export function unpackRnc(data: Uint8Array, file: string): Uint8Array {
  const header = readRncHeader(data, file);
  const end = RNC_HEADER_LENGTH + header.packedLength;
  if (end > data.length)
    throw new RealSourceError(
      `RNC data is truncated: header promises ${header.packedLength} packed bytes, ${data.length - RNC_HEADER_LENGTH} present`,
      file,
    );
  const packed = data.subarray(RNC_HEADER_LENGTH, end);
  if (rncCrc(packed) !== header.packedCrc)
    throw new RealSourceError('RNC packed-data CRC does not match', file);
  const out = new Uint8Array(header.unpackedLength);
  const written = decodeBlocks(new BitInput(packed, file), out, header.blocks, file);
  if (written !== out.length)
    throw new RealSourceError(`RNC data unpacked to ${written} bytes, header says ${out.length}`, file);
  if (rncCrc(out) !== header.unpackedCrc)
    throw new RealSourceError('RNC unpacked-data CRC does not match', file);
  return out;
}

/** Runs the block loop; returns how many bytes were written. */
function decodeBlocks(input: BitInput, out: Uint8Array, blocks: number, file: string): number {
  input.bits(2); // two flag bits (lock and key); unpacking ignores them
  let pos = 0;
  const literalTable = new HuffmanTable();
  const distanceTable = new HuffmanTable();
  const lengthTable = new HuffmanTable();
  for (let block = 0; block < blocks; block++) {
    literalTable.read(input);
    distanceTable.read(input);
    lengthTable.read(input);
    const steps = input.bits(16);
    for (let step = steps; step > 0; step--) {
      const run = literalTable.value(input);
      if (run > 0) {
        if (pos + run > out.length)
          throw new RealSourceError('RNC literal run overflows the unpacked length', file);
        input.copyBytes(out, pos, run);
        pos += run;
      }
      if (step === 1) break; // a block's last step carries literals only
      const distance = distanceTable.value(input) + 1;
      const length = lengthTable.value(input) + MIN_MATCH;
      if (distance > pos) throw new RealSourceError('RNC match refers before the start of the output', file);
      if (pos + length > out.length)
        throw new RealSourceError('RNC match overflows the unpacked length', file);
      // Byte by byte on purpose: a match may overlap the bytes it produces (distance < length).
      for (let i = 0; i < length; i++, pos++) out[pos] = out[pos - distance];
    }
  }
  return pos;
}

/**
 * The packed stream: bits are taken least significant first from 16-bit little-endian words, loaded
 * only when the bits held run out, so that the next unread byte is always where a literal run starts.
 */
class BitInput {
  private buffer = 0;
  private held = 0;
  private offset = 0;

  constructor(
    private readonly data: Uint8Array,
    /** Named in errors. */
    readonly file: string,
  ) {}

  /** Takes `count` (0–16) bits. */
  bits(count: number): number {
    while (this.held < count) {
      if (this.offset >= this.data.length + OVERRUN_ALLOWANCE)
        throw new RealSourceError('RNC bit stream runs past its data', this.file);
      this.buffer |= (this.byte(this.offset) | (this.byte(this.offset + 1) << 8)) << this.held;
      this.offset += 2;
      this.held += 16;
    }
    const value = this.buffer & ((1 << count) - 1);
    this.buffer >>>= count;
    this.held -= count;
    return value;
  }

  /** Bytes past the end read as 0: the packer may end the stream inside a word it never wrote out. */
  private byte(at: number): number {
    return at < this.data.length ? this.data[at] : 0;
  }

  /** Copies a literal run straight from the input; the bits already held stay valid. */
  copyBytes(out: Uint8Array, at: number, count: number): void {
    if (this.offset + count > this.data.length)
      throw new RealSourceError('RNC literal run runs past its data', this.file);
    out.set(this.data.subarray(this.offset, this.offset + count), at);
    this.offset += count;
  }
}

/**
 * One of a block's canonical Huffman tables. The stream gives a 5-bit symbol count and a 4-bit code
 * length per symbol (0 = unused); codes are assigned in order of length, then symbol, and are sent
 * most significant bit first. A symbol `s` >= 2 stands for a number with `s - 1` extra bits below an
 * implicit leading 1, so the tables stay small whatever the range of values.
 */
class HuffmanTable {
  /** countOfLength[n]: how many symbols have an n-bit code. */
  private readonly countOfLength = new Uint16Array(17);
  /** Symbols sorted by code length, then by symbol. */
  private readonly sorted = new Uint8Array(MAX_TABLE_SYMBOLS);
  private symbols = 0;

  /** Reads the table; a count of 0 keeps the previous block's table, as the original unpacker does. */
  read(input: BitInput): void {
    const symbols = input.bits(5);
    if (symbols === 0) return;
    if (symbols > MAX_TABLE_SYMBOLS)
      throw new RealSourceError(`RNC Huffman table has ${symbols} symbols (at most 16)`, input.file);
    const lengths = new Uint8Array(symbols);
    for (let s = 0; s < symbols; s++) lengths[s] = input.bits(4);
    this.countOfLength.fill(0);
    for (const length of lengths) this.countOfLength[length]++;
    this.countOfLength[0] = 0;
    let next = 0;
    for (let length = 1; length <= 16; length++)
      for (let s = 0; s < symbols; s++) if (lengths[s] === length) this.sorted[next++] = s;
    this.symbols = next;
  }

  /** Decodes one symbol and its extra bits. */
  value(input: BitInput): number {
    const symbol = this.symbol(input);
    return symbol < 2 ? symbol : (1 << (symbol - 1)) | input.bits(symbol - 1);
  }

  /** Canonical decoding one bit at a time: the code is compared with the range of each length. */
  private symbol(input: BitInput): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let length = 1; length <= 16; length++) {
      code |= input.bits(1);
      const count = this.countOfLength[length];
      if (code - first < count) return this.sorted[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new RealSourceError(
      this.symbols === 0
        ? 'RNC stream uses an empty Huffman table'
        : 'RNC stream holds an invalid Huffman code',
      input.file,
    );
  }
}
