import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RealSourceError, type RealClip } from './clip.js';
import { unpackRnc } from './rnc.js';

/**
 * Reader for the English speech of Beneath a Steel Sky (Revolution Software, 1994), the freeware CD
 * release (v0.0372) as Debian's `beneath-a-steel-sky` package installs it for ScummVM.
 *
 * The game keeps everything in `sky.dsk`, a concatenation of numbered items that `sky.dnr` indexes.
 * Each spoken line is one item (50000 + a running number), RNC-packed 8-bit unsigned PCM at 11,025 Hz
 * behind a 22-byte data-file header. Its words are the subtitle the game shows with it: a Huffman-coded
 * line in one of eight per-section text items, found from the same number the game uses to start the
 * speech. Who speaks is not stored with the line; the game scripts (items 60400+) tell it, through the
 * arguments of their "speak" calls, read together with the compact data in ScummVM's `sky.cpt`.
 */

export const SKY_ROOT = '/usr/share/scummvm/beneath-a-steel-sky';

const DIRECTORY_FILE = 'sky.dnr';
const DATA_FILE = 'sky.dsk';
const COMPACT_FILE = 'sky.cpt';

/** The speech's sample rate; the game plays every line at this rate (0.0368 had two exceptions, 0.0372 none). */
export const SKY_SAMPLE_RATE = 11_025;

/** Entries in sky.dnr of the CD release v0.0372, the only version whose text coding this reader knows. */
const CD_372_ITEMS = 5097;
const DIRECTORY_ENTRY_BYTES = 8;
/** Every item that is not stored raw starts with this header (eleven 16-bit words). */
const ITEM_HEADER_BYTES = 22;
/** Items past this length are not plausible in a 72 MB data file; guards against a corrupt directory. */
const MAX_ITEM_BYTES = 1 << 22;

// ---------------------------------------------------------------------------------------------
// The directory (sky.dnr) and the data file (sky.dsk)
// ---------------------------------------------------------------------------------------------

/** One item of sky.dsk as sky.dnr describes it. */
export interface SkyItem {
  item: number;
  /** Byte offset in sky.dsk. */
  offset: number;
  /** Bytes stored in sky.dsk (packed size when packed). */
  size: number;
  /** Stored as is: no data-file header, never packed. */
  raw: boolean;
  /** When packed, the unpacked item leaves out the data-file header. */
  headerless: boolean;
}

/**
 * Parses sky.dnr: a 32-bit little-endian count, then 8 bytes per item: the item number (16 bits),
 * a 24-bit offset field (bit 23 set: the low 23 bits count 16-byte units, else bytes) and a 24-bit
 * field holding the size (bits 0-21), "unpack without header" (bit 22) and "stored raw" (bit 23).
 */
