/** What went wrong, for callers that react differently (the UI offers "move aside" for NOT_A_DATABASE). */
export type StoreErrorCode =
  | 'BAD_ARGUMENT' // an id, text or option the caller passed is not acceptable
  | 'NOT_FOUND' // the session, segment, correction or model version does not exist
  | 'INVALID_STATE' // the operation does not fit the record's state (ending a finished session, ...)
  | 'UNWRITABLE' // the data folder or a file in it cannot be created or written
  | 'NOT_A_DATABASE' // attune.db is not an SQLite file, or an SQLite file of another application
  | 'CORRUPT' // attune.db is an SQLite file whose pages are damaged
  | 'TOO_NEW' // attune.db was written by a newer Attune, whose schema this version does not know
  | 'MIGRATION_FAILED' // bringing attune.db's schema up to date failed (nothing was changed)
  | 'CLIP_MISSING' // a segment refers to an audio clip whose file is gone
  | 'CLIP_UNREADABLE' // the clip file exists but is not a usable WAV file
  | 'EXISTS' // an export target exists and the caller asked not to replace or rename
  | 'IO_ERROR'; // any other file system failure

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The file or folder concerned, when there is one. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A short human reason for a Node file system error code. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOENT':
      return 'no such file or folder';
    case 'EEXIST':
      return 'it already exists';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
