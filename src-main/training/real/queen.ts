import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RealSourceError, type RealClip } from './clip.js';

/**
 * Reader for the English speech of Flight of the Amazon Queen, as Debian's
 * `flight-of-the-amazon-queen` package ships it: one `queen.1c` holding every game resource behind
 * its own `QTBL` table (so ScummVM's `queen.tbl` is not needed), with the 6,745 `.SB` sound
 * resources stored as MP3 (MPEG-2.5 layer III, 11,025 Hz, 16 kbit/s) that ffmpeg reads as they are.
 *
 * The game never stores which line a voice file says; it builds the file name while it speaks. This
 * reader rebuilds those names from the scripts, so each clip gets the sentence the game shows with
 * it:
 *
 * - Dialogues (`.DOG`): `<talk key, 2 digits><line id, 4 hex digits><P|J><segment>` for the other
 *   person's and Joe's lines; `<key>SSSSJ` is Joe's opening line, `<key>XXXXP`/`<key>XXXXJ` the
 *   greetings when they meet again.
 * - Joe's remarks (`QUEEN2.JAS`): `JOE<4 digits><segment>`, numbered by the stock responses (1–40)
 *   and then by object description (41 on).
 * - Cut-scenes (`.CUT`): `<scene name padded with _ to 5><object, 2 digits><segment>`.
 *
 * A sentence is cut into segments at its `*XX` stage directions; segment n (1-based, hex) is one
 * voice file. The speaker is Joe for his lines; for everyone else it is the actor the game would
 * animate, found through the room, person slot and (for dialogues) the talk command that opens the
 * `.DOG`.
 */

/** Where Debian's flight-of-the-amazon-queen package installs the game. */
export const QUEEN_ROOT = '/usr/share/scummvm/flight-of-the-amazon-queen';

/** The resource bundle; the compressed release's name for the original `queen.1`. */
const DATA_FILE = 'queen.1c';

/** One voice clip the scripts account for, before its audio is read. */
export interface QueenLine {
  /** The `.SB` resource, e.g. `C41B_062.SB`. */
  resource: string;
  id: string;
  speaker: string;
  text: string;
}

/** What the scripts say about every `.SB` in the bundle. */
export interface QueenIndex {
  /** Voice clips with their line, in table order. */
  lines: QueenLine[];
  /** `.SB` resources no script line accounts for (sound effects, unused takes) or whose line is only a noise such as `<gulp>`. */
  skipped: string[];
}

/** Yields every voiced line of the game with its MP3 audio. */
export async function* readQueen(root = QUEEN_ROOT): AsyncGenerator<RealClip> {
  const bundle = await openBundle(join(root, DATA_FILE));
  try {
    const index = await indexBundle(bundle);
    for (const line of index.lines) {
      const bytes = mp3Payload(await bundle.read(line.resource), bundle.path, line.resource);
      yield {
        id: line.id,
        speaker: line.speaker,
        text: line.text,
        audio: { kind: 'encoded', format: 'mp3', bytes },
      };
    }
  } finally {
    await bundle.close();
  }
}

