import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NgramTrie } from './ngram-trie.js';
import { WordLm } from './word-lm.js';
import { processAlive } from '../process/process-alive.js';
import { writeFileAtomic } from '../process/atomic-write.js';

/**
 * A language model's snapshot: the arrays `WordLm` scores with, written as they lie in memory, so that a
 * model whose n-grams take a second or more to sort into a trie loads in the time it takes to read the file.
 * Snapshots live in a cache folder, one per source file, and are made again whenever the source changes.
 *
 * Layout (little-endian):
 *
 *   0   8 bytes   magic "ATLMSNAP"
 *   8   uint32    format version
 *   12  uint32    header length H
 *   16  H bytes   header, JSON (SnapshotHeader), then zero padding to a multiple of 8
 *   …   sections  word strings (UTF-8, one per line), then the trie's word and first (int32), the log-probs
 *                 and back-off weights (float32), each at the offset the header gives (a multiple of 8)
 */
export interface LmCacheConfig {
  /** The cache folder (made when missing). */
  dir: string;
  /** Source files smaller than this load fast enough as they are: no snapshot (bytes). */
  minSourceBytes: number;
  /** Snapshots kept in the folder; the least recently used beyond this are deleted. */
  keep: number;
}

export const DEFAULT_LM_CACHE: Omit<LmCacheConfig, 'dir'> = {
  // An ARPA file of 1 MB builds in ~50 ms; the shipped 27 MB model takes 1–2 s.
  minSourceBytes: 1_000_000,
  // The shipped model and a custom one or two.
  keep: 3,
};

const MAGIC = 'ATLMSNAP';
/** Raised when the layout or the meaning of a stored value changes: older snapshots are made again. */
const FORMAT_VERSION = 2; // 2: values as float32 (were float64)

/** What a snapshot says about itself: where it came from and where its sections are. */
interface SnapshotHeader {
  /** The source file's identity (path, size, modification time) when the snapshot was made. */
  source: string;
  order: number;
  orphans: number;
  vocabulary: number;
  orderStart: number[];
  /** [byte offset, element count] of each section. */
  sections: Record<SectionName, [number, number]>;
}

type SectionName = 'words' | 'word' | 'first' | 'logProb' | 'backoff';

/** How a model was loaded: from its snapshot, or from the source (and whether a snapshot was made). */
export interface LmLoad {
  lm: WordLm;
  from: 'snapshot' | 'source';
  /** Why the snapshot could not be used or written, if it could not (the model loads all the same). */
  snapshotProblem?: string;
}

/**
 * Loads a language model (ARPA or sphinx `.lm.bin`), from its snapshot in the cache when there is a current
 * one; otherwise from the file, then writing the snapshot. A cache that cannot be read or written never
 * stops the model from loading: the problem is reported beside it.
 */
export function loadLanguageModel(path: string, cache: LmCacheConfig | null): LmLoad {
  const source = cache ? sourceIdentity(path) : null;
  // No cache, a file too small to need one, or one that cannot be read (the reader then says why).
  if (!cache || !source || source.bytes < cache.minSourceBytes)
    return { lm: WordLm.load(path), from: 'source' };
  const file = join(
    cache.dir,
    `${createHash('sha1').update(resolve(path)).digest('hex').slice(0, 16)}.lmsnap`,
  );
  let problem: string | undefined;
  try {
    const lm = readSnapshot(file, source.id, path);
    if (lm) {
      touch(file);
      return { lm, from: 'snapshot' };
    }
  } catch (err) {
    problem = `snapshot ${file} unusable (${(err as Error).message}); made again`;
  }
  const lm = WordLm.load(path);
  try {
    writeSnapshot(file, lm, source.id);
    prune(cache);
  } catch (err) {
    problem = `snapshot ${file} not written: ${(err as Error).message}`;
  }
  return { lm, from: 'source', snapshotProblem: problem };
}

function sourceIdentity(path: string): { id: string; bytes: number } | null {
  try {
    const st = statSync(path);
    return { id: `${resolve(path)}|${st.size}|${st.mtimeMs}`, bytes: st.size };
  } catch {
    return null;
  }
}

