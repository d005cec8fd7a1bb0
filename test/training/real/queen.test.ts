import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealSourceError, type RealClip } from '../../../src-main/training/real/clip.js';
import { QUEEN_ROOT, indexQueen, readQueen } from '../../../src-main/training/real/queen.js';

const tmp = mkdtempSync(join(tmpdir(), 'attune-queen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh game folder holding `queen.1c` with these bytes. */
function gameDir(bytes: Uint8Array): string {
  const dir = join(tmp, `game${dirCount++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'queen.1c'), bytes);
  return dir;
}

async function collect(root: string): Promise<RealClip[]> {
  const clips: RealClip[] = [];
  for await (const clip of readQueen(root)) clips.push(clip);
  return clips;
}

async function failure(root: string): Promise<RealSourceError> {
  try {
    await collect(root);
  } catch (e) {
    expect(e).toBeInstanceOf(RealSourceError);
    return e as RealSourceError;
  }
  throw new Error('expected readQueen to fail');
}

/** Big-endian writer whose string alignment counts from its start, as the game's scripts do. */
class Writer {
  private readonly bytes: number[] = [];
  get pos(): number {
    return this.bytes.length;
  }
  u16(...values: number[]): this {
    for (const v of values) this.bytes.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  text(s: string): this {
    for (const ch of s) this.bytes.push(ch.charCodeAt(0));
    return this;
  }
  pstring(s: string, align = 2): this {
    this.bytes.push(s.length);
    this.text(s);
    while (s.length > 0 && this.bytes.length % align !== 0) this.bytes.push(0);
    return this;
  }
  patch(at: number, v: number): this {
    this.bytes[at] = (v >> 8) & 0xff;
    this.bytes[at + 1] = v & 0xff;
    return this;
  }
  done(header = 0): Buffer {
    return Buffer.concat([Buffer.alloc(header), Buffer.from(this.bytes)]);
  }
}

interface BundleOptions {
  magic?: string;
  version?: string;
  compression?: number;
  /** Entry count written in the header (defaults to the real one). */
  count?: number;
  /** Size written for the last entry (defaults to the real one). */
  lastSize?: number;
}

/** A `queen.1c`: QTBL header, 21-byte entries, then the resources. */
function bundle(resources: Array<[string, Uint8Array]>, o: BundleOptions = {}): Buffer {
  const sorted = [...resources].sort(([a], [b]) => (a < b ? -1 : 1));
  const head = Buffer.alloc(15);
  head.write(o.magic ?? 'QTBL', 0, 'latin1');
  head.write(o.version ?? 'CEM10', 4, 'latin1');
  head[12] = o.compression ?? 1;
  head.writeUInt16BE(o.count ?? sorted.length, 13);
  const table = Buffer.alloc(21 * sorted.length);
  let offset = 15 + table.length;
  sorted.forEach(([name, data], i) => {
    table.write(name, i * 21, 'latin1');
    table[i * 21 + 12] = 1;
    table.writeUInt32BE(offset, i * 21 + 13);
    const last = i === sorted.length - 1;
    table.writeUInt32BE(last && o.lastSize !== undefined ? o.lastSize : data.length, i * 21 + 17);
    offset += data.length;
  });
  return Buffer.concat([head, table, ...sorted.map(([, d]) => d)]);
}

/** One room holding one person (object 1, "Mr Tester"), played by actor TESTER-H. */
function worldJas(): Buffer {
  const w = new Writer();
  w.u16(1, 1, 1, 2); // rooms, names, objects, descriptions
  w.u16(1, 0, 0, 1, 0, 1, 0, -3); // object 1: name 1, room 1, a person
  w.u16(0, 1); // room 1 holds object 1
  w.u16(0); // room sound
  w.u16(0, 0); // items, graphics
  w.u16(1, 0); // room 1: one object, no walk areas
  w.u16(0, 0, 0, 0); // object box
  w.u16(0, 0); // walk-offs, description cycles
  for (const rowBytes of [20, 6, 6, 6, 8]) w.u16(0, ...new Array<number>(rowBytes / 2).fill(0)); // empty command tables
  w.u16(0, 0); // entry object, furniture
  w.u16(1, 0, 1, 0); // actors, animations, actor names, actor files
  w.u16(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0); // actor: room 1, person slot 1, name 1
  w.u16(0, 0, 0, 0); // no animations (one dummy row)
  w.text('CEM10');
  return w.done(20);
}

function worldStrings(): Buffer {
  const lines = [
    'Neat*02',
    'There\'s a label that reads:*14^_"Hello" *14',
    'Mr Tester',
    'ROOM1',
    ...Array.from({ length: 12 }, (_, i) => `verb${i}`),
    "It doesn't seem to open*03",
    ...Array.from({ length: 39 }, (_, i) => `response ${i + 2}`),
    'TESTER-H',
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/**
 * Talk key 7, one dialogue level. Joe's list opens with his opening line (id 0, which the game also
 * reads on its own), then his line 3; the person's list holds line 2; then both greetings.
 */
function dialogue(): Buffer {
  const w = new Writer();
  const levels = 1;
  const joeStart = 32 + levels * 96;
  w.u16(levels, 1, 7, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0); // levels, key, talk key, Joe lines, person lines, states
  while (w.pos < joeStart) w.u16(0);
  w.u16(0, 0).pstring("Hello there.*03That's all.*02", 4); // opening: id 0, so it is spoken
  w.u16(0, 3).pstring('I fly planes.*03', 4);
  const personStart = w.pos;
  w.u16(0, 2).pstring('<ahem>*00Who are you?', 4);
  const greetings = w.pos;
  w.pstring('Hello again.').pstring('Hi.*02');
  return w.patch(22, personStart).patch(26, greetings).done(20);
}

/** Cut-scene T1: Joe speaks, then object 1 (the tester) grabs something (a silent segment that still takes a number) and answers. */
function cutaway(): Buffer {
  const w = new Writer();
  w.u16(0, 2, 0, 0, 0, 0); // panel, two objects, flags, pointers patched below
  w.u16(0, ...new Array<number>(16).fill(0), 0); // Joe, no people to show
  w.u16(1, ...new Array<number>(16).fill(0), 0); // object 1
  const states = w.pos;
  w.u16(0, 0, 0, 0, 0);
  const sentences = w.pos;
  w.pstring('*FL').pstring('Are you real?*03').pstring('Yes.*GD*FLHere.');
  const banks = w.pos;
  w.u16(0).pstring('').u16(0);
  return w.patch(6, states).patch(8, sentences).patch(10, banks).done(20);
}

const MP3 = Uint8Array.from([0xff, 0xe3, 0x20, 0xc4, 1, 2, 3, 4]);

function miniGame(replace: Record<string, Uint8Array> = {}): Buffer {
  const resources: Array<[string, Uint8Array]> = [
    ['QUEEN.JAS', worldJas()],
    ['QUEEN2.JAS', worldStrings()],
    ['TEST.DOG', dialogue()],
    ['T1.CUT', cutaway()],
    ['JOE00011.SB', MP3],
    ['JOE00411.SB', MP3],
    ['JOE00421.SB', MP3],
    ['JOE00422.SB', MP3],
    ['07SSSSJ1.SB', MP3],
    ['07SSSSJ2.SB', MP3],
    ['070003J1.SB', MP3],
    ['070002P1.SB', MP3],
    ['070002P2.SB', MP3],
    ['07XXXXP1.SB', MP3],
    ['07XXXXJ1.SB', MP3],
    ['T1___011.SB', MP3],
    ['T1___021.SB', MP3],
    ['T1___023.SB', MP3],
    ['99SSSSSS.SB', MP3],
  ];
  return bundle(resources.map(([name, data]) => [name, replace[name] ?? data]));
}

describe('Flight of the Amazon Queen reader on built bundles', () => {
  it('pairs each voice file with its segment of the line, as the game names them', async () => {
    const clips = await collect(gameDir(miniGame()));
    expect(clips.map((c) => [c.id, c.speaker, c.text])).toEqual([
      ['070002p2', 'unknown', 'Who are you?'],
      ['070003j1', 'joe', 'I fly planes.'],
      ['07ssssj1', 'joe', 'Hello there.'],
      ['07ssssj2', 'joe', "That's all."],
      ['07xxxxj1', 'joe', 'Hi.'],
      ['07xxxxp1', 'unknown', 'Hello again.'],
      ['joe00011', 'joe', "It doesn't seem to open"],
      ['joe00411', 'joe', 'Neat'],
      ['joe00421', 'joe', "There's a label that reads:"],
      ['joe00422', 'joe', '"Hello"'],
      ['t1011', 'joe', 'Are you real?'],
      ['t1023', 'tester', 'Here.'],
    ]);
    expect(clips[0].audio).toEqual({ kind: 'encoded', format: 'mp3', bytes: MP3 });
  });

  it('leaves out sound effects, lines that are only a noise and segments the game does not voice', async () => {
    const index = await indexQueen(gameDir(miniGame()));
    expect(index.skipped).toEqual(['070002P1.SB', '99SSSSSS.SB', 'T1___021.SB']);
  });

  it('says which package to install when the game is missing', async () => {
    const e = await failure(join(tmp, 'nowhere'));
    expect(e.message).toMatch(/queen\.1c: not found .*flight-of-the-amazon-queen/);
    expect(e.file).toBe(join(tmp, 'nowhere', 'queen.1c'));
  });

  it('rejects a file without the QTBL table', async () => {
    const dir = gameDir(bundle([['QUEEN.JAS', worldJas()]], { magic: 'XXXX' }));
    const e = await failure(dir);
    expect(e.message).toMatch(/no QTBL resource table/);
    expect(e.file).toBe(join(dir, 'queen.1c'));
  });

  it('rejects speech that is not MP3 and a release that is not the English talkie', async () => {
    expect((await failure(gameDir(miniGame().fill(2, 12, 13)))).message).toMatch(/compression type 2/);
    expect((await failure(gameDir(bundle([], { version: 'PEM10' })))).message).toMatch(/not the English CD/);
  });

  it('names the file when the table or a resource is cut short', async () => {
    const shortTable = gameDir(bundle([['QUEEN.JAS', worldJas()]], { count: 500 }));
    expect((await failure(shortTable)).message).toMatch(
      /ends inside the 500-entry resource table.*truncated/,
    );
    const shortData = gameDir(miniGame().subarray(0, -3));
    const e = await failure(shortData);
    expect(e.message).toMatch(/runs past the end .*truncated/);
    expect(e.file).toBe(join(shortData, 'queen.1c'));
  });

  it('names the resource when a script is corrupt', async () => {
    const jas = worldJas().subarray(0, 60);
    const dir = gameDir(
      bundle([
        ['QUEEN.JAS', jas],
        ['QUEEN2.JAS', worldStrings()],
      ]),
    );
    expect((await failure(dir)).message).toMatch(/queen\.1c: QUEEN\.JAS is truncated or corrupt/);
    const noMp3 = gameDir(miniGame({ 'JOE00011.SB': Buffer.alloc(64) }));
    expect((await failure(noMp3)).message).toMatch(/JOE00011\.SB holds no MP3 frame/);
  });
});

// Runs only where the game is installed: the package is not installed on every machine (Debian: flight-of-the-amazon-queen).
describe.skipIf(!existsSync(join(QUEEN_ROOT, 'queen.1c')))(
  'Flight of the Amazon Queen (installed package)',
  () => {
    let clips: RealClip[] = [];
    const byId = new Map<string, RealClip>();
    beforeAll(async () => {
      clips = await collect(QUEEN_ROOT);
      for (const c of clips) byId.set(c.id, c);
    });

    it('pairs almost every voice clip with a line', async () => {
      expect(clips.length).toBeGreaterThanOrEqual(6500);
      expect(clips.length).toBeLessThanOrEqual(6650);
      expect(byId.size).toBe(clips.length);
      const index = await indexQueen();
      expect(index.skipped.length).toBe(6745 - clips.length);
      expect(index.skipped).toContain('1000SSSS.SB'); // a door sound
    });

    // Each of these was decoded and recognised with pocketsphinx against its neighbours' lines.
    it.each([
      ['joe00011', 'joe', "It doesn't seem to open"],
      ['joe00472', 'joe', '"Antidote for Super Soldier Serum"'],
      ['joe05371', 'joe', "Somehow, I don't think this is the natural diet of sloths"],
      ['67ssssj2', 'joe', "Floda's run by a mad scientist called Doc Ironstein who's captured the Amazons!"],
      ['8000cej1', 'joe', 'Does the Super Soldier Treatment last forever?'],
      ['80xxxxj1', 'joe', 'How you feeling Klunk?'],
      ['130028p3', 'death', 'They keep sending people over to try and find some Crystal Skull.'],
      ['29xxxxp1', 'mike', "Don't call me Mikey Boy..."],
      ['62xxxxp1', 'zombie', 'What is it this time?'],
      ['71xxxxp1', 'tammy', 'Hello Joe.'],
      [
        'c1a041',
        'sparky',
        'Is it the "Commander Rocket Authentic Secret Pocket Rocket Decoder Ring" coupon?',
      ],
      ['c5c072', 'wedgewood', 'Help me Trader Bob.'],
      ['c18b052', 'joe', 'but I had a stop over in YOUR dungeon!'],
      ['c69g162', 'joe', "I couldn't have done it without you guys helping me..."],
      ['bluep021', 'unknown', 'It can reach speeds of up to 100 miles an hour,'],
      ['comic161', 'unknown', 'I immobilised them momentarily with my Atomic Stun Gun!'],
    ])('%s is %s saying %j', (id, speaker, text) => {
      expect(byId.get(id)).toMatchObject({ speaker, text });
    });

    it('labels the cast', () => {
      const speakers = new Set(clips.map((c) => c.speaker));
      for (const s of ['joe', 'bob', 'sparky', 'faye', 'azura', 'frank', 'anderson'])
        expect(speakers).toContain(s);
      for (const s of speakers) expect(s).toMatch(/^[a-z0-9]+$/);
      const joe = clips.filter((c) => c.speaker === 'joe').length;
      expect(joe / clips.length).toBeGreaterThan(0.35);
      expect(clips.filter((c) => c.speaker === 'unknown').length).toBeLessThan(200);
    });

    it('gives MP3 streams ffmpeg can read, and ids and texts free of markup', () => {
      for (const c of clips) {
        expect(c.id).toMatch(/^[a-z0-9]+$/);
        expect(c.text).not.toMatch(/\*|\^_|@@|<|>/);
        expect(c.audio.kind).toBe('encoded');
        const b = c.audio.kind === 'encoded' ? c.audio.bytes : new Uint8Array();
        const id3 = b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33;
        expect(id3 || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0)).toBe(true);
      }
    });

    it('names the installed file when a copy of it is truncated', async () => {
      const fd = openSync(join(QUEEN_ROOT, 'queen.1c'), 'r');
      const head = Buffer.alloc(1 << 20);
      readSync(fd, head, 0, head.length, 0);
      closeSync(fd);
      const dir = gameDir(head);
      const e = await failure(dir);
      expect(e.message).toMatch(/runs past the end of the 1048576-byte file; it is truncated/);
      expect(e.file).toBe(join(dir, 'queen.1c'));
    });
  },
);
