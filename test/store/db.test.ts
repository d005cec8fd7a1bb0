import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveStoreConfig } from '../../src-main/store/config.js';
import { migrate, moveAsideDatabase, openDatabase, userVersion } from '../../src-main/store/db.js';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from '../../src-main/store/migrations.js';
import { Store } from '../../src-main/store/store.js';
import { cleanUp, expectStoreError, tempDir } from './store-helpers.js';

const dirs: string[] = [];
function freshDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
afterEach(() => cleanUp(...dirs.splice(0)));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The schema as SQLite holds it, to compare before and after a reopen. */
function schemaOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all() as object[]).map(
      (r) => JSON.stringify(r),
    );
  } finally {
    db.close();
  }
}

describe('openDatabase', () => {
  it('creates dataDir and attune.db with WAL, NORMAL sync, foreign keys, busy timeout and the latest schema', () => {
    const dataDir = join(freshDir(), 'nested', 'data');
    const { db, file, journalMode, migratedFrom, migratedTo } = openDatabase(
      resolveStoreConfig({ dataDir, busyTimeoutMs: 1234 }),
    );
    try {
      expect(file).toBe(join(dataDir, 'attune.db'));
      expect(existsSync(file)).toBe(true);
      expect(journalMode).toBe('wal');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(userVersion(db)).toBe(LATEST_VERSION);
      expect([migratedFrom, migratedTo]).toEqual([0, LATEST_VERSION]);
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
      for (const t of ['sessions', 'segments', 'corrections', 'model_versions', 'settings', 'segments_fts']) {
        expect(tables).toContain(t);
      }
    } finally {
      db.close();
    }
  });

  it('numbers its migrations 1, 2, … without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
  });

  it('reopens idempotently: no migration runs, schema and data stay as they were', () => {
    const dataDir = freshDir();
    const first = Store.open({ dataDir });
    const session = first.sessions.create({ title: 'Kept' });
    first.segments.append(session.id, { startMs: 0, endMs: 500, rawText: 'still here' });
    first.close();
    const before = schemaOf(join(dataDir, 'attune.db'));

    for (let i = 0; i < 2; i++) {
      const again = Store.open({ dataDir });
      expect([again.info.migratedFrom, again.info.migratedTo]).toEqual([LATEST_VERSION, LATEST_VERSION]);
      expect(again.sessions.withSegments(session.id).segments.map((s) => s.rawText)).toEqual(['still here']);
      again.close();
    }
    expect(schemaOf(join(dataDir, 'attune.db'))).toEqual(before);
  });

  it('migrates a schema-1 database with data to the latest, indexing the existing text for search', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    const old = new Database(file);
    expect(migrate(old, file, 1)).toEqual({ from: 0, to: 1 });
    old.prepare(`INSERT INTO sessions (id, title, created_at, status) VALUES (1, 'Old', 1, 'done')`).run();
    const insert = old.prepare(
      `INSERT INTO segments (session_id, seq, start_ms, end_ms, raw_text, display_text, created_at)
       VALUES (1, ?, 0, 10, ?, ?, 1)`,
    );
    insert.run(0, 'written before search existed', 'Written before search existed.');
    insert.run(1, 'a second line', 'A second line.');
    old.close();

    const store = Store.open({ dataDir });
    try {
      expect([store.info.migratedFrom, store.info.migratedTo]).toEqual([1, LATEST_VERSION]);
      const found = store.search('existed');
      expect(found.sessions.map((h) => h.session.id)).toEqual([1]);
      expect(found.sessions[0].matches[0].snippet.text).toBe('Written before search existed.');
      const check = new Database(file);
      expect(() =>
        check.prepare(`INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)`).run(),
      ).not.toThrow();
      check.close();
    } finally {
      store.close();
    }
  });

  it('applies a failing migration not at all: MIGRATION_FAILED, the file stays at its old version', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    const old = new Database(file);
    migrate(old, file, 1);
    // Something already named like the search index: schema step 2 cannot create it.
    old.exec('CREATE TABLE segments_fts (x)');
    old.close();

    expectStoreError(() => Store.open({ dataDir }), 'MIGRATION_FAILED', file, 'schema 2', 'left unchanged');
    const check = new Database(file);
    expect(userVersion(check)).toBe(1);
    expect(check.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`).pluck().get()).toBe(0);
    check.close();
  });

  it('enforces foreign keys on its connection', () => {
    const { db } = openDatabase(resolveStoreConfig({ dataDir: freshDir() }));
    try {
      expect(() =>
        db
          .prepare(
            `INSERT INTO segments (session_id, seq, start_ms, end_ms, raw_text, display_text, created_at)
             VALUES (999, 0, 0, 1, 'x', 'x', 1)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });

  it('opens a zero-byte attune.db (a crash right after creating it) as a new database', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, 'attune.db'), '');
    const store = Store.open({ dataDir });
    expect(store.info.migratedFrom).toBe(0);
    store.close();
  });
});