/** The snapshot's model; null when there is none or it was made from another version of the source. */
function readSnapshot(file: string, sourceId: string, path: string): WordLm | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  // Typed arrays need their element alignment: a large file's bytes start their own buffer, a small one's
  // may sit inside a shared pool.
  const buf = bytes.byteOffset === 0 ? bytes : Buffer.from(Uint8Array.prototype.slice.call(bytes).buffer);
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a snapshot');
  if (buf.readUInt32LE(8) !== FORMAT_VERSION) return null;
  const headerBytes = buf.readUInt32LE(12);
  if (16 + headerBytes > buf.length) throw new Error('truncated header');
  const header = JSON.parse(buf.toString('utf8', 16, 16 + headerBytes)) as SnapshotHeader;
  if (header.source !== sourceId) return null;
  const section = (name: SectionName, size: number): [number, number] => {
    const [offset, count] = header.sections[name] ?? [-1, -1];
    if (!(offset >= 0 && offset % 8 === 0 && count >= 0 && offset + count * size <= buf.length))
      throw new Error(`section ${name} lies outside the file (truncated?)`);
    return [offset, count];
  };
  const [wordsAt, wordsLength] = section('words', 1);
  const words = buf.toString('utf8', wordsAt, wordsAt + wordsLength).split('\n');
  if (words.length !== header.vocabulary)
    throw new Error(`${words.length} words, the header says ${header.vocabulary}`);
  const ints = (name: SectionName) => new Int32Array(buf.buffer, ...section(name, 4));
  const floats = (name: SectionName) => new Float32Array(buf.buffer, ...section(name, 4));
  const trie = NgramTrie.fromArrays({
    vocabulary: header.vocabulary,
    word: ints('word'),
    first: ints('first'),
    orderStart: header.orderStart,
  });
  const logProb = floats('logProb');
  const backoff = floats('backoff');
  if (logProb.length !== trie.size || backoff.length !== trie.withChildren)
    throw new Error('value sections do not match the trie');
  return new WordLm({ order: header.order, words, trie, logProb, backoff, orphans: header.orphans }, path);
}

/** Writes the snapshot beside its final name, then renames it: a reader never sees half a file. */
function writeSnapshot(file: string, lm: WordLm, sourceId: string): void {
  const parts = lm.parts();
  const arrays = parts.trie.arrays();
  const words = Buffer.from(parts.words.join('\n'), 'utf8');
  const blobs: [SectionName, Uint8Array, number][] = [
    ['words', words, words.length],
    ['word', bytesOf(arrays.word), arrays.word.length],
    ['first', bytesOf(arrays.first), arrays.first.length],
    ['logProb', bytesOf(parts.logProb), parts.logProb.length],
    ['backoff', bytesOf(parts.backoff), parts.backoff.length],
  ];
  // Offsets depend on the header's length, which depends on the offsets' digits: pad the header generously.
  const header: SnapshotHeader = {
    source: sourceId,
    order: parts.order,
    orphans: parts.orphans,
    vocabulary: arrays.vocabulary,
    orderStart: arrays.orderStart,
    sections: {} as SnapshotHeader['sections'],
  };
  const headerRoom = align8(Buffer.byteLength(JSON.stringify(header)) + 5 * 40 + 64);
  let at = 16 + headerRoom;
  for (const [name, blob, count] of blobs) {
    header.sections[name] = [at, count];
    at = align8(at + blob.length);
  }
  const head = Buffer.alloc(16 + headerRoom);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(FORMAT_VERSION, 8);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > headerRoom) throw new Error('snapshot header larger than its room');
  head.writeUInt32LE(json.length, 12);
  json.copy(head, 16);
  const pieces: Uint8Array[] = [head];
  let length = head.length;
  for (const [, blob] of blobs) {
    pieces.push(blob, Buffer.alloc(align8(length + blob.length) - length - blob.length));
    length = align8(length + blob.length);
  }
  mkdirSync(resolve(file, '..'), { recursive: true });
  // Piece by piece: one buffer of the whole would double the memory the model already takes.
  writeFileAtomic(file, pieces);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function bytesOf(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Marks a snapshot used now, for pruning by least recent use. */
function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // a read-only cache still serves its snapshots
  }
}

/** Deletes the least recently used snapshots beyond `keep`, and leftovers of writers that died. */
function prune(cache: LmCacheConfig): void {
  const entries = readdirSync(cache.dir)
    .filter((f) => /\.lmsnap(\.tmp-\d+)?$/.test(f))
    .map((f) => ({ f, st: statSync(join(cache.dir, f)) }));
  const stale = entries.filter((e) => e.f.includes('.tmp-') && !processAlive(Number(e.f.split('.tmp-')[1])));
  const snapshots = entries.filter((e) => !e.f.includes('.tmp-')).sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
  for (const e of [...stale, ...snapshots.slice(cache.keep)]) rmSync(join(cache.dir, e.f), { force: true });
}