export function parseSkyDirectory(bytes: Uint8Array, file: string): Map<number, SkyItem> {
  if (bytes.length < 4)
    throw new RealSourceError(
      `${DIRECTORY_FILE} is ${bytes.length} bytes, too short for its item count`,
      file,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const needed = 4 + count * DIRECTORY_ENTRY_BYTES;
  if (bytes.length < needed)
    throw new RealSourceError(
      `${DIRECTORY_FILE} is truncated: it lists ${count} items (${needed} bytes) but has ${bytes.length} bytes`,
      file,
    );
  if (count !== CD_372_ITEMS)
    throw new RealSourceError(
      `${DIRECTORY_FILE} lists ${count} items; only the CD release v0.0372 (${CD_372_ITEMS} items) is supported, ` +
        'as the text coding differs between versions',
      file,
    );
  const items = new Map<number, SkyItem>();
  for (let at = 4; at < needed; at += DIRECTORY_ENTRY_BYTES) {
    const item = view.getUint16(at, true);
    const where = uint24(bytes, at + 2);
    const flags = uint24(bytes, at + 5);
    const offset = where & 0x80_0000 ? (where & 0x7f_ffff) * 16 : where & 0x7f_ffff;
    // The game takes the first entry when a number repeats; so do we.
    if (!items.has(item))
      items.set(item, {
        item,
        offset,
        size: flags & 0x3f_ffff,
        raw: (flags & 0x80_0000) !== 0,
        headerless: (flags & 0x40_0000) !== 0,
      });
  }
  return items;
}

function uint24(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
}

/** Random access to the items of sky.dsk, unpacking RNC-packed ones. */
export class SkyDisk {
  private constructor(
    readonly items: Map<number, SkyItem>,
    private readonly handle: FileHandle,
    private readonly dataSize: number,
    /** Path of sky.dsk, named in errors. */
    readonly file: string,
  ) {}

  /** Opens `root`'s sky.dnr and sky.dsk; close() when done. */
  static async open(root: string): Promise<SkyDisk> {
    const directoryPath = join(root, DIRECTORY_FILE);
    const items = parseSkyDirectory(await readSourceFile(directoryPath), directoryPath);
    const dataPath = join(root, DATA_FILE);
    const info = await stat(dataPath).catch(() => null);
    if (!info?.isFile()) throw new RealSourceError(`${DATA_FILE} is missing`, dataPath);
    return new SkyDisk(items, await open(dataPath, 'r'), info.size, dataPath);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** The item's bytes exactly as stored. */
  async readStored(item: number): Promise<Uint8Array> {
    const entry = this.items.get(item);
    if (!entry) throw new RealSourceError(`${DATA_FILE} has no item ${item} in its directory`, this.file);
    if (entry.size > MAX_ITEM_BYTES || entry.offset + entry.size > this.dataSize)
      throw new RealSourceError(
        `${DATA_FILE} item ${item} lies outside the file (${entry.size} bytes at ${entry.offset}, file is ${this.dataSize})`,
        this.file,
      );
    const bytes = new Uint8Array(entry.size);
    const { bytesRead } = await this.handle.read(bytes, 0, entry.size, entry.offset);
    if (bytesRead !== entry.size)
      throw new RealSourceError(
        `${DATA_FILE} item ${item}: read ${bytesRead} of ${entry.size} bytes`,
        this.file,
      );
    return bytes;
  }

  /**
   * The item as the game uses it. A packed item (header flag bit 7, RNC data after the header) is
   * unpacked; the header's flag high byte and total-size word give the unpacked length to check.
   */
  async read(item: number): Promise<Uint8Array> {
    const stored = await this.readStored(item);
    const entry = this.items.get(item) as SkyItem;
    if (entry.raw || stored.length < ITEM_HEADER_BYTES || !(stored[0] & 0x80)) return stored;
    const packed = stored.subarray(ITEM_HEADER_BYTES);
    let unpacked: Uint8Array;
    try {
      unpacked = unpackRnc(packed, this.file);
    } catch (error) {
      if (error instanceof RealSourceError)
        throw new RealSourceError(`${DATA_FILE} item ${item}: ${error.message}`, this.file);
      throw error;
    }
    const expected = ((stored[1] << 16) | stored[12] | (stored[13] << 8)) >>> 0;
    const result = entry.headerless ? unpacked : concat(stored.subarray(0, ITEM_HEADER_BYTES), unpacked);
    if (result.length !== expected)
      throw new RealSourceError(
        `${DATA_FILE} item ${item} unpacked to ${result.length} bytes, its header says ${expected}`,
        this.file,
      );
    return result;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function readSourceFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RealSourceError(
      code === 'ENOENT' ? `${path} is missing` : `cannot read ${path}: ${code}`,
      path,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Text: per-section items, Huffman-coded lines
// ---------------------------------------------------------------------------------------------

/** English text of section s is item 60600 + s (other languages follow, 8 items each). */
const ENGLISH_TEXT_ITEM = 60600;
const TEXT_SECTIONS = 8;
const LINES_PER_BLOCK = 32;
/** No subtitle comes near this; a longer decode means the bit position is wrong. */
const MAX_LINE_CHARS = 1000;

/**
 * The Huffman code of v0.0372's text: [bits, character], the bits read most significant first from
 * each byte; character 0 ends a line. This is fixed data of the game engine, not stored in the data
 * files; it is taken from ScummVM's engines/sky/hufftext.cpp (_huffTree_00372; ScummVM, GPL-2.0-or-later),
 * rewritten as a code list. Its longest code maps to '!' (a second '!'; older trees have '|' there);
 * in the English text only one LINC screen line, which has no speech, uses it.
 */
// prettier-ignore
const TEXT_CODES_V372: readonly (readonly [string, string])[] = [
  ['000', ' '], ['0010', 'e'], ['0011', 'a'], ['01000', 'o'], ['01001', 's'], ['01010', 't'],
  ['01011', 'n'], ['01100', '.'], ['01101', 'i'], ['0111', 'r'], ['100000', '\0'], ['100001', 'E'],
  ['10001', 'u'], ['10010', 'm'], ['10011', 'A'], ['101000', 'l'], ['101001', 'I'], ['101010', 'd'],
  ['101011', 'R'], ['101100', 'N'], ['101101', 'S'], ['10111', 'T'], ['1100000', 'O'], ['1100001', 'h'],
  ['110001', 'c'], ['110010', 'D'], ['110011', 'g'], ['1101000', 'L'], ['1101001', 'C'],
  ['1101010', 'p'], ['1101011', 'U'], ['1101100', '!'], ['1101101', 'y'], ['110111', 'M'],
  ['11100000', 'P'], ['11100001', 'v'], ['1110001', 'H'], ['1110010', '?'], ['1110011', 'b'],
  ['11101000', "'"], ['11101001', 'f'], ['1110101', ','], ['1110110', 'G'], ['1110111', 'B'],
  ['111100000', 'V'], ['111100001', 'k'], ['11110001', 'F'], ['11110010', 'q'], ['11110011', 'w'],
  ['111101000', 'K'], ['111101001', '-'], ['11110101', 'W'], ['11110110', 'J'], ['11110111', '*'],
  ['111110000', 'z'], ['111110001', 'Y'], ['111110010', 'j'], ['111110011', '+'], ['1111101000', 'Q'],
  ['1111101001', '\x85'], ['111110101', ')'], ['1111101100', 'Z'], ['1111101101', '\x8b'],
  ['111110111', '<'], ['11111100000', '\x95'], ['11111100001', '~'], ['1111110001', '\x8a'],
  ['1111110010', '\x87'], ['1111110011', ':'], ['11111101000', '\x7f'], ['11111101001', ']'],
  ['1111110101', '#'], ['11111101100', 'x'], ['11111101101', 'X'], ['1111110111', '\x91'],
  ['111111100000', '\x88'], ['111111100001', '`'], ['11111110001', '2'], ['111111100100', '0'],
  ['111111100101', '\x83'], ['11111110011', '1'], ['111111101000', '/'], ['111111101001', '('],
  ['11111110101', '='], ['11111110110', '\x86'], ['11111110111', '^'], ['111111110000', '3'],
  ['111111110001', '9'], ['111111110010', '\x98'], ['111111110011', '4'], ['1111111101000', '}'],
  ['1111111101001', '8'], ['111111110101', '\\'], ['111111110110', '"'], ['111111110111', '\x90'],
  ['1111111110000', '&'], ['1111111110001', '\x8d'], ['1111111110010', '5'], ['1111111110011', '6'],
  ['1111111110100', '\x92'], ['1111111110101', '\x8f'], ['1111111110110', '\x8e'],
  ['1111111110111', '\x93'], ['11111111110000', '\x8c'], ['11111111110001', '7'],
  ['1111111111001', '\x80'], ['11111111110100', '\x81'], ['11111111110101', '\x99'],
  ['11111111110110', '$'], ['11111111110111', '@'], ['111111111110000', '['],
  ['111111111110001', '\x9a'], ['11111111111001', '_'], ['11111111111010', '>'],
  ['11111111111011', '\x96'], ['111111111111000', '\x82'], ['111111111111001', '%'],
  ['11111111111101', '\t'], ['111111111111100', '\x9c'], ['111111111111101', '\x97'],
  ['111111111111110', '{'], ['1111111111111110', '\x94'], ['1111111111111111', '!'],
];

/** The code as a binary tree: node n has children tree[2n] and tree[2n+1]; a leaf is stored as -(char + 1). */
const TEXT_TREE = buildTextTree(TEXT_CODES_V372);

function buildTextTree(codes: readonly (readonly [string, string])[]): Int16Array {
  const tree: number[] = [0, 0];
  for (const [bits, char] of codes) {
    let node = 0;
    for (let i = 0; i < bits.length; i++) {
      const slot = node * 2 + Number(bits[i]);
      if (i === bits.length - 1) tree[slot] = -(char.charCodeAt(0) + 1);
      else {
        if (tree[slot] === 0) {
          tree[slot] = tree.length / 2;
          tree.push(0, 0);
        }
        node = tree[slot];
      }
    }
  }
  return Int16Array.from(tree);
}

/**
 * One section's text item. Layout: a 16-bit offset of the line-length table, a 16-bit offset of the
 * coded text, then one 16-bit size per block of 32 lines (except the last block); the line-length
 * table holds one byte per line (bit 7 set: (low 7 bits) x 8). Sizes and lengths count 2-bit units,
 * so line n starts at 2 x (the sizes of the blocks before it + the lengths of the lines before it in
 * its block) bits into the coded text.
 */
export class SkyTextSection {
  readonly lineCount: number;
  private readonly lengthsAt: number;
  private readonly textAt: number;

  constructor(
    private readonly data: Uint8Array,
    /** Names the item in errors, e.g. "sky.dsk item 60602". */
    private readonly label: string,
    private readonly file: string,
  ) {
    if (data.length < 4) throw new RealSourceError(`${label}: text item is ${data.length} bytes`, file);
    this.lengthsAt = data[0] | (data[1] << 8);
    this.textAt = data[2] | (data[3] << 8);
    if (
      this.lengthsAt < 4 ||
      this.lengthsAt % 2 !== 0 ||
      this.textAt < this.lengthsAt ||
      this.textAt > data.length
    )
      throw new RealSourceError(
        `${label}: text header is inconsistent (lengths at ${this.lengthsAt}, text at ${this.textAt}, ${data.length} bytes)`,
        file,
      );
    const blocks = (this.lengthsAt - 4) / 2 + 1;
    this.lineCount = Math.min(this.textAt - this.lengthsAt, blocks * LINES_PER_BLOCK);
  }

  /** Line `n` as stored (no clean-up), or undefined when the section has no such line. */
  line(n: number): string | undefined {
    if (n < 0 || n >= this.lineCount) return undefined;
    const block = Math.floor(n / LINES_PER_BLOCK);
    let units = 0;
    for (let b = 0; b < block; b++) units += this.data[4 + 2 * b] | (this.data[5 + 2 * b] << 8);
    for (let i = block * LINES_PER_BLOCK; i < n; i++) {
      const length = this.data[this.lengthsAt + i];
      units += length & 0x80 ? (length & 0x7f) * 8 : length;
    }
    return this.decode(this.textAt * 8 + units * 2, n);
  }

  private decode(bit: number, n: number): string {
    const end = this.data.length * 8;
    let node = 0;
    let text = '';
    for (;;) {
      if (bit >= end)
        throw new RealSourceError(`${this.label}: text line ${n} runs past the end of the item`, this.file);
      const next = TEXT_TREE[node * 2 + ((this.data[bit >> 3] >> (7 - (bit & 7))) & 1)];
      bit++;
      if (next > 0) {
        node = next;
        continue;
      }
      if (next === 0)
        throw new RealSourceError(`${this.label}: text line ${n} holds an invalid code`, this.file);
      const char = -next - 1;
      if (char === 0) return text;
      text += String.fromCharCode(char);
      if (text.length > MAX_LINE_CHARS)
        throw new RealSourceError(
          `${this.label}: text line ${n} has no end within ${MAX_LINE_CHARS} characters`,
          this.file,
        );
      node = 0;
    }
  }
}

/**
 * Subtitle text as a transcript: the font draws '`' as an opening quote, so it becomes an apostrophe;
 * characters outside printable ASCII are font glyphs (0x80/0x81 frame a quotation in the copy-protection
 * text; accented letters of other languages) and are dropped; runs of spaces collapse. Capitals mark
 * emphasis in the game's text and are kept, as the source writes them.
 */
export function cleanSkyText(text: string): string {
  return text
    .replace(/`/g, "'")
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Pairing speech items with text lines
// ---------------------------------------------------------------------------------------------

/** Speech item numbers are 50000 + the line's running number. */
const SPEECH_ITEM_BASE = 50_000;
/**
 * First running number of each section's speech (the game's text-number-to-file table): text
 * number (section << 12 | line) is spoken by item 50000 + SPEECH_SECTION_START[section] + line.
 */
const SPEECH_SECTION_START = [0, 600, 1100, 2430, 3380, 4530, 5080, 5230] as const;
/** A text number keeps the line in its low 12 bits. */
const MAX_LINES_PER_SECTION = 4096;

/** Where a speech item's words are: section and line, or undefined when `item` is not speech. */
export function skySpeechLine(
  item: number,
): { section: number; line: number; textNumber: number } | undefined {
  const running = item - SPEECH_ITEM_BASE;
  if (running < 0) return undefined;
  let section = -1;
  for (let s = 0; s < SPEECH_SECTION_START.length; s++) if (SPEECH_SECTION_START[s] <= running) section = s;
  const line = running - SPEECH_SECTION_START[section];
  if (line >= MAX_LINES_PER_SECTION) return undefined;
  return { section, line, textNumber: (section << 12) | line };
}

// ---------------------------------------------------------------------------------------------
// Speakers: the game scripts' speak calls, read with the compact data (sky.cpt)
// ---------------------------------------------------------------------------------------------

/** Names and data words of ScummVM's compacts (the game's objects), by compact id. */
export interface SkyCompacts {
  names: Map<number, string>;
  data: Map<number, Uint16Array>;
}

/**
 * Parses sky.cpt (ScummVM's export of the compacts, format version 0): the number of data lists and
 * each list's length; the word counts of the raw and source data; the source data (per compact: a
 * size word, then if non-zero a type word and that many data words); the names, NUL-separated, in
 * the order of the non-empty compacts; then "dlinc" pairs (id, target id) for ids that alias another
 * compact, whose names follow. Compact id = list << 12 | index.
 */
export function parseSkyCompacts(bytes: Uint8Array, file: string): SkyCompacts {
  const reader = new WordReader(bytes, file);
  if (reader.u16() !== 0) throw new RealSourceError(`${COMPACT_FILE} has an unknown format version`, file);
  const listLengths = Array.from({ length: reader.u16() }, () => reader.u16());
  reader.u32(); // raw buffer size: the engine's allocation, not needed here
  const sourceWords = reader.u32();
  const sourceEnd = reader.offset + sourceWords * 2;
  const entries: { id: number; data: Uint16Array }[] = [];
  listLengths.forEach((length, list) => {
    for (let index = 0; index < length; index++) {
      const size = reader.u16();
      if (size === 0) continue;
      reader.u16(); // type
      entries.push({ id: (list << 12) | index, data: reader.words(size) });
    }
  });
  if (reader.offset !== sourceEnd)
    throw new RealSourceError(`${COMPACT_FILE}: compact data does not match its stated size`, file);
  const names = reader.strings(reader.u32());
  const data = new Map(entries.map((entry) => [entry.id, entry.data]));
  const nameOf = new Map(entries.map((entry, i) => [entry.id, names[i] ?? '']));
  const aliases = reader.u16();
  for (let i = 0; i < aliases; i++) {
    const id = reader.u16();
    const target = reader.u16();
    const targetData = data.get(target);
    if (targetData) data.set(id, targetData);
    nameOf.set(id, names[entries.length + i] ?? '');
  }
  if (names.length < entries.length + aliases)
    throw new RealSourceError(`${COMPACT_FILE}: fewer names than compacts`, file);
  return { names: nameOf, data };
}

/** Bounds-checked little-endian reads for the compact and script data. */
class WordReader {
  offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  private need(count: number): void {
    if (this.offset + count > this.bytes.length)
      throw new RealSourceError(`${this.file} is truncated at byte ${this.offset}`, this.file);
  }

  u16(): number {
    this.need(2);
    const value = this.bytes[this.offset] | (this.bytes[this.offset + 1] << 8);
    this.offset += 2;
    return value;
  }

  u32(): number {
    return this.u16() + this.u16() * 0x1_0000;
  }

  words(count: number): Uint16Array {
    this.need(count * 2);
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = this.u16();
    return out;
  }

  strings(byteCount: number): string[] {
    this.need(byteCount);
    const text = new TextDecoder('latin1').decode(this.bytes.subarray(this.offset, this.offset + byteCount));
    this.offset += byteCount;
    return text.split('\0');
  }
}

/** Script modules are items 60400 + module number. */
const SCRIPT_MODULE_ITEM = 60400;
const MAX_SCRIPT_MODULES = 16;
/** Script variable holding the id of the compact running the script. */
const VAR_CUR_ID = 12;
/** The game's speak functions (mcode numbers): speak_me, speak_me_dir, speak_wait, speak_wait_dir. */
const SPEAK_ME = 35;
const SPEAK_ME_DIR = 36;
const SPEAK_WAIT = 37;
const SPEAK_WAIT_DIR = 38;
/** ask_this(text, anim): adds a line to the player's conversation menu. */
const ASK_THIS = 70;
/** The compact holding the talk-animation table that speak calls index. */
const TALK_TABLE_ID = 0xbc;

/**
 * Script opcodes (push variable, push number, call, switch) and the operand words of each opcode;
 * push_variable and pop_variable operands are variable numbers x 4, call operands are the argument
 * count and the mcode number x 4.
 */
const OP_PUSH_VARIABLE = 0;
const OP_PUSH_NUMBER = 2;
const OP_CALL = 11;
const OP_SWITCH = 14;
const OPERAND_WORDS = [1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0, /* switch */ -1, 1, 1, 0, 1, 0, 0];

/** A pushed argument: a constant or a script variable. */
interface Argument {
  variable: boolean;
  value: number;
}

/** One speak call whose text is a constant. */
interface SpeakCall {
  mcode: number;
  speaker: Argument;
  text: number;
  anim: Argument;
  /** Module << 12 | script number: which script makes the call. */
  script: number;
}

/** What the scripts say about who speaks which text numbers. */
interface ScriptSpeech {
  calls: SpeakCall[];
  /** Texts offered in the player's conversation menus. */
  menuLines: Set<number>;
}

/** One decoded script instruction: its opcode and first two operand words (0 when absent). */
interface Instruction {
  at: number;
  op: number;
  first: number;
  second: number;
}

/**
 * The instructions of a script module in order. A module starts with its script count n and n word
 * offsets (script numbers start at 1); the code follows, one opcode word and its operands per
 * instruction; a switch carries its case count, that many (value, jump) pairs and a default jump.
 */
function* instructions(words: Uint16Array, module: number, file: string): Generator<Instruction> {
  for (let at = words[0] + 1; at < words.length;) {
    const op = words[at];
    const size = op === OP_SWITCH ? 2 + 2 * (words[at + 1] ?? 0) : OPERAND_WORDS[op];
    if (size === undefined)
      throw new RealSourceError(`script module ${module}: unknown opcode ${op} at word ${at}`, file);
    if (at + 1 + size > words.length)
      throw new RealSourceError(`script module ${module}: instruction at word ${at} runs past the end`, file);
    yield { at, op, first: size > 0 ? words[at + 1] : 0, second: size > 1 ? words[at + 2] : 0 };
    at += 1 + size;
  }
}

/**
 * Collects the speak calls and conversation-menu lines of every module. Arguments are pushed right
 * before a call, so a call's arguments are the instructions before it when those are pushes; calls
 * fed by computed values are left out.
 */
function readScripts(modules: Map<number, Uint16Array>, file: string): ScriptSpeech {
  const calls: SpeakCall[] = [];
  const menuLines = new Set<number>();
  for (const [module, words] of modules) {
    const starts = scriptStarts(words);
    const recent: Instruction[] = [];
    let script = 0;
    for (const instruction of instructions(words, module, file)) {
      while (script + 1 < starts.length && starts[script + 1].at <= instruction.at) script++;
      if (instruction.op === OP_CALL) {
        const args = pushedArguments(recent, instruction.first);
        const mcode = instruction.second / 4;
        const isSpeak = mcode >= SPEAK_ME && mcode <= SPEAK_WAIT_DIR;
        if (args?.length === 3 && isSpeak && !args[1].variable)
          calls.push({
            mcode,
            speaker: args[0],
            text: args[1].value,
            anim: args[2],
            script: (module << 12) | (starts[script]?.number ?? 0),
          });
        if (args?.length === 2 && mcode === ASK_THIS && !args[0].variable) menuLines.add(args[0].value);
      }
      recent.push(instruction);
      if (recent.length > 3) recent.shift();
    }
  }
  return { calls, menuLines };
}

/** The last `count` instructions as arguments, or undefined unless all of them are pushes. */
function pushedArguments(recent: Instruction[], count: number): Argument[] | undefined {
  if (count === 0 || recent.length < count) return undefined;
  const pushes = recent.slice(-count);
  if (!pushes.every((p) => p.op === OP_PUSH_NUMBER || p.op === OP_PUSH_VARIABLE)) return undefined;
  return pushes.map((p) =>
    p.op === OP_PUSH_VARIABLE ? { variable: true, value: p.first / 4 } : { variable: false, value: p.first },
  );
}

/** Script numbers sorted by where their code starts. */
function scriptStarts(words: Uint16Array): { number: number; at: number }[] {
  const starts: { number: number; at: number }[] = [];
  for (let number = 1; number <= words[0] && number < words.length; number++)
    starts.push({ number, at: words[number] });
  return starts.sort((a, b) => a.at - b.at);
}

/**
 * Talk animations named after their character: a speak call passes the animation, so when the
 * speaker is a variable (the person the player is talking to, or whoever runs the script) the
 * animation still tells who talks. Keyed by name prefix; labels match the compact names below.
 */
const TALK_ANIMATION_SPEAKERS: Record<string, string> = {
  anchor: 'anchor',
  anita: 'anita',
  barman: 'barman',
  bigfost: 'foster',
  big_f: 'foster',
  bigjobs: 'jobsworth',
  body: 'body',
  burke_normal: 'burke',
  dad: 'dad',
  dani: 'danielle',
  foreman: 'foreman',
  gal_speech: 'gallagher',
  gall: 'gallagher',
  joey: 'joey',
  ken: 'ken',
  lamb: 'lamb',
  medi: 'medi',
  monitor: 'monitor',
  radman: 'radman',
  skorl: 'skorlguard',
  smlfost: 'foster',
  smljobs: 'jobsworth',
  son: 'son',
  sc30_henri: 'henri',
  sc31_guard: 'guard',
  sc32_garden: 'gardener',
  sc32_vinc: 'vincent',
  sc36_babs: 'babs',
  sc36_col: 'colston',
  sc36_gal: 'gallagher',
  sc36_juke: 'jukebox',
  sc38_dani: 'danielle',
  sc42_clerk: 'clerk',
  sc42_dani: 'danielle',
  sc42_jdg: 'judge',
  sc42_jobs: 'jobsworth',
  sc42_judge: 'judge',
  sc42_pros: 'prosecution',
  sc81_dad: 'father',
  sc81_ken: 'ken',
  sc82_jobs: 'jobsworth',
  sc82_ken: 'ken',
  trevor: 'trevor',
  walter: 'walter',
};

/** A compact name as a speaker label: scene prefix (`sc42_`) and separators dropped. */
function speakerLabel(name: string): string | undefined {
  const label = name
    .toLowerCase()
    .replace(/^sc\d+_/, '')
    .replace(/[^a-z0-9]/g, '');
  return label || undefined;
}

/** The character a talk animation belongs to, by its longest matching name prefix. */
function animationSpeaker(name: string): string | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(TALK_ANIMATION_SPEAKERS))
    if (name.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  return best === undefined ? undefined : TALK_ANIMATION_SPEAKERS[best];
}

/**
 * Speaker per text number. Stated by the data, in order of trust:
 * 1. the call names the speaker's compact;
 * 2. speak_me_dir by the script's own compact: the engine only lets the player use it (Foster), and
 *    speak_me by the script's own compact in a script that also does that is Foster too;
 * 3. lines of the player's conversation menu are Foster's;
 * 4. otherwise, for speak_me / speak_wait (whose animation argument is the exact animation), the
 *    talk animation's name.
 * Texts whose evidence disagrees, or has none, get no entry (speaker unknown).
 */
function attributeSpeakers(speech: ScriptSpeech, compacts: SkyCompacts): Map<number, string> {
  const talkTable = compacts.data.get(TALK_TABLE_ID);
  const playerScripts = new Set(
    speech.calls
      .filter((c) => c.mcode === SPEAK_ME_DIR && c.speaker.variable && c.speaker.value === VAR_CUR_ID)
      .map((c) => c.script),
  );
  const stated = new Map<number, Set<string>>();
  const animated = new Map<number, Set<string>>();
  const add = (to: Map<number, Set<string>>, text: number, who: string | undefined): void => {
    if (!who) return;
    const known = to.get(text);
    if (known) known.add(who);
    else to.set(text, new Set([who]));
  };
  for (const call of speech.calls) {
    const runBySelf = call.speaker.variable && call.speaker.value === VAR_CUR_ID;
    if (!call.speaker.variable)
      add(stated, call.text, speakerLabel(compacts.names.get(call.speaker.value) ?? ''));
    else if (runBySelf && (call.mcode === SPEAK_ME_DIR || playerScripts.has(call.script)))
      add(stated, call.text, 'foster');
    else if ((call.mcode === SPEAK_ME || call.mcode === SPEAK_WAIT) && !call.anim.variable && talkTable) {
      const animation = compacts.names.get(talkTable[call.anim.value] ?? -1);
      add(animated, call.text, animation ? animationSpeaker(animation) : undefined);
    }
  }
  for (const text of speech.menuLines) add(stated, text, 'foster');
  const speakers = new Map<number, string>();
  for (const text of new Set([...stated.keys(), ...animated.keys()])) {
    const evidence = stated.get(text) ?? animated.get(text);
    if (evidence?.size === 1) speakers.set(text, [...evidence][0]);
  }
  return speakers;
}

// ---------------------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------------------

/** Everything the reader needs besides the audio, loaded once. */
interface SkyIndex {
  disk: SkyDisk;
  sections: SkyTextSection[];
  speakers: Map<number, string>;
}

async function loadIndex(root: string): Promise<SkyIndex> {
  const disk = await SkyDisk.open(root);
  try {
    const sections: SkyTextSection[] = [];
    for (let s = 0; s < TEXT_SECTIONS; s++) {
      const item = ENGLISH_TEXT_ITEM + s;
      sections.push(new SkyTextSection(await disk.read(item), `${DATA_FILE} item ${item}`, disk.file));
    }
    const modules = new Map<number, Uint16Array>();
    for (let m = 0; m < MAX_SCRIPT_MODULES && disk.items.has(SCRIPT_MODULE_ITEM + m); m++)
      modules.set(m, toWords(await disk.read(SCRIPT_MODULE_ITEM + m)));
    const compactPath = join(root, COMPACT_FILE);
    const compacts = parseSkyCompacts(await readSourceFile(compactPath), compactPath);
    const speakers = attributeSpeakers(readScripts(modules, disk.file), compacts);
    return { disk, sections, speakers };
  } catch (error) {
    await disk.close();
    throw error;
  }
}

function toWords(bytes: Uint8Array): Uint16Array {
  const words = new Uint16Array(bytes.length >> 1);
  for (let i = 0; i < words.length; i++) words[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return words;
}

/** Speech items in file order, with their text line. */
function speechItems(index: SkyIndex): { item: number; section: number; line: number; textNumber: number }[] {
  const items = [];
  for (const item of [...index.disk.items.keys()].sort((a, b) => a - b)) {
    const where = skySpeechLine(item);
    if (where) items.push({ item, ...where });
  }
  return items;
}

/** Unsigned 8-bit PCM (128 = silence) after the item header, scaled to [-1, 1). */
function decodeSpeech(bytes: Uint8Array, item: number, file: string): Float32Array {
  if (bytes.length <= ITEM_HEADER_BYTES)
    throw new RealSourceError(`${DATA_FILE} item ${item}: speech item has no samples`, file);
  const pcm = bytes.subarray(ITEM_HEADER_BYTES);
  const samples = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) samples[i] = (pcm[i] - 128) / 128;
  return samples;
}

/** Counts from the last full pass of readSky, for reporting. */
export interface SkyReadSummary {
  speechItems: number;
  clips: number;
  /** Speech items whose line is missing or has no words. */
  withoutText: number[];
}

/**
 * Yields every English speech line that has a subtitle: id `s<item>`, the character who speaks it
 * when the scripts tell (else `unknown`), the cleaned subtitle, and the samples at 11,025 Hz.
 * Speech items whose text line is absent or empty are skipped; `summary`, if given, receives the
 * counts once the pass completes.
 */
export async function* readSky(root = SKY_ROOT, summary?: SkyReadSummary): AsyncGenerator<RealClip> {
  const index = await loadIndex(root);
  try {
    const items = speechItems(index);
    const withoutText: number[] = [];
    let clips = 0;
    for (const { item, section, line, textNumber } of items) {
      const stored = index.sections[section].line(line);
      const text = stored === undefined ? '' : cleanSkyText(stored);
      if (!/[A-Za-z0-9]/.test(text)) {
        withoutText.push(item);
        continue;
      }
      const samples = decodeSpeech(await index.disk.read(item), item, index.disk.file);
      clips++;
      yield {
        id: `s${item}`,
        speaker: index.speakers.get(textNumber) ?? 'unknown',
        text,
        audio: { kind: 'pcm', samples, sampleRate: SKY_SAMPLE_RATE },
      };
    }
    if (summary) Object.assign(summary, { speechItems: items.length, clips, withoutText });
  } finally {
    await index.disk.close();
  }
}
