import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RealClip, RealSourceError } from './clip.js';

/**
 * Reader for the English speech of the freeware adventure "Drascula: The Vampire Strikes Back" as the
 * Debian package `drascula` installs it for ScummVM:
 *
 * - `<root>/drascula/en/<PREFIX><n>.ALS`: one spoken line each, raw unsigned 8-bit mono PCM at 11,025 Hz.
 *   (The `.ALD` files beside them are XOR-0xFF-encoded room descriptions, `.ALG` pictures, `.BIN`
 *   animations, `.CAL` dialogue menus: none holds speech.)
 * - `<root>/drascula.dat`: ScummVM's engine data file, which carries the game's subtitles in every
 *   language. ScummVM plays `<PREFIX><n>.als` while showing entry `n` of the text table for that prefix,
 *   so that entry is the line's transcript.
 */
export const DRASCULA_ROOT = '/usr/share/scummvm';

const SAMPLE_RATE = 11_025;
/** ScummVM plays each `.ALS` from byte 32 and stops 32 bytes before its end: the edges are not speech. */
const EDGE_BYTES = 32;
/**
 * Digital silence at either end is cut down to this much (a quarter second): a few clips carry seconds of
 * padding. The English `3.ALS` starts with 6.7 s of it, which ScummVM skips in another release's copy.
 */
const KEEP_SILENCE = Math.round(SAMPLE_RATE / 4);

const DAT_MAGIC = 'DRASCULA';
/** The only layout this reader knows: ScummVM's `DRASCULA_DAT_VER`, the version the Debian package ships. */
const DAT_VERSION = 6;
/** Languages are stored in ScummVM's order: English, Spanish, German, French, Italian, … */
const ENGLISH = 0;
/** Each language's text block starts with this many bytes of padding (the engine's alignment, 4, minus 2). */
const BLOCK_PADDING = 2;

/**
 * The engine's fixed-size tables that precede the texts (each a big-endian u16 count, then the records):
 * only their sizes matter here, to step over them.
 */
const FIXED_TABLES: readonly { name: string; recordBytes: number }[] = [
  { name: 'character map', recordBytes: 4 },
  { name: 'item locations', recordBytes: 4 },
  { name: 'polygon coordinates', recordBytes: 4 },
  { name: 'verb bar', recordBytes: 2 },
  { name: 'menu coordinates', recordBytes: 4 },
  { name: 'frame offsets', recordBytes: 2 },
  { name: 'candle coordinates', recordBytes: 4 },
  { name: 'pianist frames', recordBytes: 2 },
  { name: 'drunk frames', recordBytes: 2 },
  { name: 'room pre-updates', recordBytes: 20 },
  { name: 'room updates', recordBytes: 20 },
  { name: 'room actions', recordBytes: 10 },
  { name: 'talk sequences', recordBytes: 8 },
];

/**
 * The text tables in file order, up to the last one that is spoken. (Five more follow: system messages,
 * the history slides, verbs, miscellaneous labels and lip-sync codes; none is voiced.)
 */
const SPEECH_TABLES = [
  'text',
  'textd',
  'textb',
  'textbj',
  'texte',
  'texti',
  'textl',
  'textp',
  'textt',
  'textvb',
] as const;
type SpeechTable = (typeof SPEECH_TABLES)[number];

/** Who says a line of the Drascula table: mostly the count, but the engine keeps a few other voices there. */
function drasculaTableSpeaker(n: number): string {
  if (n >= 56 && n <= 67) return 'hacker'; // the hero's side of the talk with the blind man
  if (n >= 68 && n <= 78) return 'blindman'; // the engine plays the blind man's lines from d68 on
  if (n === 82) return 'bartender';
  if (n === 83) return 'trunk'; // the voice from inside the trunk
  return 'drascula';
}

/**
 * File-name prefix → text table and speaker, as ScummVM's talk routines pair them. Prefixes not listed
 * are not speech: `S` files are sound effects, and no text table goes with the three `F` files.
 */
