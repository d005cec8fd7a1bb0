import { PHONE_SCORING_VERSION } from '../speech/front-end.js';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AUDIO_READER_VERSION } from '../speech/audio.js';
import { type FeatureConfig } from '../speech/features.js';
import { frontEndBins } from '../speech/front-end.js';
import { processAlive } from '../process/process-alive.js';

/**
 * Features (front-end.ts) of a whole corpus split in one file, computed once by the prepare stage and
 * read by every training epoch. Values are stored as int16 at 1/1000 resolution (log-mel lies in
 * about [-23, 15], phone log-posteriors in [-30, 0]; 0.001 is far below what the model can resolve),
 * half the size of float32, so a 25-hour corpus of log-mel fits in ~1.5 GB of memory.
 *
 * File: "ATTFEAT1", u32 header length, JSON header
 * { features, bins, items: [{ id, speaker, text, frames, offset }], skipped: [{ id, reason }], audioReader },
 * then int16 little-endian values; item i's frames start at byte (dataStart + 2·offset).
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
  /** Values per frame (absent in caches from before phone features, which hold features.nMels). */
  bins?: number;
  items: CachedUtterance[];
  /** Utterances the prepare stage could not use, with why, so a rerun need not retry them. */
  skipped?: { id: string; reason: string }[];
  /** AUDIO_READER_VERSION of the reader that decoded the audio (absent in caches from before 2). */
  audioReader?: number;
  /** PHONE_SCORING_VERSION of a cache with phone features (absent: before versions were kept, i.e. 1). */
  phoneScoring?: number;
  /**
   * What each utterance's features were computed from, by id: its audio file's stamp (prepare.ts audioStamp),
   * so features of a clip replaced since are not reused (absent in caches from before stamps were kept).
   */
  audio?: Record<string, string>;
  /** What reading the audio tolerated, by utterance (e.g. a FLAC file that ends early). */
  warnings?: { id: string; file: string; warning: string }[];
}

/** What finish() records besides the items. */
export interface FeatureCacheExtras {
  /** Utterances left out, and why. */
  skipped?: { id: string; reason: string }[];
  audio?: Record<string, string>;
  warnings?: { id: string; file: string; warning: string }[];
}

export class FeatureCache {
  private constructor(
    readonly header: FeatureCacheHeader,
    private readonly path: string,
    private readonly fd: number,
    private readonly dataStart: number,
  ) {}

  get items(): readonly CachedUtterance[] {
    return this.header.items;
  }

  get bins(): number {
    return this.header.bins ?? this.header.features.nMels;
  }

  /** Total audio frames in the cache. */
  get totalFrames(): number {
    return this.header.items.reduce((s, it) => s + it.frames, 0);
  }

  /**
   * Features of item i as float32 [frames, bins], read from disk on demand: the operating system's
   * page cache keeps hot data in memory without counting it against the training process.
   */
  features(i: number): Float32Array {
    const it = this.header.items[i];
    const n = it.frames * this.bins;
    const q = new Int16Array(n);
    const bytes = new Uint8Array(q.buffer);
    const got = readSync(this.fd, bytes, 0, bytes.length, this.dataStart + it.offset * 2);
    if (got !== bytes.length) throw new Error(`${this.path}: item ${it.id} is truncated`);
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = q[k] / SCALE;
    return out;
  }

  /** Closes the file (the cache cannot be read afterwards). */
  close(): void {
    closeSync(this.fd);
  }

  static load(path: string): FeatureCache {
    if (!existsSync(path)) throw new Error(`feature cache ${path} does not exist (run the prepare stage)`);
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const pre = Buffer.alloc(12);
      readSync(fd, pre, 0, 12, 0);
      if (size < 12 || pre.toString('latin1', 0, 8) !== MAGIC)
        throw new Error(`${path} is not an Attune feature cache`);
      const hl = pre.readUInt32LE(8);
      if (12 + hl > size) throw new Error(`${path}: truncated header`);
      const head = Buffer.alloc(hl);
      readSync(fd, head, 0, hl, 12);
      let header: FeatureCacheHeader;
      try {
        header = JSON.parse(head.toString('utf8')) as FeatureCacheHeader;
      } catch (err) {
        throw new Error(`${path}: header is not valid JSON (${(err as Error).message})`);
      }
      const dataStart = 12 + hl;
      const values = Math.floor((size - dataStart) / 2);
      const bins = header.bins ?? header.features.nMels;
      const need = header.items.reduce((m, it) => Math.max(m, it.offset + it.frames * bins), 0);
      if (values < need) throw new Error(`${path}: truncated data (${values} values, index needs ${need})`);
      return new FeatureCache(header, path, fd, dataStart);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }
}

