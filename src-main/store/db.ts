// Opening attune.db: check that the file is ours and not damaged, set the connection up, bring the schema
// up to date. Every failure is a StoreError that names the file; nothing here ever deletes or rewrites a
// file it does not recognise (moveAsideDatabase does that, only when the user asks).

import Database from 'better-sqlite3';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { DB_FILE_NAME, type StoreConfig } from './config.js';
import { describeFsError, StoreError } from './errors.js';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** Every SQLite 3 database file starts with these 16 bytes, in a header of 100. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const SQLITE_HEADER_BYTES = 100;

export interface OpenedDatabase {
  db: Db;
  /** Absolute path of attune.db. */
  file: string;
  /** 'wal' normally; 'delete' etc. on file systems without shared memory (some network drives). */
  journalMode: string;
  /** Schema version found on disk (0 for a new file) and the version now. */
  migratedFrom: number;
  migratedTo: number;
}

/**
 * Opens (creating when needed) dataDir/attune.db and migrates it to the latest schema.
 *
 * Connection settings:
 * - WAL journal: readers never block the writer, and a commit is one sequential append to the -wal file.
 * - synchronous=NORMAL: with WAL this never corrupts the database. A commit reaches the OS before the
 *   statement returns, so a crash of the app (even SIGKILL) loses nothing committed; only a power cut or
 *   OS crash can lose the last few commits before a checkpoint, and then they roll back cleanly. That
 *   trade is right for dictation (one fsync per checkpoint instead of per segment). Without WAL (not
 *   supported on the file system) it is FULL.
 * - foreign_keys=ON: SQLite leaves them off by default; the cascades in the schema rely on them.
 * - busy timeout: a second connection (a reader, a backup) waits for a lock instead of failing at once.
 */
