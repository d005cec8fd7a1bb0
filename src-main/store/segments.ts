import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { NewSegment, Segment, Word } from './types.js';
import { checkId, checkSpan, checkWords, cleanText } from './validate.js';

export interface SegmentRow {
  id: number;
  session_id: number;
  seq: number;
  start_ms: number;
  end_ms: number;
  raw_text: string;
  display_text: string;
  words: string;
  audio_path: string | null;
  created_at: number;
  edited_at: number | null;
}

/** Segments: the utterances of a session, each committed on its own as the recogniser finalises it. */
export class Segments {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
  ) {}

  /**
   * Adds a segment at the end of a session, in its own transaction: once this returns the segment is on
   * disk (it survives the app being killed). The session must exist and not be in the trash.
   */
  append(sessionId: number, segment: NewSegment): Segment {
    checkId(sessionId, 'session');
    if (segment === null || typeof segment !== 'object') {
      throw new StoreError('BAD_ARGUMENT', 'a segment must be an object with startMs, endMs and rawText');
    }
    const { startMs, endMs } = checkSpan(segment.startMs, segment.endMs);
    const rawText = cleanText(segment.rawText, 'segment text', this.config.maxTextChars);
    const displayText =
      segment.displayText === undefined
        ? rawText
        : cleanText(segment.displayText, 'segment display text', this.config.maxTextChars);
    const words = checkWords(segment.words, this.config.maxWordsPerSegment);

    const insert = this.db.transaction(() => {
      const session = this.db.prepare('SELECT deleted_at FROM sessions WHERE id = ?').get(sessionId) as
        { deleted_at: number | null } | undefined;
      if (!session) throw new StoreError('NOT_FOUND', `session ${sessionId} does not exist`);
      if (session.deleted_at !== null) {
        throw new StoreError('INVALID_STATE', `session ${sessionId} is in the trash; restore it first`);
      }
      const seq = Number(
        this.db
          .prepare('SELECT coalesce(max(seq), -1) + 1 FROM segments WHERE session_id = ?')
          .pluck()
          .get(sessionId),
      );
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO segments (session_id, seq, start_ms, end_ms, raw_text, display_text, words, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(sessionId, seq, startMs, endMs, rawText, displayText, JSON.stringify(words), this.config.now());
      return Number(lastInsertRowid);
    });
    // IMMEDIATE: take the write lock before reading max(seq), so two writers cannot pick the same seq.
    return this.get(insert.immediate());
  }

  get(id: number): Segment {
    checkId(id, 'segment');
    const row = this.db.prepare('SELECT * FROM segments WHERE id = ?').get(id) as SegmentRow | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `segment ${id} does not exist`);
    return rowToSegment(row);
  }

  /** Replaces the text shown (post-processing, or an edit that is not a correction to learn from). */
  setDisplayText(id: number, text: string): Segment {
    const clean = cleanText(text, 'segment display text', this.config.maxTextChars);
    this.liveSegment(id);
    this.db
      .prepare('UPDATE segments SET display_text = ?, edited_at = ? WHERE id = ?')
      .run(clean, this.config.now(), id);
    return this.get(id);
  }

  /** Records where the segment's clip is (relative to the data folder), or that it has none. */
  setAudioPath(id: number, audioPath: string | null): void {
    checkId(id, 'segment');
    const { changes } = this.db.prepare('UPDATE segments SET audio_path = ? WHERE id = ?').run(audioPath, id);
    if (changes === 0) throw new StoreError('NOT_FOUND', `segment ${id} does not exist`);
  }

  /** The segment, whose session must not be in the trash (for changes). */
  liveSegment(id: number): Segment {
    const segment = this.get(id);
    const deleted = this.db
      .prepare('SELECT deleted_at FROM sessions WHERE id = ?')
      .pluck()
      .get(segment.sessionId) as number | null;
    if (deleted !== null) {
      throw new StoreError(
        'INVALID_STATE',
        `segment ${id} belongs to session ${segment.sessionId}, which is in the trash; restore it first`,
      );
    }
    return segment;
  }
}

export function rowToSegment(row: SegmentRow): Segment {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    startMs: row.start_ms,
    endMs: row.end_ms,
    rawText: row.raw_text,
    displayText: row.display_text,
    words: JSON.parse(row.words) as Word[],
    audioPath: row.audio_path,
    createdAt: row.created_at,
    editedAt: row.edited_at,
  };
}