describe('openDatabase refuses what it cannot safely use, naming the file and leaving it untouched', () => {
  it('a file that is not SQLite', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    writeFileSync(file, 'These are my notes, not a database.\n'.repeat(200));
    const hash = sha(file);
    const err = expectStoreError(
      () => Store.open({ dataDir }),
      'NOT_A_DATABASE',
      file,
      'not an Attune database',
    );
    expect(err.file).toBe(file);
    expect(sha(file)).toBe(hash);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('an Attune database with damaged pages', () => {
    const dataDir = freshDir();
    const store = Store.open({ dataDir });
    const s = store.sessions.create({ title: 'Soon damaged' });
    for (let i = 0; i < 200; i++) {
      store.segments.append(s.id, {
        startMs: i * 10,
        endMs: i * 10 + 5,
        rawText: `segment number ${i} `.repeat(8),
      });
    }
    store.close(); // checkpoints: everything is in attune.db itself
    const file = store.info.file;
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Keep page 1 (header and schema), scribble over the rest.
    for (let at = pageSize * 2; at < bytes.length; at += 97) bytes[at] = (at * 31) & 0xff;
    writeFileSync(file, bytes);
    const hash = sha(file);
    expectStoreError(() => Store.open({ dataDir }), 'CORRUPT', file, 'damaged');
    expect(sha(file)).toBe(hash);
  });

  it('an SQLite database of another program', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    const other = new Database(file);
    other.exec('CREATE TABLE recipes (name TEXT)');
    other.close();
    const hash = sha(file);
    expectStoreError(() => Store.open({ dataDir }), 'NOT_A_DATABASE', file, 'did not create');
    expect(sha(file)).toBe(hash); // not even switched to WAL
  });

  it('an SQLite database marked with another application id', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    const other = new Database(file);
    other.pragma('application_id = 1234');
    other.close();
    expectStoreError(() => Store.open({ dataDir }), 'NOT_A_DATABASE', file, 'another application');
  });

  it('a database from a newer Attune', () => {
    const dataDir = freshDir();
    Store.open({ dataDir }).close();
    const file = join(dataDir, 'attune.db');
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_VERSION + 3}`);
    db.close();
    const hash = sha(file);
    expectStoreError(
      () => Store.open({ dataDir }),
      'TOO_NEW',
      file,
      `schema ${LATEST_VERSION + 3}`,
      'newer version of Attune',
    );
    expect(sha(file)).toBe(hash);
  });

  it('a data folder that is a file, or lies under one', () => {
    const parent = freshDir();
    const notADir = join(parent, 'data');
    writeFileSync(notADir, 'x');
    expectStoreError(() => Store.open({ dataDir: notADir }), 'UNWRITABLE', notADir, 'is a file');
    const under = join(notADir, 'inner');
    expectStoreError(() => Store.open({ dataDir: under }), 'UNWRITABLE', under);
  });

  it('attune.db that is a folder', () => {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'attune.db'));
    expectStoreError(
      () => Store.open({ dataDir }),
      'NOT_A_DATABASE',
      join(dataDir, 'attune.db'),
      'is a folder',
    );
  });

  // File permissions do not bind root; CI runs as root, so this runs only for ordinary users.
  it.skipIf(process.getuid?.() === 0)('a data folder without write permission', () => {
    const dataDir = freshDir();
    chmodSync(dataDir, 0o500);
    try {
      expectStoreError(() => Store.open({ dataDir }), 'UNWRITABLE', dataDir, 'permission denied');
    } finally {
      chmodSync(dataDir, 0o700);
    }
  });

  it('a missing or blank dataDir, and bad options', () => {
    expectStoreError(() => Store.open({ dataDir: '' }), 'BAD_ARGUMENT', 'dataDir');
    expectStoreError(
      () => Store.open({ dataDir: freshDir(), snippetTokens: 100 }),
      'BAD_ARGUMENT',
      'snippetTokens',
    );
    expectStoreError(
      () => Store.open({ dataDir: freshDir(), maxTextChars: -1 }),
      'BAD_ARGUMENT',
      'maxTextChars',
    );
  });
});

describe('moveAsideDatabase', () => {
  it('renames a bad file with its -wal aside on request, so a new database can start', () => {
    const dataDir = freshDir();
    const file = join(dataDir, 'attune.db');
    writeFileSync(file, 'not a database at all, but the user may want it back');
    writeFileSync(`${file}-wal`, 'wal bytes');
    expectStoreError(() => Store.open({ dataDir }), 'NOT_A_DATABASE', file);

    const aside = moveAsideDatabase(dataDir, new Date(Date.UTC(2026, 4, 6, 7, 8, 9)));
    expect(aside).toBe(`${file}.unreadable-2026-05-06T07-08-09-000Z`);
    expect(readFileSync(aside, 'utf8')).toBe('not a database at all, but the user may want it back');
    expect(readFileSync(`${aside}-wal`, 'utf8')).toBe('wal bytes');
    expect(existsSync(file)).toBe(false);

    const store = Store.open({ dataDir });
    expect(store.info.migratedFrom).toBe(0);
    store.close();
  });

  it('reports a missing file instead of inventing one', () => {
    const dataDir = freshDir();
    expectStoreError(() => moveAsideDatabase(dataDir), 'NOT_FOUND', join(dataDir, 'attune.db'));
  });
});