export function openDatabase(config: StoreConfig): OpenedDatabase {
  ensureDataDir(config.dataDir);
  const file = join(config.dataDir, DB_FILE_NAME);
  checkHeader(file);

  let db: Db;
  try {
    db = new Database(file, { timeout: config.busyTimeoutMs });
  } catch (err) {
    throw openError(err, file);
  }
  try {
    checkIdentity(db, file);
    const journalMode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
    db.pragma(`synchronous = ${journalMode === 'wal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // Triggers and views may run only built-in, side-effect-free functions.
    db.pragma('trusted_schema = OFF');
    if (config.checkOnOpen) quickCheck(db, file);
    const { from, to } = migrate(db, file);
    return { db, file, journalMode, migratedFrom: from, migratedTo: to };
  } catch (err) {
    db.close();
    throw err instanceof StoreError ? err : openError(err, file);
  }
}

/**
 * Applies the missing schema steps up to `target`, all in one IMMEDIATE transaction (so two processes
 * opening a new file cannot both migrate it, and a failed step leaves the file as it was).
 */
export function migrate(db: Db, file: string, target = LATEST_VERSION): { from: number; to: number } {
  const run = db.transaction(() => {
    const from = userVersion(db);
    if (from > LATEST_VERSION) throw tooNew(file, from);
    for (const step of MIGRATIONS) {
      if (step.version <= from || step.version > target) continue;
      try {
        db.exec(step.sql);
        db.pragma(`user_version = ${step.version}`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new StoreError(
          'MIGRATION_FAILED',
          `${file}: updating the database to schema ${step.version} (${step.name}) failed: ${reason}; ` +
            'the file was left unchanged',
          file,
          { cause: err },
        );
      }
    }
    return { from, to: Math.max(from, Math.min(target, LATEST_VERSION)) };
  });
  return run.immediate();
}

export function userVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Renames attune.db (and its -wal and -shm files) to attune.db.unreadable-<time>, so the app can start
 * afresh after the user chose to. The store must be closed. Returns the new path of the database file.
 */
export function moveAsideDatabase(dataDir: string, now = new Date()): string {
  const file = join(dataDir, DB_FILE_NAME);
  if (!existsSync(file)) throw new StoreError('NOT_FOUND', `${file} does not exist`, file);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const aside = `${file}.unreadable-${stamp}`;
  if (existsSync(aside)) throw new StoreError('EXISTS', `${aside} already exists`, aside);
  try {
    // The -wal file holds committed data; it must travel with the main file or that data is lost.
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
    }
    renameSync(file, aside);
  } catch (err) {
    throw new StoreError('IO_ERROR', `cannot rename ${file}: ${describeFsError(err)}`, file, { cause: err });
  }
  return aside;
}

/**
 * Looks at an existing file's first bytes before SQLite opens it. SQLite, given a file that is not a
 * database next to an attune.db-wal, deletes that -wal on close; checking first keeps every file as it was.
 */
function checkHeader(file: string): void {
  let handle: number | undefined;
  try {
    const info = statSync(file);
    if (info.isDirectory())
      throw new StoreError('NOT_A_DATABASE', `${file} is a folder, not a database file`, file);
    if (info.size === 0) return; // SQLite makes an empty file a new database
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    handle = openSync(file, 'r');
    const got = readSync(handle, head, 0, head.length, 0);
    if (got < head.length || !head.equals(SQLITE_MAGIC) || info.size < SQLITE_HEADER_BYTES) {
      throw new StoreError(
        'NOT_A_DATABASE',
        `${file} is not an Attune database (it is not an SQLite file); it was left untouched`,
        file,
      );
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError('UNWRITABLE', `cannot read ${file}: ${describeFsError(err)}`, file, { cause: err });
  } finally {
    if (handle !== undefined) closeSync(handle);
  }
}

function ensureDataDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
    if (!isDir) throw new StoreError('UNWRITABLE', `data folder ${dir} is a file, not a folder`, dir);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new StoreError('UNWRITABLE', `data folder ${dir}: ${describeFsError(err)}`, dir, { cause: err });
    }
  }
  try {
    if (!isDir) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const what = isDir ? 'cannot write to data folder' : 'cannot create data folder';
    throw new StoreError('UNWRITABLE', `${what} ${dir}: ${describeFsError(err)}`, dir, { cause: err });
  }
}

/** Refuses files that are not SQLite, SQLite files of another application, and newer Attune schemas. */
function checkIdentity(db: Db, file: string): void {
  const appId = Number(db.pragma('application_id', { simple: true }));
  const version = userVersion(db);
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new StoreError(
      'NOT_A_DATABASE',
      `${file} is an SQLite database of another application (application_id 0x${appId.toString(16)}), ` +
        'not an Attune database',
      file,
    );
  }
  if (appId === 0) {
    const objects = Number(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
    if (objects > 0 || version !== 0) {
      throw new StoreError(
        'NOT_A_DATABASE',
        `${file} is an SQLite database that Attune did not create (it has ${objects} tables or ` +
          'indexes but no Attune mark); it was left untouched',
        file,
      );
    }
  }
  if (version > LATEST_VERSION) throw tooNew(file, version);
}

function quickCheck(db: Db, file: string): void {
  const problems = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
  const found = problems.map((r) => r.quick_check).filter((m) => m !== 'ok');
  if (found.length > 0) {
    throw new StoreError(
      'CORRUPT',
      `${file} is damaged (${found.join('; ')}); it was left untouched. ` +
        'Restore it from a backup, or move it aside to start a new one.',
      file,
    );
  }
}

function tooNew(file: string, version: number): StoreError {
  return new StoreError(
    'TOO_NEW',
    `${file} was written by a newer version of Attune (schema ${version}; this version knows up to ` +
      `${LATEST_VERSION}). Update Attune to open it; the file was left untouched.`,
    file,
  );
}

/**
 * Maps what SQLite reports when a write fails (a full disk, a folder made read-only, an I/O error) to a
 * StoreError that says what the user can do; other errors are returned as they are.
 */
export function writeError(err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL') {
    return new StoreError(
      'UNWRITABLE',
      `the disk holding ${file} is full: free some space to go on; everything stored before is kept`,
      file,
      { cause: err },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR')) {
    const reason = err instanceof Error ? err.message : String(err);
    return new StoreError(
      'UNWRITABLE',
      `cannot write ${file} (${reason}); everything stored before is kept`,
      file,
      { cause: err },
    );
  }
  return err;
}

/** Maps what SQLite reports while opening to a StoreError naming the file. */
function openError(err: unknown, file: string): StoreError {
  const code = (err as { code?: string }).code ?? '';
  const reason = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB') {
    return new StoreError(
      'NOT_A_DATABASE',
      `${file} is not an Attune database (not an SQLite file, or an encrypted or badly damaged one); ` +
        'it was left untouched',
      file,
      { cause: err },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(
      'CORRUPT',
      `${file} is damaged (${reason}); it was left untouched. ` +
        'Restore it from a backup, or move it aside to start a new one.',
      file,
      { cause: err },
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new StoreError('UNWRITABLE', `cannot open ${file} for writing: ${reason}`, file, { cause: err });
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreError('IO_ERROR', `${file} is locked by another program: ${reason}`, file, {
      cause: err,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError('UNWRITABLE', `cannot write ${file}: the disk is full`, file, { cause: err });
  }
  return new StoreError('IO_ERROR', `cannot open ${file}: ${reason}`, file, { cause: err });
}
