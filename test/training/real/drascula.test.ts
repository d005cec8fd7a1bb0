import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealClip, RealSourceError } from '../../../src-main/training/real/clip.js';
import { DRASCULA_ROOT, readDrascula } from '../../../src-main/training/real/drascula.js';

const SR = 11_025;

async function collect(root: string): Promise<RealClip[]> {
  const clips: RealClip[] = [];
  for await (const clip of readDrascula(root)) clips.push(clip);
  return clips;
}

/** Runs the reader to the end and returns the RealSourceError it must throw. */
async function failure(root: string): Promise<RealSourceError> {
  try {
    await collect(root);
  } catch (err) {
    expect(err).toBeInstanceOf(RealSourceError);
    return err as RealSourceError;
  }
  throw new Error(`reading ${root} did not fail`);
}

function samplesOf(clip: RealClip): Float32Array {
  if (clip.audio.kind !== 'pcm') throw new Error(`${clip.id} is not PCM`);
  return clip.audio.samples;
}

// --- A small drascula.dat, written from the documented layout -------------------------------------------

const TABLE_ORDER = [
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
];
const FIXED_RECORD_BYTES = [4, 4, 4, 2, 4, 2, 4, 2, 2, 20, 20, 10, 8];

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** A language's block: 2 padding bytes, then per string its length (counting itself), text, NUL, padding. */
function textBlock(strings: string[]): Buffer {
  const parts: Uint8Array[] = [Buffer.alloc(2)];
  for (const s of strings) {
    const body = Buffer.from(`${s}\0`, 'latin1');
    const pad = 4 - ((body.length + 2) % 4);
    parts.push(u16(body.length + pad + 2), body, Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

interface DatOptions {
  magic?: string;
  version?: number;
}

/**
 * English texts by table name, plus a second language (every string prefixed "ES ") so that a reader
 * taking the wrong language is caught. The first fixed table holds two records to step over.
 */
function datFile(english: Record<string, string[]>, { magic = 'DRASCULA', version = 6 }: DatOptions = {}) {
  const parts: Uint8Array[] = [Buffer.from(magic, 'latin1'), Buffer.from([version])];
  FIXED_RECORD_BYTES.forEach((bytes, i) => {
    const count = i === 0 ? 2 : 0;
    parts.push(u16(count), Buffer.alloc(count * bytes, 7));
  });
  parts.push(u16(2));
  for (const name of TABLE_ORDER) {
    const strings = english[name] ?? [''];
    parts.push(u16(strings.length));
    for (const lang of [strings, strings.map((s) => (s ? `ES ${s}` : s))]) {
      const block = textBlock(lang);
      parts.push(u16(block.length), block);
    }
  }
  return Buffer.concat(parts);
}

/** A `.ALS` as the game ships it: 32 bytes of edge either side of the samples. */
const als = (body: number[]) => Buffer.from([...Array(32).fill(128), ...body, ...Array(32).fill(128)]);

/** Entries 0..n-1 with the given ones filled in. */
function table(n: number, entries: Record<number, string>): string[] {
  return Array.from({ length: n }, (_, i) => entries[i] ?? '');
}

let tmp: string;
let cases = 0;

/** A fresh install root holding `drascula.dat` and `drascula/en/<files>`. */
function install(
  dat: Uint8Array | null,
  files: Record<string, Uint8Array> = { '1.ALS': als([0, 255]) },
): string {
  const root = join(tmp, `root-${cases++}`);
  const en = join(root, 'drascula', 'en');
  mkdirSync(en, { recursive: true });
  if (dat) writeFileSync(join(root, 'drascula.dat'), dat);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(en, name), bytes);
  return root;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'attune-drascula-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readDrascula on a made-up install', () => {
  const texts = {
    text: table(6, {
      1: 'HELLO THERE',
      2: 'I HOPE SOMEONE F...(WHISTLE) YOU  (WHISTLE TWICE)',
      3: 'WEARS A TOUPE\x90  HE SURE IS',
      4: '...',
      5: '(SIGH)',
    }),
    textd: table(84, { 1: 'I AM THE COUNT', 2: 'SHORT', 57: 'HOW DO YOU KNOW?', 70: 'HI FOREIGNER' }),
    textvb: table(4, { 2: 'GET OUT!!', 3: 'NO' }),
  };

  it('pairs each file prefix with its text table and speaker, and scales the samples to [-1, 1]', async () => {
    const root = install(datFile(texts), {
      '1.ALS': als([0, 64, 128, 192, 255]),
      'D1.ALS': als([100]),
      'D57.ALS': als([100]),
      'D70.ALS': als([100]),
      'VB2.ALS': als([100]),
      'vb3.als': als([100]),
      'D2.ALS': Buffer.alloc(64, 128), // nothing between the edges
      '6.ALS': als([100]), // no text
      'S1.ALS': als([100]), // a sound effect
      'F1.ALS': als([100]),
      '1.ALD': Buffer.from('room data'),
    });
    const clips = await collect(root);
    expect(clips.map((c) => [c.id, c.speaker, c.text])).toEqual([
      ['1', 'hacker', 'HELLO THERE'],
      ['d1', 'drascula', 'I AM THE COUNT'],
      ['d57', 'hacker', 'HOW DO YOU KNOW?'],
      ['d70', 'blindman', 'HI FOREIGNER'],
      ['vb2', 'vonbraun', 'GET OUT!!'],
      ['vb3', 'vonbraun', 'NO'],
    ]);
    expect(clips[0].audio).toEqual({
      kind: 'pcm',
      samples: Float32Array.from([-1, -0.5, 0, 0.5, 127 / 128]),
      sampleRate: SR,
    });
  });

  it('removes stage directions, decodes code page 437 and skips lines with no words', async () => {
    const files = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`${n}.ALS`, als([100])]));
    const clips = await collect(install(datFile(texts), files));
    expect(clips.map((c) => [c.id, c.text])).toEqual([
      ['1', 'HELLO THERE'],
      ['2', 'I HOPE SOMEONE F... YOU'],
      ['3', 'WEARS A TOUPEÉ HE SURE IS'],
    ]);
  });

  it('shortens digital silence at the ends to a quarter second and skips silent clips', async () => {
    const second = Array(SR).fill(128);
    const clips = await collect(
      install(datFile(texts), { '1.ALS': als([...second, 0, 255, ...second]), '2.ALS': als(second) }),
    );
    expect(clips.map((c) => c.id)).toEqual(['1']);
    const samples = samplesOf(clips[0]);
    const keep = Math.round(SR / 4);
    expect(samples.length).toBe(keep + 2 + keep);
    expect([samples[keep], samples[keep + 1]]).toEqual([-1, 127 / 128]);
  });

  it('names a missing drascula.dat', async () => {
    const root = install(null);
    const err = await failure(root);
    expect(err.file).toBe(join(root, 'drascula.dat'));
    expect(err.message).toMatch(/drascula\.dat.*missing/);
  });

  it('names a missing or empty speech folder', async () => {
    const root = install(datFile(texts));
    rmSync(join(root, 'drascula'), { recursive: true });
    expect((await failure(root)).file).toBe(join(root, 'drascula', 'en'));
    const empty = install(datFile(texts), {});
    const err = await failure(empty);
    expect(err.file).toBe(join(empty, 'drascula', 'en'));
    expect(err.message).toMatch(/no .*\.ALS/);
  });

  it('rejects a file with the wrong magic or version', async () => {
    const magic = install(datFile(texts, { magic: 'DRASCULX' }));
    expect((await failure(magic)).message).toMatch(/bad magic "DRASCULX"/);
    const version = install(datFile(texts, { version: 7 }));
    const err = await failure(version);
    expect(err.message).toMatch(/version 7.*version 6/);
    expect(err.file).toBe(join(version, 'drascula.dat'));
  });

  it('names the file and the table when drascula.dat is cut short anywhere', async () => {
    const whole = datFile({ text: ['', 'HELLO THERE'], textvb: ['', 'GET OUT!!'] });
    const root = install(whole);
    const dat = join(root, 'drascula.dat');
    for (let length = 0; length < whole.length; length++) {
      writeFileSync(dat, whole.subarray(0, length));
      const err = await failure(root);
      expect(err.file).toBe(dat);
      expect(err.message).toMatch(/drascula\.dat is truncated: the .+ needs \d+ bytes at offset/);
    }
  });

  it('rejects text entries that overrun or underfill their block', async () => {
    const whole = datFile({ text: ['', 'HELLO THERE'] });
    // English comes first, so the first copy of the line is the English one; its length field precedes it.
    const start = whole.indexOf(Buffer.from('HELLO THERE', 'latin1')) - 2;
    const overrun = Buffer.from(whole);
    overrun.writeUInt16BE(200, start); // the entry claims more bytes than its block holds
    const err = await failure(install(overrun));
    expect(err.message).toMatch(/the text table is corrupt: entry 1 claims 200 bytes/);

    const extra = Buffer.from(whole);
    extra.writeUInt16BE(extra.readUInt16BE(start) - 4, start); // entries now end before the block does
    expect((await failure(install(extra))).message).toMatch(/the text table is corrupt: .* end at byte/);
  });
});