/**
 * Streams items into a cache file; the file appears under its name only when complete. Values go to a
 * side file as they arrive (memory holds one item, not the corpus); `finish` writes the header, whose
 * length is known only then, and copies the values after it.
 */
export class FeatureCacheWriter {
  private readonly items: CachedUtterance[] = [];
  private offset = 0;
  private readonly dataPath: string;
  private dataFd: number | null;

  /** bins: values per frame, frontEndBins(features) unless given (features whose sphinx folder is relative). */
  constructor(
    private readonly path: string,
    private readonly features: FeatureConfig,
    private readonly bins: number = frontEndBins(features),
  ) {
    mkdirSync(dirname(path), { recursive: true });
    removeLeftovers(path);
    this.dataPath = `${path}.values-${process.pid}`;
    this.dataFd = openSync(this.dataPath, 'w');
  }

  add(item: Omit<CachedUtterance, 'offset'>, data: Float32Array): void {
    if (this.dataFd === null) throw new Error(`feature cache ${this.path} is already finished`);
    if (data.length !== item.frames * this.bins) throw new Error(`cache item ${item.id}: wrong feature size`);
    const q = new Int16Array(data.length);
    for (let k = 0; k < data.length; k++)
      q[k] = Math.max(-32767, Math.min(32767, Math.round(data[k] * SCALE)));
    writeSync(this.dataFd, new Uint8Array(q.buffer));
    this.items.push({ ...item, offset: this.offset });
    this.offset += q.length;
  }

  /** Writes the file, with what `extras` records of its making (see FeatureCacheHeader). */
  finish(extras: FeatureCacheExtras = {}): void {
    if (this.dataFd === null) throw new Error(`feature cache ${this.path} is already finished`);
    closeSync(this.dataFd);
    this.dataFd = null;
    const header = Buffer.from(
      JSON.stringify({
        features: this.features,
        bins: this.bins,
        items: this.items,
        skipped: extras.skipped ?? [],
        ...(extras.audio ? { audio: extras.audio } : {}),
        ...(extras.warnings?.length ? { warnings: extras.warnings } : {}),
        audioReader: AUDIO_READER_VERSION,
        ...(this.features.phones ? { phoneScoring: PHONE_SCORING_VERSION } : {}),
      }),
      'utf8',
    );
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    const src = openSync(this.dataPath, 'r');
    try {
      const pre = Buffer.alloc(12);
      pre.write(MAGIC, 0, 'latin1');
      pre.writeUInt32LE(header.length, 8);
      writeSync(fd, pre);
      writeSync(fd, header);
      const buf = Buffer.alloc(8 << 20);
      for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0;) writeSync(fd, buf, 0, n);
      fsyncSync(fd);
    } finally {
      closeSync(src);
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    rmSync(this.dataPath, { force: true });
  }

  /** Gives up: removes the side file (the cache file itself was never created). */
  discard(): void {
    if (this.dataFd !== null) closeSync(this.dataFd);
    this.dataFd = null;
    rmSync(this.dataPath, { force: true });
  }
}

/**
 * Removes the side and temporary files of writers of this cache that were killed before they finished: they
 * can be as large as the cache itself, and nothing else would ever remove them. A live writer's are kept.
 */
function removeLeftovers(path: string): void {
  const own = new RegExp(`^${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(values|tmp)-(\\d+)$`);
  for (const name of readdirSync(dirname(path))) {
    const m = own.exec(name);
    if (m && Number(m[2]) !== process.pid && !processAlive(Number(m[2])))
      rmSync(join(dirname(path), name), { force: true });
  }
}