/** Pairs every voice clip with its line without reading any audio; also says which clips were left out. */
export async function indexQueen(root = QUEEN_ROOT): Promise<QueenIndex> {
  const bundle = await openBundle(join(root, DATA_FILE));
  try {
    return await indexBundle(bundle);
  } finally {
    await bundle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The bundle: `QTBL`, version, compression, then 21-byte entries (12-byte name, bundle number,
// big-endian offset and size), then the resources.

interface Resource {
  offset: number;
  size: number;
}

interface Bundle {
  path: string;
  /** The game version the table was built for, e.g. `CEM10`. */
  version: string;
  /** Resource names in table order (upper case). */
  names: string[];
  read(name: string): Promise<Bytes>;
  close(): Promise<void>;
}

/** The only compression whose `.SB` resources are plain MP3. */
const COMPRESSION_MP3 = 1;
const TABLE_HEADER = 15;
const TABLE_ENTRY = 21;

/** Opens `queen.1c` and reads its table; a missing file says which package provides it. */
async function openBundle(path: string): Promise<Bundle> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(e);
    throw new RealSourceError(
      `${path}: ${why} (install the flight-of-the-amazon-queen package, or pass the folder holding queen.1c)`,
      path,
    );
  }
  try {
    return await readTable(fh, path);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Checks up front that this is the English talkie with MP3 speech and that no resource runs past the
 * end of the file, so a truncated download fails before any clip is yielded.
 */
async function readTable(fh: FileHandle, path: string): Promise<Bundle> {
  const fileSize = (await fh.stat()).size;
  const head = await readExactly(fh, path, 0, TABLE_HEADER, 'the table header');
  if (head.toString('latin1', 0, 4) !== 'QTBL') {
    throw new RealSourceError(
      `${path}: no QTBL resource table; this reader needs the compressed release (as packaged by Debian), not the original queen.1`,
      path,
    );
  }
  const version = head.toString('latin1', 4, 10).replace(/\0.*$/s, '');
  if (!/^CE/.test(version)) {
    throw new RealSourceError(
      `${path}: game version ${JSON.stringify(version)} is not the English CD (talkie) release`,
      path,
    );
  }
  if (head[12] !== COMPRESSION_MP3) {
    throw new RealSourceError(
      `${path}: speech compression type ${head[12]}, expected ${COMPRESSION_MP3} (MP3)`,
      path,
    );
  }
  const count = head.readUInt16BE(13);
  const table = await readExactly(
    fh,
    path,
    TABLE_HEADER,
    count * TABLE_ENTRY,
    `the ${count}-entry resource table`,
  );
  const resources = new Map<string, Resource>();
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * TABLE_ENTRY;
    const name = table.toString('latin1', at, at + 12).replace(/\0.*$/s, '');
    const offset = table.readUInt32BE(at + 13);
    const size = table.readUInt32BE(at + 17);
    if (offset + size > fileSize) {
      throw new RealSourceError(
        `${path}: resource ${name} (bytes ${offset}–${offset + size}) runs past the end of the ${fileSize}-byte file; it is truncated`,
        path,
      );
    }
    resources.set(name, { offset, size });
    names.push(name);
  }
  return {
    path,
    version,
    names,
    async read(name) {
      const r = resources.get(name);
      if (!r) throw new RealSourceError(`${path}: resource ${name} is missing from the table`, path);
      return new Bytes(await readExactly(fh, path, r.offset, r.size, name), path, name);
    },
    close: () => fh.close(),
  };
}

/** Reads `length` bytes at `position`; a short read means the file was cut off. */
async function readExactly(
  fh: FileHandle,
  path: string,
  position: number,
  length: number,
  what: string,
): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) {
    throw new RealSourceError(
      `${path}: file ends inside ${what} (wanted ${length} bytes at ${position}); it is truncated`,
      path,
    );
  }
  return buf;
}

/** Bounds-checked big-endian reads inside one resource, so corrupt data fails with the resource's name. */
class Bytes {
  constructor(
    readonly buf: Buffer,
    private readonly path: string,
    readonly name: string,
  ) {}

  /** The resource without its leading header bytes (the game skips 20 for scripts). */
  skip(n: number): Bytes {
    this.need(0, n);
    return new Bytes(this.buf.subarray(n), this.path, this.name);
  }

  u16(at: number): number {
    this.need(at, 2);
    return this.buf.readUInt16BE(at);
  }

  s16(at: number): number {
    this.need(at, 2);
    return this.buf.readInt16BE(at);
  }

  /** A length-prefixed string; the next field starts at the following multiple of `align`. */
  pstring(at: number, align = 2): { text: string; next: number } {
    this.need(at, 1);
    const length = this.buf[at];
    const start = at + 1;
    if (length === 0) return { text: '', next: start };
    this.need(start, length);
    const text = this.buf.toString('latin1', start, start + length);
    return { text, next: Math.ceil((start + length) / align) * align };
  }