const VOICES: ReadonlyMap<string, { table: SpeechTable; speaker: (n: number) => string }> = new Map([
  ['', { table: 'text', speaker: () => 'hacker' }], // John Hacker, the hero
  ['D', { table: 'textd', speaker: drasculaTableSpeaker }],
  ['B', { table: 'textb', speaker: () => 'drunk' }],
  ['BJ', { table: 'textbj', speaker: () => 'bj' }],
  ['E', { table: 'texte', speaker: () => 'desiderio' }],
  ['I', { table: 'texti', speaker: () => 'igor' }],
  ['L', { table: 'textl', speaker: () => 'werewolf' }],
  ['P', { table: 'textp', speaker: () => 'pianist' }],
  ['T', { table: 'textt', speaker: () => 'bartender' }],
  ['VB', { table: 'textvb', speaker: () => 'vonbraun' }],
]);

const SPEECH_FILE = /^([a-z]*)(\d+)\.als$/i;

/** Yields every English line that has both a transcript and audio, in prefix then line order. */
export async function* readDrascula(root = DRASCULA_ROOT): AsyncGenerator<RealClip> {
  const datPath = join(root, 'drascula.dat');
  const texts = parseDrasculaDat(await readSource(datPath, 'the ScummVM Drascula data file'), datPath);
  const speechDir = join(root, 'drascula', 'en');
  for (const file of await listSpeechFiles(speechDir)) {
    const voice = VOICES.get(file.prefix);
    if (!voice) continue;
    const text = cleanText(texts.get(voice.table)?.[file.n] ?? '');
    if (!/[a-z]/i.test(text)) continue;
    const samples = alsToPcm(await readSource(join(speechDir, file.name), 'a speech clip'));
    if (samples.length === 0) continue;
    yield {
      id: `${file.prefix.toLowerCase()}${file.n}`,
      speaker: voice.speaker(file.n),
      text,
      audio: { kind: 'pcm', samples, sampleRate: SAMPLE_RATE },
    };
  }
}

/** Reads a whole file, turning "not there" into an error that says which file the reader needed. */
async function readSource(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'cannot be read';
    throw new RealSourceError(`${path} (${what}) ${reason}: ${(err as Error).message}`, path);
  }
}

interface SpeechFile {
  name: string;
  /** Upper case, e.g. `VB`; empty for the hero's numbered lines. */
  prefix: string;
  n: number;
}

/** The `.ALS` files of the English speech folder, sorted by their place in {@link VOICES}, then by number. */
async function listSpeechFiles(dir: string): Promise<SpeechFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new RealSourceError(
      `the English speech folder ${dir} cannot be listed (is the drascula package installed?): ` +
        (err as Error).message,
      dir,
    );
  }
  const files: SpeechFile[] = [];
  for (const name of names) {
    const m = SPEECH_FILE.exec(name);
    if (m) files.push({ name, prefix: m[1].toUpperCase(), n: Number(m[2]) });
  }
  if (files.length === 0) throw new RealSourceError(`no <prefix><n>.ALS speech files in ${dir}`, dir);
  const order = [...VOICES.keys()];
  const rank = (prefix: string) => (order.includes(prefix) ? order.indexOf(prefix) : order.length);
  return files.sort(
    (a, b) => rank(a.prefix) - rank(b.prefix) || a.prefix.localeCompare(b.prefix) || a.n - b.n,
  );
}

/**
 * Reads the English speech tables of a `drascula.dat`. Layout (all integers big-endian): the magic
 * `DRASCULA`, a version byte, the fixed tables of {@link FIXED_TABLES}, a u16 language count, then text
 * tables. A text table is a u16 entry count and, per language, a u16 block length and the block: two
 * padding bytes, then per entry a u16 length (counting itself) followed by the NUL-terminated string
 * and its padding.
 */
