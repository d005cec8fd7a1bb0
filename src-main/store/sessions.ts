import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { rowToSegment, type SegmentRow } from './segments.js';
import type { Page, PageOptions, Segment, Session, SessionStatus, SessionSummary } from './types.js';
import { checkId, checkPage, cleanOptionalLine, cleanTitle } from './validate.js';

interface SessionRow {
  id: number;
  title: string;
  created_at: number;
  ended_at: number | null;
  device: string | null;
  model_version_id: number | null;
  status: SessionStatus;
  deleted_at: number | null;
}

interface SummaryRow extends SessionRow {
  segment_count: number;
  correction_count: number;
  duration_ms: number;
  preview: string | null;
}

export interface NewSession {
  /** Defaults to "Dictation <local date and time>". */
  title?: string;
  device?: string | null;
  modelVersionId?: number | null;
  /** 'enrolment': the prompted recordings of an enrolment (see enrolment.ts). */
  kind?: SessionKind;
}

export type SessionKind = 'dictation' | 'enrolment';

export interface ListSessionsOptions extends PageOptions {
  /** List the trash (newest deletion first) instead of the live sessions (newest first). */
  deleted?: boolean;
}

const MAX_DEVICE_CHARS = 200;
/** Segments read to build a preview; a preview of 160 characters never needs more. */
const PREVIEW_SEGMENTS = 4;

// Counts and preview come from correlated subqueries, run only for the rows of the page.
const SUMMARY_COLUMNS = `
  se.*,
  (SELECT count(*) FROM segments g WHERE g.session_id = se.id) AS segment_count,
  (SELECT count(*) FROM corrections c JOIN segments g ON g.id = c.segment_id
     WHERE g.session_id = se.id) AS correction_count,
  coalesce((SELECT max(g.end_ms) FROM segments g WHERE g.session_id = se.id), 0) AS duration_ms,
  (SELECT group_concat(display_text, ' ') FROM
     (SELECT display_text FROM segments g WHERE g.session_id = se.id ORDER BY seq LIMIT ${PREVIEW_SEGMENTS})
  ) AS preview`;

