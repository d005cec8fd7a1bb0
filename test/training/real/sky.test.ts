import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealClip, RealSourceError } from '../../../src-main/training/real/clip.js';
import { readRncHeader, rncCrc, unpackRnc } from '../../../src-main/training/real/rnc.js';
import {
  SKY_ROOT,
  SKY_SAMPLE_RATE,
  SkyDisk,
  type SkyReadSummary,
  cleanSkyText,
  parseSkyDirectory,
  readSky,
  skySpeechLine,
} from '../../../src-main/training/real/sky.js';

async function collect(root: string, summary?: SkyReadSummary): Promise<RealClip[]> {
  const clips: RealClip[] = [];
  for await (const clip of readSky(root, summary)) clips.push(clip);
  return clips;
}

/** Runs the reader to the end and returns the RealSourceError it must throw. */
async function failure(root: string): Promise<RealSourceError> {
  try {
    await collect(root);
  } catch (error) {
    expect(error).toBeInstanceOf(RealSourceError);
    return error as RealSourceError;
  }
  throw new Error(`reading ${root} did not fail`);
}

function samplesOf(clip: RealClip): Float32Array {
  if (clip.audio.kind !== 'pcm') throw new Error(`${clip.id} is not PCM`);
  return clip.audio.samples;
}

describe('Beneath a Steel Sky: pairing and text rules', () => {
  it('maps speech items to section and line with the game table', () => {
    expect(skySpeechLine(50_007)).toEqual({ section: 0, line: 7, textNumber: 7 });
    expect(skySpeechLine(51_901)).toEqual({ section: 2, line: 801, textNumber: (2 << 12) | 801 });
    expect(skySpeechLine(55_274)).toEqual({ section: 7, line: 44, textNumber: (7 << 12) | 44 });
    expect(skySpeechLine(49_999)).toBeUndefined();
    expect(skySpeechLine(59_500)).toBeUndefined(); // the CD intro's narration: no subtitle line
  });

  it('cleans subtitles: backtick quotes, font glyphs, spacing', () => {
    expect(cleanSkyText("Who is `Reich', and  why? ")).toBe("Who is 'Reich', and why?");
    expect(cleanSkyText('\x80page 6 of your manual\x81')).toBe('page 6 of your manual');
  });

  it('rejects a truncated or foreign directory', () => {
    const header = new Uint8Array(4 + 8);
    new DataView(header.buffer).setUint32(0, 5097, true);
    expect(() => parseSkyDirectory(header, 'sky.dnr')).toThrow(/truncated/);
    new DataView(header.buffer).setUint32(0, 1, true);
    expect(() => parseSkyDirectory(header, 'sky.dnr')).toThrow(/only the CD release v0.0372/);
  });
});

// Skipped when Debian's beneath-a-steel-sky package (the game's data) is not installed.
const installed = existsSync(join(SKY_ROOT, 'sky.dsk'));

