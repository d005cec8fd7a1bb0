// The schema, as numbered steps. Step N brings a database from user_version N-1 to N; db.ts applies the
// missing steps in one transaction. A released step is never edited: change the schema by appending one.
//
// Times are integers, ms since the epoch (segment times: ms from the session's start). JSON columns are
// checked with json_valid so a bad write fails instead of poisoning later reads.

/** PRAGMA application_id of an Attune database ("Attn"), so a foreign SQLite file is recognised. */
export const APPLICATION_ID = 0x4174746e;

export interface Migration {
  version: number;
  /** What the step does, for error messages. */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, segments, corrections, model versions, settings',
    sql: `
      PRAGMA application_id = ${APPLICATION_ID};

      CREATE TABLE model_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label TEXT NOT NULL,
        dir TEXT NOT NULL,
        parent_id INTEGER REFERENCES model_versions(id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
        status TEXT NOT NULL DEFAULT 'candidate'
          CHECK (status IN ('active', 'candidate', 'rejected', 'retired')),
        reason TEXT
      );
      -- At most one active version, whatever the code does; setActive keeps it at exactly one.
      CREATE UNIQUE INDEX model_versions_one_active ON model_versions(status) WHERE status = 'active';

      -- AUTOINCREMENT: ids are never reused, so a stale reference (a UI row, a leftover clip folder
      -- audio/<session>/) can never point at a newer session.
      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ended_at INTEGER,
        device TEXT,
        model_version_id INTEGER REFERENCES model_versions(id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'done', 'interrupted')),
        deleted_at INTEGER
      );
      CREATE INDEX sessions_newest ON sessions(created_at DESC, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX sessions_deleted ON sessions(deleted_at) WHERE deleted_at IS NOT NULL;
      CREATE INDEX sessions_recording ON sessions(status) WHERE status = 'recording';

      CREATE TABLE segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start_ms INTEGER NOT NULL CHECK (start_ms >= 0),
        end_ms INTEGER NOT NULL CHECK (end_ms >= start_ms),
        raw_text TEXT NOT NULL,
        display_text TEXT NOT NULL,
        words TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(words)),
        audio_path TEXT,
        created_at INTEGER NOT NULL,
        edited_at INTEGER,
        UNIQUE (session_id, seq)
      );

      CREATE TABLE corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        before_text TEXT NOT NULL,
        after_text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'trained', 'held-out')),
        model_version_id INTEGER REFERENCES model_versions(id) ON DELETE SET NULL
      );
      CREATE INDEX corrections_segment ON corrections(segment_id);
      CREATE INDEX corrections_status ON corrections(status, segment_id);
      CREATE INDEX corrections_model ON corrections(model_version_id) WHERE model_version_id IS NOT NULL;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'full-text search over segment text',
    // External content: the index stores no second copy of the text; triggers keep it in step with
    // segments.display_text (an UPDATE of other columns leaves it alone). unicode61 with diacritics removed
    // lets "cafe" find "café"; the prefix indexes make the search-as-you-type prefix queries cheap.
    sql: `
      CREATE VIRTUAL TABLE segments_fts USING fts5(
        display_text,
        content = 'segments',
        content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
      );
      CREATE TRIGGER segments_fts_insert AFTER INSERT ON segments BEGIN
        INSERT INTO segments_fts(rowid, display_text) VALUES (new.id, new.display_text);
      END;
      CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN
        INSERT INTO segments_fts(segments_fts, rowid, display_text) VALUES ('delete', old.id, old.display_text);
      END;
      CREATE TRIGGER segments_fts_update AFTER UPDATE OF display_text ON segments BEGIN
        INSERT INTO segments_fts(segments_fts, rowid, display_text) VALUES ('delete', old.id, old.display_text);
        INSERT INTO segments_fts(rowid, display_text) VALUES (new.id, new.display_text);
      END;
      -- Index what an older database already holds.
      INSERT INTO segments_fts(segments_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 3,
    name: 'enrolment: prompted recordings and where each user stands in the prompt set',
    // A correction's source tells the user's fixes from enrolment takes: a take is trained on even when
    // the model heard the prompt right, which a fix that changes nothing never is. An enrolment session
    // is kept apart from dictation by its kind, since its title is the user's to rename.
    sql: `
      ALTER TABLE corrections ADD COLUMN source TEXT NOT NULL DEFAULT 'user'
        CHECK (source IN ('user', 'enrolment'));
      ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'dictation'
        CHECK (kind IN ('dictation', 'enrolment'));

      -- One row per prompt the user has recorded or skipped in an enrolment session. A recorded prompt's
      -- segment holds its clip; re-recording replaces the segment (and with it the old correction).
      CREATE TABLE enrolment_prompts (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        prompt_id TEXT NOT NULL CHECK (length(prompt_id) BETWEEN 1 AND 40),
        status TEXT NOT NULL CHECK (status IN ('recorded', 'skipped')),
        segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, prompt_id),
        CHECK ((status = 'recorded') = (segment_id IS NOT NULL))
      ) WITHOUT ROWID;
      CREATE INDEX enrolment_prompts_segment ON enrolment_prompts(segment_id) WHERE segment_id IS NOT NULL;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