/** Sessions: a dictation from start to stop, with soft delete (a trash the user can restore from). */
export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
  ) {}

  create(opts: NewSession = {}): Session {
    const now = this.config.now();
    const title =
      opts.title === undefined ? defaultTitle(now) : cleanTitle(opts.title, this.config.maxTitleChars);
    const device = cleanOptionalLine(opts.device, 'device', MAX_DEVICE_CHARS);
    const modelVersionId = opts.modelVersionId == null ? null : checkId(opts.modelVersionId, 'model version');
    if (modelVersionId !== null) {
      const known = this.db.prepare('SELECT 1 FROM model_versions WHERE id = ?').get(modelVersionId);
      if (!known) throw new StoreError('NOT_FOUND', `model version ${modelVersionId} does not exist`);
    }
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO sessions (title, created_at, device, model_version_id, status, kind)
         VALUES (?, ?, ?, ?, 'recording', ?)`,
      )
      .run(title, now, device, modelVersionId, opts.kind === 'enrolment' ? 'enrolment' : 'dictation');
    return this.get(Number(lastInsertRowid));
  }

  /** The session, in the trash or not. */
  get(id: number): Session {
    const row = this.find(id);
    if (!row) throw notFound(id);
    return row;
  }

  find(id: number): Session | undefined {
    checkId(id, 'session');
    const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return row && rowToSession(row);
  }

  /** Ends a recording session ('done'). */
  end(id: number): Session {
    const session = this.get(id);
    if (session.status !== 'recording') {
      throw new StoreError('INVALID_STATE', `session ${id} is not recording (it is ${session.status})`);
    }
    this.db
      .prepare(`UPDATE sessions SET status = 'done', ended_at = ? WHERE id = ?`)
      .run(this.config.now(), id);
    return this.get(id);
  }

  rename(id: number, title: string): Session {
    const clean = cleanTitle(title, this.config.maxTitleChars);
    this.live(id);
    this.db.prepare('UPDATE sessions SET title = ? WHERE id = ?').run(clean, id);
    return this.get(id);
  }

  /** Moves a session to the trash. Deleting it again keeps the first deletion time. */
  delete(id: number): Session {
    this.get(id);
    this.db
      .prepare('UPDATE sessions SET deleted_at = coalesce(deleted_at, ?) WHERE id = ?')
      .run(this.config.now(), id);
    return this.get(id);
  }

  /** Takes a session out of the trash (a no-op for a live one). */
  restore(id: number): Session {
    this.get(id);
    this.db.prepare('UPDATE sessions SET deleted_at = NULL WHERE id = ?').run(id);
    return this.get(id);
  }

  /**
   * Erases sessions that have been in the trash for at least olderThanMs, with their segments and
   * corrections (cascade). Returns their ids, so their audio can be removed too (Store does that).
   */
  purgeDeleted(olderThanMs: number): number[] {
    if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
      throw new StoreError('BAD_ARGUMENT', `olderThanMs must be a number of ms ≥ 0, got ${olderThanMs}`);
    }
    const cutoff = this.config.now() - olderThanMs;
    return this.db.transaction(() => {
      const ids = this.db
        .prepare('SELECT id FROM sessions WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY id')
        .pluck()
        .all(cutoff) as number[];
      const erase = this.db.prepare('DELETE FROM sessions WHERE id = ?');
      for (const id of ids) erase.run(id);
      return ids;
    })();
  }

  /** Erases one session now; it must be in the trash first, so nothing is erased by a single slip. */
  purge(id: number): void {
    const session = this.get(id);
    if (session.deletedAt === null) {
      throw new StoreError('INVALID_STATE', `session ${id} is not in the trash; delete it first`);
    }
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  /** Newest first, with counts and a preview; or the trash, most recently deleted first. */
  list(opts: ListSessionsOptions = {}): Page<SessionSummary> {
    const { limit, offset } = checkPage(opts);
    const where = opts.deleted ? 'se.deleted_at IS NOT NULL' : 'se.deleted_at IS NULL';
    const order = opts.deleted ? 'se.deleted_at DESC, se.id DESC' : 'se.created_at DESC, se.id DESC';
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM sessions se WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(limit, offset) as SummaryRow[];
    const total = Number(this.db.prepare(`SELECT count(*) FROM sessions se WHERE ${where}`).pluck().get());
    return { items: rows.map((r) => this.rowToSummary(r)), total };
  }

  /** Summaries of the given sessions, in the order of `ids` (search results use this). */
  summaries(ids: number[]): SessionSummary[] {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM sessions se WHERE se.id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as SummaryRow[];
    const byId = new Map(rows.map((r) => [r.id, this.rowToSummary(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** A session with its segments in order. */
  withSegments(id: number): { session: Session; segments: Segment[] } {
    return this.db.transaction(() => {
      const session = this.get(id);
      const rows = this.db
        .prepare('SELECT * FROM segments WHERE session_id = ? ORDER BY seq')
        .all(id) as SegmentRow[];
      return { session, segments: rows.map(rowToSegment) };
    })();
  }

  /**
   * Sessions still 'recording' when the store opens were cut off by a crash or power loss: mark them
   * 'interrupted', ended at their last segment (or at their start). Their segments are all kept.
   */
  recoverInterrupted(): number[] {
    return this.db.transaction(() => {
      const ids = this.db
        .prepare(`SELECT id FROM sessions WHERE status = 'recording' ORDER BY id`)
        .pluck()
        .all() as number[];
      this.db
        .prepare(
          `UPDATE sessions SET status = 'interrupted',
             ended_at = coalesce(ended_at,
               (SELECT max(g.created_at) FROM segments g WHERE g.session_id = sessions.id), created_at)
           WHERE status = 'recording'`,
        )
        .run();
      return ids;
    })();
  }

  /** The session, which must not be in the trash (for changes). */
  live(id: number): Session {
    const session = this.get(id);
    if (session.deletedAt !== null) {
      throw new StoreError('INVALID_STATE', `session ${id} is in the trash; restore it first`);
    }
    return session;
  }

  private rowToSummary(row: SummaryRow): SessionSummary {
    return {
      ...rowToSession(row),
      segmentCount: row.segment_count,
      correctionCount: row.correction_count,
      durationMs: row.duration_ms,
      preview: cutAtWord((row.preview ?? '').replace(/\s+/g, ' ').trim(), this.config.previewChars),
    };
  }
}

function rowToSession(row: SessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    device: row.device,
    modelVersionId: row.model_version_id,
    status: row.status,
    deletedAt: row.deleted_at,
  };
}

function notFound(id: number): StoreError {
  return new StoreError('NOT_FOUND', `session ${id} does not exist`);
}

/** "Dictation 2026-11-25 15:53" in local time. */
function defaultTitle(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `Dictation ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Cuts text to at most max characters, at a word boundary when one is near, adding an ellipsis. */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