  fail(problem: string): never {
    throw new RealSourceError(`${this.path}: ${this.name} ${problem}`, this.path);
  }

  private need(at: number, n: number): void {
    if (at < 0 || at + n > this.buf.length) {
      this.fail(`is truncated or corrupt (needs bytes ${at}–${at + n}, has ${this.buf.length})`);
    }
  }
}

/** The MP3 stream of one `.SB`: everything from the first ID3 tag or frame sync (nothing precedes it in the packaged release). */
function mp3Payload(res: Bytes, path: string, name: string): Uint8Array {
  const b = res.buf;
  const limit = Math.min(b.length - 1, 512);
  for (let i = 0; i < limit; i++) {
    const id3 = b[i] === 0x49 && b[i + 1] === 0x44 && b[i + 2] === 0x33;
    const sync = b[i] === 0xff && (b[i + 1] & 0xe0) === 0xe0;
    if (id3 || sync) return new Uint8Array(b.buffer, b.byteOffset + i, b.length - i);
  }
  throw new RealSourceError(`${path}: ${name} holds no MP3 frame in its first ${limit} bytes`, path);
}

// ---------------------------------------------------------------------------------------------
// QUEEN.JAS: the world (objects, rooms, commands, actors); QUEEN2.JAS: its strings, one a line.

interface GameObject {
  /** Index into the object names (negative: hidden for now). */
  name: number;
  room: number;
  /** -3 or -4 for people. */
  image: number;
}

interface Actor {
  room: number;
  /** Which person of the room (1 = first person object) the actor animates. */
  bobNum: number;
  name: string;
}

interface World {
  /** 1-based, as the scripts number them. */
  objects: GameObject[];
  /** roomFirst[room] + 1 is the room's first object. */
  roomFirst: number[];
  objectNames: string[];
  descriptions: string[];
  joeResponses: string[];
  /** Per command (1-based): the first object it acts on, e.g. the person in `talk to`. */
  commandNoun: number[];
  /** Game-state rows: a command and the description it says or, for a `.DOG`, the dialogue it opens. */
  commandSpeech: Array<{ command: number; description: number }>;
  actors: Actor[];
}

const JAS_HEADER = 20;
const JOE_RESPONSES = 40;
const VERBS = 12;

/** Walks QUEEN.JAS section by section; only the counts are needed to reach the parts that matter. */
function readWorld(jas: Bytes, lines: string[], version: string): World {
  const j = jas.skip(JAS_HEADER);
  const [numRooms, numNames, numObjects, numDescriptions] = [0, 2, 4, 6].map((o) => j.u16(o));
  let p = 8;
  const objects: GameObject[] = [{ name: 0, room: 0, image: 0 }];
  for (let i = 0; i < numObjects; i++, p += 16) {
    objects.push({ name: j.s16(p), room: j.u16(p + 10), image: j.s16(p + 14) });
  }
  const roomFirst = [0];
  for (let i = 0; i <= numRooms; i++, p += 2) roomFirst.push(j.u16(p));
  p += 2 * numRooms; // sound effect per room
  p += 2 + 10 * j.u16(p); // items
  p += 2 + 10 * j.u16(p); // graphics
  for (let r = 0; r < numRooms; r++) p += 4 + 16 * j.s16(p + 2); // walk areas
  p += 8 * numObjects; // object boxes
  p += 2 + 6 * j.u16(p); // walk-off points
  p += 2 + 8 * j.u16(p); // description cycles
  const commands = readCommandLists(j, p);
  p = commands.next + 2; // entry object
  p += 2 + 4 * j.u16(p); // furniture
  const [numActors, numAnims, numActorNames] = [0, 2, 4].map((o) => j.u16(p + o));
  p += 8;
  const stringsBefore = numDescriptions + numNames + numRooms + VERBS + JOE_RESPONSES;
  const actorNames = lines.slice(stringsBefore + numAnims, stringsBefore + numAnims + numActorNames);
  if (actorNames.length !== numActorNames)
    jas.fail(`needs ${numActorNames} actor names in QUEEN2.JAS, which has too few lines`);
  const actors: Actor[] = [];
  for (let i = 0; i < numActors; i++, p += 24) {
    actors.push({ room: j.s16(p), bobNum: j.s16(p + 2), name: actorNames[j.u16(p + 4) - 1] ?? '' });
  }
  p += 2 + 6 * Math.max(1, j.u16(p)); // animations; one dummy record when there are none
  const tail = j.buf.toString('latin1', p, p + 5);
  if (tail !== version.slice(0, 5)) {
    jas.fail(
      `does not end with the version string ${version.slice(0, 5)} where expected (found ${JSON.stringify(tail)}): layout not understood`,
    );
  }
  return {
    objects,
    roomFirst,
    descriptions: lines.slice(0, numDescriptions),
    objectNames: lines.slice(numDescriptions, numDescriptions + numNames),
    joeResponses: lines.slice(stringsBefore - JOE_RESPONSES, stringsBefore),
    commandNoun: commands.noun,
    commandSpeech: commands.speech,
    actors,
  };
}

