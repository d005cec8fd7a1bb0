// Audio clips: one 16 kHz mono 16-bit WAV per segment at dataDir/audio/<session>/<segment>.wav, named by
// the row's relative path. Writes are atomic (temporary file, fsync, rename: speech/audio.ts writeWav), so
// a clip is either whole or absent, never half-written. Whether clips are written at all is the
// keepAudio setting's decision, made by the Store.

import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../process/process-alive.js';
import { AudioError, readAudio, writeWav } from '../speech/audio.js';
import { AUDIO_DIR_NAME } from './config.js';
import { describeFsError, StoreError } from './errors.js';
import { checkId, show } from './validate.js';

export interface ClipAudio {
  samples: Float32Array; // [sampleRate * durationSec] mono, in [-1, 1]
  sampleRate: number; // Hz
  durationSec: number;
}

export interface RemovedAudio {
  files: number;
  bytes: number;
}

/** The only shape a stored clip path may have; anything else is refused before touching the disk. */
const CLIP_PATH = /^audio\/([1-9]\d*)\/([1-9]\d*)\.wav$/;
/**
 * writeWav's temporary files (".<name>.<pid>-<random>.tmp"): left behind by a killed process, or being written
 * right now by a running one (this app, while the sweep runs during dictation), which must keep it.
 */
const TEMP_FILE = /^\..*\.(\d+)-[0-9a-f]+\.tmp$/;
const isLeftoverTemp = (name: string) => {
  const m = TEMP_FILE.exec(name);
  return m !== null && !processAlive(Number(m[1]));
};

export class ClipStore {
  /** dataDir/audio */
  readonly root: string;

  constructor(
    private readonly dataDir: string,
    /** The rate every clip is stored at, in Hz. */
    readonly sampleRate: number,
  ) {
    this.root = join(dataDir, AUDIO_DIR_NAME);
  }

  /** audio/<session>/<segment>.wav, with forward slashes on every platform (it is stored in the row). */
  relativePath(sessionId: number, segmentId: number): string {
    return `${AUDIO_DIR_NAME}/${checkId(sessionId, 'session')}/${checkId(segmentId, 'segment')}.wav`;
  }

  absolutePath(relative: string): string {
    const m = typeof relative === 'string' ? CLIP_PATH.exec(relative) : null;
    if (!m) throw new StoreError('BAD_ARGUMENT', `not an audio clip path: ${JSON.stringify(relative)}`);
    return join(this.root, m[1], `${m[2]}.wav`);
  }

  /** The segment id a clip path names. */
  segmentIdOf(relative: string): number {
    const m = typeof relative === 'string' ? CLIP_PATH.exec(relative) : null;
    if (!m) throw new StoreError('BAD_ARGUMENT', `not an audio clip path: ${JSON.stringify(relative)}`);
    return Number(m[2]);
  }

  /** Writes a segment's clip atomically and returns its relative path. */
  async write(
    sessionId: number,
    segmentId: number,
    samples: Float32Array,
    sampleRate: number,
  ): Promise<string> {
    const relative = this.relativePath(sessionId, segmentId);
    this.checkAudio(samples, sampleRate);
    const file = this.absolutePath(relative);
    try {
      await mkdir(join(this.root, String(sessionId)), { recursive: true });
      await writeWav(file, samples, sampleRate);
    } catch (err) {
      const reason = err instanceof AudioError ? err.message : describeFsError(err);
      throw new StoreError('UNWRITABLE', `cannot write audio clip ${file}: ${reason}`, file, { cause: err });
    }
    return relative;
  }