// Skipped where the Debian package `drascula` (with ScummVM's drascula.dat) is not installed.
const installed =
  existsSync(join(DRASCULA_ROOT, 'drascula.dat')) && existsSync(join(DRASCULA_ROOT, 'drascula', 'en'));

describe.skipIf(!installed)('readDrascula on the installed game', () => {
  interface Seen {
    speaker: string;
    text: string;
    seconds: number;
  }
  const byId = new Map<string, Seen>();
  let seconds = 0;
  let lowest = 0;
  let highest = 0;
  const rates = new Set<number>();

  beforeAll(async () => {
    for await (const clip of readDrascula()) {
      const samples = samplesOf(clip);
      expect(byId.has(clip.id), `duplicate id ${clip.id}`).toBe(false);
      byId.set(clip.id, { speaker: clip.speaker, text: clip.text, seconds: samples.length / SR });
      if (clip.audio.kind === 'pcm') rates.add(clip.audio.sampleRate);
      seconds += samples.length / SR;
      for (const s of samples) {
        if (s < lowest) lowest = s;
        if (s > highest) highest = s;
      }
    }
  });

  it('yields about 740 English lines, some 45 minutes', () => {
    // Measured on drascula 1.0+ds4-2: 742 clips, 44.9 minutes.
    expect(byId.size).toBeGreaterThanOrEqual(735);
    expect(byId.size).toBeLessThanOrEqual(750);
    expect(seconds / 60).toBeGreaterThan(43);
    expect(seconds / 60).toBeLessThan(47);
  });

  it('gives clips the lines a speech recogniser heard in them', () => {
    // Each was decoded with pocketsphinx and picked out of its neighbouring lines by a grammar decoder.
    const expected: Record<string, [string, string]> = {
      '1': ['hacker', "THAT'S THE SECOND BIGGEST DOOR I'VE SEEN IN MY LIFE"],
      '233': [
        'hacker',
        'AND SO TELL ME YOU ERUDITE PHILOSOPHER, IS THERE ANY RELATIONSHIP CAUSE-AND-EFFECT BETWEEN SILLY AND BILLY?',
      ],
      '296': ['hacker', 'I HOPE SOMEONE F... YOU...,AND YOUR F... SON OF'],
      '373': ['hacker', 'WELL, THANKS AND GOODBYE. HOPE YOU SLEEP IT OFF JUST FINE'],
      d3: [
        'drascula',
        'IGOR LISTEN CAREFULLY MAN, WE ARE GOING TO START WITH PHASE NUMBER ONE OF MY PLAN TO CONQUER THE WORLD',
      ],
      d63: [
        'hacker',
        "I'M JOHN HACKER. YOU MUST BE ONE OF THOSE CHARACTERS WHO WILL HELP ME OUT IN EXCHANGE FOR AN OBJECT. AREN'T YOU? EH? AREN'T YOU?",
      ],
      d70: ['blindman', "AND I'M NOT KIDDING YOU BUT YOURS LOOK LIKE WOODY ALLEN'S"],
      d82: ['bartender', 'NOTHING, NOTHING AT ALL'],
      b7: [
        'drunk',
        "WELL, HE CAME BACK JUST A LITTLE. IF ONLY VON BRAUN HADN'T SCREWED THINGS UP MY UNCLE WOULD BE DRINKING WITH US NOW",
      ],
      bj2: ['bj', "NO, MY NAME IS BILLIE JEAN, BUT YOU CAN CALL ME B.J. IT'S SHORTER"],
      e8: ['desiderio', "I'M DESIDERIO, AND I CAN HELP YOU WITH ANYTHING YOU NEED"],
      i14: [
        'igor',
        "I'M IGOR, THE VALET. YOU CAN START WITH THE BALL ROOM. THERE'S BEEN A SUPER NATURAL ORGY IN THERE YESTERDAY AND IT LOOKS LIKE SHIT",
      ],
      l5: ['werewolf', 'YOU ARE NOT GETTING THROUGH'],
      p7: [
        'pianist',
        "I'M SORRY. THE PIANIST TRADE UNION DOESN'T ALLOW ME TO SAVE GIRLS FROM VAMPIRES' CLUTCHES",
      ],
      t2: ['bartender', 'OK. ROOM 512. UPSTAIRS. THE KEY IS UNDER THE DOOR'],
      vb58: ['vonbraun', "ARE YOU JOHN HACKER? I'M DOCTOR VON BRAUN"],
    };
    for (const [id, [speaker, text]] of Object.entries(expected)) {
      expect(byId.get(id), id).toMatchObject({ speaker, text });
    }
  });

  it('labels every clip with one of the game characters and a plain id', () => {
    const speakers = new Set([...byId.values()].map((c) => c.speaker));
    expect([...speakers].sort()).toEqual(
      [
        'bartender',
        'bj',
        'blindman',
        'desiderio',
        'drascula',
        'drunk',
        'hacker',
        'igor',
        'pianist',
        'trunk',
        'vonbraun',
        'werewolf',
      ].sort(),
    );
    for (const id of byId.keys()) expect(id).toMatch(/^[a-z0-9]+$/);
    // Sound effects (S) and the unplayed F files are not speech.
    expect([...byId.keys()].filter((id) => /^[sf]\d/.test(id))).toEqual([]);
  });

  it('returns 11,025 Hz samples in [-1, 1] with the long silence of 3.ALS cut', () => {
    expect([...rates]).toEqual([SR]);
    expect(lowest).toBeGreaterThanOrEqual(-1);
    expect(highest).toBeLessThanOrEqual(1);
    expect(highest - lowest).toBeGreaterThan(1.5);
    for (const [id, clip] of byId) expect(clip.seconds, id).toBeGreaterThan(0.3);
    // The file holds 13.2 s, 6.7 s of it leading silence.
    expect(byId.get('3')!.seconds).toBeLessThan(6);
  });

  it('names a truncated copy of the installed drascula.dat', async () => {
    const whole = readFileSync(join(DRASCULA_ROOT, 'drascula.dat'));
    const root = install(whole.subarray(0, Math.floor(whole.length / 2)));
    const err = await failure(root);
    expect(err.file).toBe(join(root, 'drascula.dat'));
    expect(err.message).toMatch(/truncated: the textd block \(language \d\) needs \d+ bytes/);
  });
});