/** The five command tables; a table with no rows still stores one dummy row. */
function readCommandLists(j: Bytes, start: number) {
  let p = start;
  const table = (rowBytes: number) => {
    const count = j.u16(p);
    const first = p + 2;
    p = first + rowBytes * Math.max(1, count);
    return { count, first };
  };
  const list = table(20);
  table(6); // areas
  table(6); // objects
  table(6); // inventory
  const states = table(8);
  const noun = [0];
  for (let i = 0; i < list.count; i++) noun.push(j.s16(list.first + i * 20 + 2));
  const speech: Array<{ command: number; description: number }> = [];
  for (let i = 0; i < states.count; i++) {
    const at = states.first + i * 8;
    speech.push({ command: j.s16(at), description: j.u16(at + 6) });
  }
  return { noun, speech, next: p };
}

/** QUEEN2.JAS is DOS text: one string per CRLF-ended line, in Latin-1. */
function textLines(res: Bytes): string[] {
  return res.buf.toString('latin1').split(/\r?\n/);
}

// ---------------------------------------------------------------------------------------------
// Speakers

/**
 * Actor names are sprite sets: `X3_RITA`, `RITA-H` and `RITA` are one character, and so are these
 * (Princess Azura's two costumes, Anderson's close-up, the ape before and after Joe's trick).
 * Numbered actors not listed (`MAN1`/`MAN2`, `ZOMBIE2`/`ZOMBIE3`) are different people.
 */
const SAME_CHARACTER: Record<string, string> = {
  princess1: 'azura',
  princess2: 'azura',
  andson: 'anderson',
  ape1: 'ape',
  ape2: 'ape',
};

/** A speaker label from an actor name: lower case, without sprite-set prefixes and suffixes. */
function characterLabel(actorName: string): string {
  const base = actorName
    .toLowerCase()
    .replace(/^x\d+_/, '')
    .replace(/[-_](h|e|f|stand|shower)$/, '')
    .replace(/[^a-z0-9]/g, '');
  return SAME_CHARACTER[base] ?? base;
}

/**
 * The character the game animates when `objectNumber` speaks: the actors placed in the object's room
 * on its person slot. Several actors can share a slot (which one depends on the game state); then
 * the one whose name the object's or dialogue's name contains wins, and `unknown` if none does.
 */