describe.skipIf(!installed)('Beneath a Steel Sky: the installed CD release', () => {
  let clips: RealClip[];
  const summary = {} as SkyReadSummary;
  const byId = new Map<string, RealClip>();
  let scratch: string;

  beforeAll(async () => {
    clips = await collect(SKY_ROOT, summary);
    for (const clip of clips) byId.set(clip.id, clip);
    scratch = mkdtempSync(join(tmpdir(), 'sky-test-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('yields every speech item, all with a subtitle: about 116 minutes', () => {
    expect(summary).toEqual({ speechItems: 3491, clips: 3491, withoutText: [] });
    expect(clips).toHaveLength(3491);
    const minutes = clips.reduce((sum, c) => sum + samplesOf(c).length, 0) / SKY_SAMPLE_RATE / 60;
    expect(minutes).toBeGreaterThan(115.5);
    expect(minutes).toBeLessThan(116.5);
  });

  it('pairs audio with the lines pocketsphinx recognised in it', () => {
    // Subtitles checked against pocketsphinx transcripts of the audio (e.g. s50007 "i had to inspect it").
    const expected: Record<string, string> = {
      s50007: 'I had to INSPECT it.',
      s51901: "Heard anything about an 'INSPECTION', Sam?",
      s52806: "'S. REICH'. So this is where he lived...",
      s53332: 'I can SEE that, Foster!',
      s54644: "Whatever's behind that door must be IMPORTANT...",
      s54847: "What did he mean by a 'FAMILY REUNION'?",
      s55105: 'I was supposed to make CONTACT with an agent from HOBART.',
      s55274: 'Nothing happens...',
    };
    for (const [id, text] of Object.entries(expected)) expect(byId.get(id)?.text, id).toBe(text);
  });

  it('names speakers the scripts state, else unknown', () => {
    expect(byId.get('s52740')?.speaker).toBe('foster'); // a line of Foster's conversation menu
    expect(byId.get('s55105')?.speaker).toBe('hologramb'); // the speak call names the compact
    // Spoken by whoever Foster talks to: the talk animation (smljobs_talk) tells who.
    expect(byId.get('s55044')).toMatchObject({ speaker: 'jobsworth', text: 'Hello, son! What you want?' });
    const speakers = new Set(clips.map((c) => c.speaker));
    expect(speakers.size).toBeGreaterThan(30);
    for (const speaker of speakers) expect(speaker).toMatch(/^[a-z0-9]+$/);
    const foster = clips.filter((c) => c.speaker === 'foster').length;
    expect(foster).toBeGreaterThan(1400);
    expect(clips.filter((c) => c.speaker === 'unknown').length).toBeLessThan(700);
  });

  it('gives unique ids, clean text and 8-bit audio in [-1, 1] at 11,025 Hz', () => {
    expect(new Set(clips.map((c) => c.id)).size).toBe(clips.length);
    let sum = 0;
    let count = 0;
    let low = 0;
    let high = 0;
    for (const clip of clips) {
      expect(clip.id).toMatch(/^s5\d{4}$/);
      expect(clip.text).toMatch(/^[\x20-\x7e]+$/);
      expect(clip.text).not.toMatch(/`|^\s|\s$|\s\s/);
      expect(clip.audio).toMatchObject({ kind: 'pcm', sampleRate: SKY_SAMPLE_RATE });
      const samples = samplesOf(clip);
      expect(samples.length).toBeGreaterThan(2000);
      for (const sample of samples) {
        if (sample < low) low = sample;
        if (sample > high) high = sample;
        sum += sample;
      }
      count += samples.length;
    }
    expect(low).toBe(-1);
    expect(high).toBe(127 / 128);
    expect(Math.abs(sum / count)).toBeLessThan(0.01);
  });

  it('unpacks a real RNC-packed speech item to its header length with both CRCs correct', async () => {
    const disk = await SkyDisk.open(SKY_ROOT);
    try {
      const stored = await disk.readStored(50_007);
      const packed = stored.subarray(22);
      const header = readRncHeader(packed, disk.file);
      expect(rncCrc(packed.subarray(18, 18 + header.packedLength))).toBe(header.packedCrc);
      const unpacked = unpackRnc(packed, disk.file);
      expect(unpacked.length).toBe(header.unpackedLength);
      expect(rncCrc(unpacked)).toBe(header.unpackedCrc);
      // The data-file header's total size counts itself (22 bytes) plus the samples.
      expect(stored[12] | (stored[13] << 8)).toBe(unpacked.length + 22);
    } finally {
      await disk.close();
    }
  });

  it('reports a truncated sky.dnr', async () => {
    const root = join(scratch, 'truncated');
    makeInstall(root, (dnr) => ({ dnr: dnr.subarray(0, 1000) }));
    const error = await failure(root);
    expect(error.file).toBe(join(root, 'sky.dnr'));
    expect(error.message).toMatch(/truncated/);
  });

  it('reads a minimal install and reports corrupt RNC data in a speech item', async () => {
    const good = join(scratch, 'minimal');
    makeInstall(good, minimalDisk());
    const clips = await collect(good);
    expect(clips.map((c) => [c.id, c.text])).toEqual([['s50007', 'I had to INSPECT it.']]);

    const bad = join(scratch, 'corrupt');
    makeInstall(
      bad,
      minimalDisk((speech) => (speech[22 + 18 + 200] ^= 0x55)),
    );
    const error = await failure(bad);
    expect(error.file).toBe(join(bad, 'sky.dsk'));
    expect(error.message).toMatch(/item 50007: RNC packed-data CRC/);
  });
});

/** Items the reader needs besides speech: the English text sections and the script modules. */
const SUPPORT_ITEMS = [
  ...Array.from({ length: 8 }, (_, i) => 60_600 + i),
  ...Array.from({ length: 7 }, (_, i) => 60_400 + i),
];

/** A game folder in `root` from the installed one, with sky.dnr / sky.dsk as `change` returns them. */
function makeInstall(root: string, change: (dnr: Uint8Array) => { dnr: Uint8Array; dsk?: Uint8Array }): void {
  const { dnr, dsk } = change(new Uint8Array(readFileSync(join(SKY_ROOT, 'sky.dnr'))));
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'sky.dnr'), dnr);
  if (dsk) writeFileSync(join(root, 'sky.dsk'), dsk);
  else symlinkSync(join(SKY_ROOT, 'sky.dsk'), join(root, 'sky.dsk'));
  symlinkSync(join(SKY_ROOT, 'sky.cpt'), join(root, 'sky.cpt'));
}

/**
 * A small sky.dsk holding only the support items and speech item 50007 (optionally altered), and a
 * sky.dnr pointing at them; every other speech entry is renumbered out of the speech range.
 */
function minimalDisk(
  alter?: (speech: Uint8Array) => void,
): (dnr: Uint8Array) => { dnr: Uint8Array; dsk: Uint8Array } {
  return (original) => {
    const items = parseSkyDirectory(original, 'sky.dnr');
    const data = openSync(join(SKY_ROOT, 'sky.dsk'), 'r');
    const parts: Uint8Array[] = [];
    const placed = new Map<number, number>();
    let size = 0;
    for (const item of [...SUPPORT_ITEMS, 50_007]) {
      const entry = items.get(item)!;
      const bytes = new Uint8Array(entry.size);
      readSync(data, bytes, 0, entry.size, entry.offset);
      if (item === 50_007) alter?.(bytes);
      placed.set(item, size);
      const padded = new Uint8Array(Math.ceil(bytes.length / 16) * 16);
      padded.set(bytes);
      parts.push(padded);
      size += padded.length;
    }
    closeSync(data);
    const dnr = original.slice();
    const view = new DataView(dnr.buffer);
    for (let at = 4; at < dnr.length; at += 8) {
      const item = view.getUint16(at, true);
      const offset = placed.get(item);
      if (offset !== undefined) {
        const field = 0x80_0000 | (offset / 16);
        dnr.set([field & 0xff, (field >> 8) & 0xff, field >> 16], at + 2);
      } else if (skySpeechLine(item)) view.setUint16(at, 0, true);
    }
    const dsk = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      dsk.set(part, at);
      at += part.length;
    }
    return { dnr, dsk };
  };
}