  /** Refuses audio that cannot be stored as a clip (checked before a segment's row is written). */
  checkAudio(samples: unknown, sampleRate: unknown): void {
    if (!(samples instanceof Float32Array) || samples.length === 0) {
      throw new StoreError(
        'BAD_ARGUMENT',
        `clip audio must be a non-empty Float32Array, got ${show(samples)}`,
      );
    }
    if (sampleRate !== this.sampleRate) {
      throw new StoreError(
        'BAD_ARGUMENT',
        `clips are stored at ${this.sampleRate} Hz; got audio at ${show(sampleRate)} Hz (resample it first)`,
      );
    }
    for (let i = 0; i < samples.length; i++) {
      if (!Number.isFinite(samples[i])) {
        throw new StoreError(
          'BAD_ARGUMENT',
          `clip audio sample ${i} is ${samples[i]}: audio must be finite numbers`,
        );
      }
    }
  }

  /** Reads a clip back; CLIP_MISSING when its file is gone, CLIP_UNREADABLE when it is not a usable WAV. */
  async read(relative: string): Promise<ClipAudio> {
    const file = this.absolutePath(relative);
    try {
      const audio = await readAudio(file, { sampleRate: this.sampleRate });
      return { samples: audio.samples, sampleRate: audio.sampleRate, durationSec: audio.durationSec };
    } catch (err) {
      if (err instanceof AudioError && err.code === 'ENOENT') {
        throw new StoreError('CLIP_MISSING', `audio clip ${file} is missing`, file, { cause: err });
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreError('CLIP_UNREADABLE', `audio clip ${file} cannot be read: ${reason}`, file, {
        cause: err,
      });
    }
  }

  async exists(relative: string): Promise<boolean> {
    return (await stat(this.absolutePath(relative)).catch(() => null))?.isFile() ?? false;
  }

  /** Removes one clip (a replaced recording); a clip already gone is no error. */
  async deleteClip(relative: string): Promise<void> {
    const file = this.absolutePath(relative);
    try {
      await rm(file, { force: true });
    } catch (err) {
      throw new StoreError('IO_ERROR', `cannot remove ${file}: ${describeFsError(err)}`, file, {
        cause: err,
      });
    }
  }

  /** Removes a session's clip folder. */
  async deleteSession(sessionId: number): Promise<RemovedAudio> {
    return this.remove(join(this.root, String(checkId(sessionId, 'session'))));
  }

  /** Removes every stored clip (the whole audio folder). */
  async deleteAll(): Promise<RemovedAudio> {
    return this.remove(this.root);
  }

  /**
   * Removes clip files no row refers to (`keep` says which are referenced) and temporary files left by a
   * killed write (not those of a running process), then empty session folders. Returns the relative paths
   * removed.
   */
  async sweep(keep: (relative: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (const session of await listDir(this.root)) {
      const dir = join(this.root, session);
      if (!(await lstat(dir)).isDirectory()) continue;
      const names = await listDir(dir);
      let left = names.length;
      for (const name of names) {
        const relative = `${AUDIO_DIR_NAME}/${session}/${name}`;
        const orphan = CLIP_PATH.test(relative) && !keep(relative);
        if (orphan || isLeftoverTemp(name)) {
          await rm(join(dir, name), { force: true });
          removed.push(relative);
          left--;
        }
      }
      if (left === 0) await rm(dir, { recursive: true, force: true });
    }
    return removed;
  }

  private async remove(dir: string): Promise<RemovedAudio> {
    const counted = await countFiles(dir);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw new StoreError('IO_ERROR', `cannot remove ${dir}: ${describeFsError(err)}`, dir, { cause: err });
    }
    return counted;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StoreError('IO_ERROR', `cannot list ${dir}: ${describeFsError(err)}`, dir, { cause: err });
  }
}

async function countFiles(path: string): Promise<RemovedAudio> {
  const info = await lstat(path).catch(() => null);
  if (!info) return { files: 0, bytes: 0 };
  if (!info.isDirectory()) return { files: 1, bytes: info.size };
  const total = { files: 0, bytes: 0 };
  for (const name of await listDir(path)) {
    const sub = await countFiles(join(path, name));
    total.files += sub.files;
    total.bytes += sub.bytes;
  }
  return total;
}