function personSpeaker(world: World, objectNumber: number, hint: string): string {
  const object = world.objects[objectNumber];
  if (!object || (object.image !== -3 && object.image !== -4)) return 'unknown';
  let slot = 0;
  for (let k = world.roomFirst[object.room] + 1; k <= objectNumber; k++) {
    const image = world.objects[k]?.image;
    if (image === -3 || image === -4) slot++;
  }
  const labels = new Set(
    world.actors
      .filter((a) => a.room === object.room && a.bobNum === slot)
      .map((a) => characterLabel(a.name)),
  );
  return chooseLabel(labels, `${objectName(world, objectNumber)} ${hint}`);
}

/** One label, or the only candidate the hint names, or `unknown`. */
function chooseLabel(labels: Set<string>, hint: string): string {
  const candidates = [...labels].filter((l) => l !== '');
  if (candidates.length === 1) return candidates[0];
  const flat = hint.toLowerCase().replace(/[^a-z0-9]/g, '');
  const named = candidates.filter((l) => flat.includes(l));
  return named.length === 1 ? named[0] : 'unknown';
}

function objectName(world: World, objectNumber: number): string {
  const name = world.objects[objectNumber]?.name ?? 0;
  return world.objectNames[Math.abs(name) - 1] ?? '';
}

// ---------------------------------------------------------------------------------------------
// Sentences → voice file names

/** Lines found so far by voice resource name; the first sentence to claim a name keeps it, as the game's lookups do. */
type Script = Map<string, { sentence: string; speaker: string }>;

/**
 * Splits a sentence at its `*XX` directions the way the game plays it: the text before each
 * direction is one segment (its voice file numbered by segment), `*XY` carries 11 more characters of
 * coordinates, and before `*GD`/`*GM` (Joe grabs) nothing is voiced though the segment still takes a number.
 */
function segments(sentence: string): Array<{ text: string; index: number }> {
  const out: Array<{ text: string; index: number }> = [];
  let start = 0;
  let index = 0;
  let i = 0;
  while (i < sentence.length) {
    if (sentence[i] !== '*') {
      i++;
      continue;
    }
    const text = sentence.slice(start, i);
    const command = sentence.slice(i + 1, i + 3);
    i += 3 + (command === 'XY' ? 11 : 0);
    if (command !== 'GD' && command !== 'GM') out.push({ text, index });
    index++;
    start = i;
  }
  if (start < sentence.length) out.push({ text: sentence.slice(start), index });
  return out;
}

/** The table name of a voice file: blanks in the first 8 characters become zeros, as the game's sound lookup does. */
function voiceResource(prefix: string, segmentIndex: number): string {
  const base = `${prefix}${(segmentIndex + 1).toString(16)}`.toUpperCase();
  return `${base.slice(0, 8).replace(/ /g, '0')}${base.slice(8)}.SB`;
}

/** Records a spoken sentence; `whole` is for cut-scene captions, which play one file for the entire text. */
function addSentence(script: Script, prefix: string, sentence: string, speaker: string, whole = false): void {
  if (sentence === '' || sentence === '0') return;
  const parts = whole ? [{ text: sentence, index: 0 }] : segments(sentence);
  for (const part of parts) {
    const name = voiceResource(prefix, part.index);
    if (!script.has(name)) script.set(name, { sentence: part.text, speaker });
  }
}

/** `%4x` in C: lower-case hex padded with blanks (the blanks become zeros in the resource name). */
function hex4(n: number): string {
  return (n >>> 0).toString(16).padStart(4, ' ');
}

/** `%2d` in C. */
function dec2(n: number): string {
  return String(n).padStart(2, ' ');
}

/** Joe's stock responses and object descriptions (those naming a cut-scene or dialogue file are not spoken). */
function addJoeRemarks(script: Script, world: World): void {
  world.joeResponses.forEach((t, i) => addSentence(script, `JOE${String(i + 1).padStart(4, '0')}`, t, 'joe'));
  world.descriptions.forEach((t, i) => {
    if (/\.(cut|dog)$/i.test(t.trim())) return;
    addSentence(script, `JOE${String(i + 1 + JOE_RESPONSES).padStart(4, '0')}`, t, 'joe');
  });
}

