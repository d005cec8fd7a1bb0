import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Writing a file so that whoever reads it, even after a crash or a power cut, finds the old content or the
 * new, never a part: the data goes to a temporary file beside it (named by this process, so two writers do
 * not share one), is flushed to the disk, and is renamed over the file (a rename within a folder is atomic).
 */

/** Writes `data` (one piece or several, written in turn) to `path` and flushes it to the disk. */
export function writeFileSynced(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const pieces = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  const fd = openSync(path, 'w');
  try {
    for (const piece of pieces) for (let at = 0; at < piece.length;) at += writeSync(fd, piece, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `data` atomically; on failure the file is as it was and no temporary file stays. */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSynced(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Replaces `path` with `value` as indented JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
