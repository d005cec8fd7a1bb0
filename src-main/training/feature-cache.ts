import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
  fsyncSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type FeatureConfig } from '../speech/features.js';

/**
 * Log-mel features of a whole corpus split in one file, computed once by the prepare stage and
 * read by every training epoch. Values are stored as int16 at 1/1000 resolution (log-mel lies in
 * about [-23, 15]; 0.001 is far below what the model can resolve), half the size of float32, so a
 * 25-hour corpus fits in ~1.5 GB of memory.
 *
 * File: "ATTFEAT1", u32 header length, JSON header
 * { features, items: [{ id, speaker, text, frames, offset }], skipped: [{ id, reason }] }, then int16
 * little-endian values; item i's frames start at byte (dataStart + 2·offset).
 */

const MAGIC = 'ATTFEAT1';
const SCALE = 1000;

export interface CachedUtterance {
  id: string;
  speaker: string;
  /** Transcript as given by the corpus (normalise before training). */
  text: string;
  frames: number;
  /** Value offset (not bytes) of this item's first frame in the data block. */
  offset: number;
}

export interface FeatureCacheHeader {
  features: FeatureConfig;
  items: CachedUtterance[];
  /** Utterances the prepare stage could not use, with why, so a rerun need not retry them. */
  skipped?: { id: string; reason: string }[];
}

export class FeatureCache {
  private constructor(
    readonly header: FeatureCacheHeader,
    private readonly data: Int16Array,
  ) {}

  get items(): readonly CachedUtterance[] {
    return this.header.items;
  }

  get bins(): number {
    return this.header.features.nMels;
  }

  /** Total audio frames in the cache. */
  get totalFrames(): number {
    return this.header.items.reduce((s, it) => s + it.frames, 0);
  }

  /** Features of item i as float32 [frames, bins]. */
  features(i: number): Float32Array {
    const it = this.header.items[i];
    const n = it.frames * this.bins;
    const out = new Float32Array(n);
    const src = this.data.subarray(it.offset, it.offset + n);
    for (let k = 0; k < n; k++) out[k] = src[k] / SCALE;
    return out;
  }

  static load(path: string): FeatureCache {
    if (!existsSync(path)) throw new Error(`feature cache ${path} does not exist (run the prepare stage)`);
    const buf = readFileSync(path);
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC)
      throw new Error(`${path} is not an Attune feature cache`);
    const hl = buf.readUInt32LE(8);
    if (12 + hl > buf.length) throw new Error(`${path}: truncated header`);
    let header: FeatureCacheHeader;
    try {
      header = JSON.parse(buf.toString('utf8', 12, 12 + hl)) as FeatureCacheHeader;
    } catch (err) {
      throw new Error(`${path}: header is not valid JSON (${(err as Error).message})`);
    }
    const dataStart = 12 + hl;
    const values = (buf.length - dataStart) >> 1;
    const need = header.items.reduce(
      (m, it) => Math.max(m, it.offset + it.frames * header.features.nMels),
      0,
    );
    if (values < need) throw new Error(`${path}: truncated data (${values} values, index needs ${need})`);
    // Copy into an aligned Int16Array (the Buffer's offset need not be even).
    const data = new Int16Array(values);
    Buffer.from(data.buffer).set(buf.subarray(dataStart, dataStart + values * 2));
    return new FeatureCache(header, data);
  }
}

/** Streams items into a cache file; the file appears under its name only when complete. */
export class FeatureCacheWriter {
  private readonly items: CachedUtterance[] = [];
  private readonly chunks: Int16Array[] = [];
  private offset = 0;

  constructor(
    private readonly path: string,
    private readonly features: FeatureConfig,
  ) {}

  add(item: Omit<CachedUtterance, 'offset'>, data: Float32Array): void {
    if (data.length !== item.frames * this.features.nMels)
      throw new Error(`cache item ${item.id}: wrong feature size`);
    const q = new Int16Array(data.length);
    for (let k = 0; k < data.length; k++)
      q[k] = Math.max(-32767, Math.min(32767, Math.round(data[k] * SCALE)));
    this.items.push({ ...item, offset: this.offset });
    this.chunks.push(q);
    this.offset += q.length;
  }

  /** Writes the file; `skipped` records the utterances that were left out and why. */
  finish(skipped: { id: string; reason: string }[] = []): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const header = Buffer.from(
      JSON.stringify({ features: this.features, items: this.items, skipped }),
      'utf8',
    );
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    try {
      const pre = Buffer.alloc(12);
      pre.write(MAGIC, 0, 'latin1');
      pre.writeUInt32LE(header.length, 8);
      writeSync(fd, pre);
      writeSync(fd, header);
      for (const c of this.chunks) writeSync(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