const DOG_HEADER = 20;

/**
 * One dialogue file: the header gives the talk key and where the person's and Joe's line lists start;
 * each list entry is a padding word, the line id and a string aligned to 4 bytes.
 */
function addDialogue(script: Script, dog: Bytes, person: string): void {
  const d = dog.skip(DOG_HEADER);
  const levels = Math.abs(d.s16(0));
  const talkKey = d.s16(4);
  const joeCount = d.s16(6);
  const personCount = d.s16(8);
  const personLines = d.u16(22);
  const greetings = d.u16(26);
  const joeLines = 32 + levels * 96;
  const list = (start: number, count: number, role: 'P' | 'J', speaker: string) => {
    let at = start;
    for (let i = 0; i < count; i++) {
      const id = d.s16(at + 2);
      const s = d.pstring(at + 4, 4);
      addSentence(script, `${dec2(talkKey)}${hex4(id)}${role}`, s.text, speaker);
      at = s.next;
    }
  };
  list(personLines, personCount, 'P', person);
  list(joeLines, joeCount, 'J', 'joe');
  if (d.u16(joeLines + 2) === 0)
    addSentence(script, `${dec2(talkKey)}SSSSJ`, d.pstring(joeLines + 4).text, 'joe');
  const again = d.pstring(greetings);
  addSentence(script, `${dec2(talkKey)}XXXXP`, again.text, person);
  addSentence(script, `${dec2(talkKey)}XXXXJ`, d.pstring(again.next).text, 'joe');
}

interface CutObject {
  number: number;
  kind: 'person' | 'caption' | 'other';
}

const CUT_HEADER = 20;
const OBJECT_JOE = 0;
const OBJECT_ROOMFADE = -1;

/**
 * The objects of a cut-scene. Each is 17 words and a list of people to show; an animated object is
 * followed by frames (a header word and 9 words each) up to a -2. Whether an object animates depends
 * on whether it is a person, as in the game.
 */
function cutawayObjects(c: Bytes, world: World): CutObject[] {
  const count = Math.abs(c.s16(2));
  const objects: CutObject[] = [];
  let p = 12;
  for (let i = 0; i < count; i++) {
    const w = (k: number) => c.s16(p + 2 * k);
    let number = w(0);
    const animList = w(4);
    const execute = w(5);
    const fromObject = w(12);
    p += 34;
    p += 2 + 2 * Math.max(0, c.s16(p));
    if (number === OBJECT_ROOMFADE) number = OBJECT_JOE;
    const image = world.objects[number]?.image;
    const isPerson =
      animList === 0 && (number === OBJECT_JOE || (number > 0 && (image === -3 || image === -4)));
    const isText = number === -2 || number === -3 || number === -4;
    const kind: CutObject['kind'] =
      number === -2 || number === -3 ? 'caption' : isPerson && fromObject <= 0 ? 'person' : 'other';
    if (!isPerson && !isText && fromObject <= 0 && execute !== 0) {
      while (c.s16(p) !== -2) p += 20;
      p += 2;
    }
    objects.push({ number, kind });
  }
  return objects;
}

/** Cut-scene lines: one sentence per object after the entry string; people speak in segments, captions in one file. */
function addCutaway(script: Script, cut: Bytes, world: World, base: string): void {
  const c = cut.skip(CUT_HEADER);
  const objects = cutawayObjects(c, world);
  let at = c.pstring(c.u16(8)).next;
  const padded = base.padEnd(5, '_');
  objects.forEach((object, i) => {
    const s = c.pstring(at);
    at = s.next;
    if (s.text === '*' || s.text.startsWith('#')) return;
    const prefix = `${padded}${String(i + 1)
      .padStart(2, '0')
      .slice(0, 2)}`;
    if (object.kind === 'caption') addSentence(script, prefix, s.text, 'unknown', true);
    if (object.kind !== 'person') return;
    const speaker = object.number === OBJECT_JOE ? 'joe' : personSpeaker(world, object.number, '');
    addSentence(script, prefix, s.text, speaker);
  });
}