function parseDrasculaDat(bytes: Uint8Array, file: string): Map<SpeechTable, string[]> {
  const dat = new DatCursor(bytes, file);
  const magic = new TextDecoder('latin1').decode(dat.take(DAT_MAGIC.length, 'the magic'));
  if (magic !== DAT_MAGIC)
    throw new RealSourceError(
      `${file} is not a Drascula data file: bad magic ${JSON.stringify(magic)}`,
      file,
    );
  const version = dat.u8('the version');
  if (version !== DAT_VERSION)
    throw new RealSourceError(
      `${file} has data file version ${version}; this reader knows version ${DAT_VERSION}`,
      file,
    );
  for (const table of FIXED_TABLES) {
    const count = dat.u16(`the ${table.name} count`);
    dat.take(count * table.recordBytes, `the ${table.name} table (${count} records)`);
  }
  const languages = dat.u16('the language count');
  if (languages <= ENGLISH) throw new RealSourceError(`${file} holds no English texts (0 languages)`, file);

  const tables = new Map<SpeechTable, string[]>();
  for (const name of SPEECH_TABLES) {
    const count = dat.u16(`the ${name} entry count`);
    for (let lang = 0; lang < languages; lang++) {
      const length = dat.u16(`the ${name} block length (language ${lang})`);
      const block = dat.take(length, `the ${name} block (language ${lang})`);
      if (lang === ENGLISH) tables.set(name, splitTextBlock(block, count, `the ${name} table`, file));
    }
  }
  return tables;
}

/** Cuts one language's block into its strings, checking that the entries fill the block exactly. */
function splitTextBlock(block: Uint8Array, count: number, what: string, file: string): string[] {
  const corrupt = (problem: string) => new RealSourceError(`${file}: ${what} is corrupt: ${problem}`, file);
  const strings: string[] = [];
  let at = BLOCK_PADDING;
  for (let i = 0; i < count; i++) {
    if (at + 2 > block.length)
      throw corrupt(`entry ${i} of ${count} starts at byte ${at} of a ${block.length}-byte block`);
    const length = (block[at] << 8) | block[at + 1];
    if (length < 3 || at + length > block.length)
      throw corrupt(`entry ${i} claims ${length} bytes at byte ${at} of a ${block.length}-byte block`);
    const body = block.subarray(at + 2, at + length);
    const nul = body.indexOf(0);
    strings.push(decodeCp437(nul < 0 ? body : body.subarray(0, nul)));
    at += length;
  }
  if (at !== block.length)
    throw corrupt(`its ${count} entries end at byte ${at} of a ${block.length}-byte block`);
  return strings;
}

/** Sequential big-endian reads that name what was being read when the file ends too early. */
class DatCursor {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  take(length: number, what: string): Uint8Array {
    if (this.at + length > this.bytes.length)
      throw new RealSourceError(
        `${this.file} is truncated: ${what} needs ${length} bytes at offset ${this.at}, ` +
          `but the file is ${this.bytes.length} bytes`,
        this.file,
      );
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what)[0];
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return (b[0] << 8) | b[1];
  }
}

/**
 * The strings are in the DOS game's code page 437: bytes 0x80–0xAD are its accented letters and Spanish
 * punctuation. The English texts use one such byte, the É of "TOUPEÉ".
 */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡';

function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? ' ');
  return out;
}

/**
 * Removes what the subtitles show but the actor does not say: stage directions in parentheses, such as
 * the "(WHISTLE)" bleeping out a swear word. Words, case and punctuation stay as written.
 */
function cleanText(text: string): string {
  return text
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Turns an `.ALS` file into samples in [-1, 1]: drops the 32-byte edges ScummVM never plays, shortens
 * digital silence at either end to {@link KEEP_SILENCE}, and centres unsigned 8-bit values on 128.
 */
function alsToPcm(bytes: Uint8Array): Float32Array {
  const body = bytes.subarray(EDGE_BYTES, Math.max(EDGE_BYTES, bytes.length - EDGE_BYTES));
  const silent = (i: number) => Math.abs(body[i] - 128) <= 1;
  let first = 0;
  while (first < body.length && silent(first)) first++;
  if (first === body.length) return new Float32Array(0);
  let end = body.length;
  while (silent(end - 1)) end--;
  const start = Math.max(0, first - KEEP_SILENCE);
  const stop = Math.min(body.length, end + KEEP_SILENCE);
  const samples = new Float32Array(stop - start);
  for (let i = start; i < stop; i++) samples[i - start] = (body[i] - 128) / 128;
  return samples;
}