/** The dialogue a cut-scene opens and the person it is with (strings after its bank names). */
function cutawayTalk(cut: Bytes): { dog: string; person: number } {
  const c = cut.skip(CUT_HEADER);
  let at = c.u16(10);
  const banks = c.u16(at);
  at += 2;
  for (let i = 0; i < banks; i++) at = c.pstring(at).next;
  const talk = c.pstring(at);
  return { dog: talk.text.toUpperCase(), person: c.s16(talk.next) };
}

/**
 * Who the other side of each dialogue is: the object of the talk command whose condition names the
 * `.DOG` among the descriptions, or the person a cut-scene hands the dialogue to.
 */
function dialoguePeople(
  world: World,
  cutTalks: Array<{ dog: string; person: number }>,
): Map<string, Set<string>> {
  const people = new Map<string, Set<string>>();
  const note = (dog: string, objectNumber: number) => {
    if (objectNumber <= 0) return;
    const set = people.get(dog) ?? new Set<string>();
    set.add(personSpeaker(world, objectNumber, dog));
    people.set(dog, set);
  };
  for (const { command, description } of world.commandSpeech) {
    const dog = world.descriptions[description - 1]?.trim().toUpperCase() ?? '';
    if (dog.endsWith('.DOG')) note(dog, world.commandNoun[command] ?? 0);
  }
  for (const { dog, person } of cutTalks) if (dog.endsWith('.DOG')) note(dog, person);
  return people;
}

// ---------------------------------------------------------------------------------------------
// Text

/**
 * The words as spoken: the font's ™ (`^_`) and heart (`@@`) glyphs go, as do noises in `<…>` or
 * `(…)`, which the actors perform rather than say.
 */
function spokenText(segment: string): string {
  return segment
    .replace(/\^_|@@/g, '')
    .replace(/<[^>]*>|\([^)]*\)/g, '')
    .replace(/\s+/g, ' ')
    .replace(/ ([?!.,])/g, '$1')
    .trim();
}

/** `C41B_062.SB` → `c41b062` (dropping `_` keeps the names of this release unique; the test checks it). */
function clipId(resource: string): string {
  return resource
    .replace(/\.SB$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Builds every voice file name the scripts can produce (Joe's remarks, then dialogues, then
 * cut-scenes, the first claim winning) and pairs the bundle's `.SB` resources with them.
 */
async function indexBundle(bundle: Bundle): Promise<QueenIndex> {
  const lines = textLines(await bundle.read('QUEEN2.JAS'));
  const world = readWorld(await bundle.read('QUEEN.JAS'), lines, bundle.version);
  const script: Script = new Map();
  addJoeRemarks(script, world);

  const cuts: Array<{ name: string; res: Bytes }> = [];
  for (const name of bundle.names.filter((n) => n.endsWith('.CUT')))
    cuts.push({ name, res: await bundle.read(name) });
  const people = dialoguePeople(
    world,
    cuts.map((c) => cutawayTalk(c.res)),
  );
  for (const name of bundle.names.filter((n) => n.endsWith('.DOG'))) {
    const who = people.get(name);
    addDialogue(script, await bundle.read(name), who?.size === 1 ? [...who][0] : 'unknown');
  }
  for (const { name, res } of cuts) addCutaway(script, res, world, name.replace(/\.CUT$/, ''));

  const index: QueenIndex = { lines: [], skipped: [] };
  for (const resource of bundle.names.filter((n) => n.endsWith('.SB'))) {
    const line = script.get(resource);
    const text = line ? spokenText(line.sentence) : '';
    if (!line || !/[a-z0-9]/i.test(text)) index.skipped.push(resource);
    else index.lines.push({ resource, id: clipId(resource), speaker: line.speaker, text });
  }
  return index;
}
