import type { StoreConfig } from './config.js';
import type { Corrections } from './corrections.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { Sessions } from './sessions.js';
import type { Correction, Session } from './types.js';
import { checkId } from './validate.js';

/**
 * Enrolment in the database: an enrolment is a session of kind 'enrolment' (titled "Enrolment", listed in
 * History like any other) whose segments are the user's readings of prompts, each with a correction to
 * the prompt's text so that personal training learns from it. Which prompts were recorded or skipped is
 * kept per session, so an enrolment can stop and go on after a restart. The prompt texts themselves are
 * the app's (resources/enrolment/prompts.txt); the store knows prompts by id only.
 */
export type EnrolmentItemStatus = 'recorded' | 'skipped';

export interface EnrolmentItem {
  promptId: string;
  status: EnrolmentItemStatus;
  /** The take's segment (its clip, what the model heard); null for a skipped prompt. */
  segmentId: number | null;
  /** Length of the take's clip span, in ms (0 when skipped). */
  durationMs: number;
  /** What the model heard in the take (the segment's raw text); null when skipped. */
  heard: string | null;
  updatedAt: number;
}

/** The title new enrolment sessions get (the user may rename it). */
export const ENROLMENT_TITLE = 'Enrolment';

const PROMPT_ID = /^[A-Za-z0-9_-]{1,40}$/;

interface ItemRow {
  prompt_id: string;
  status: EnrolmentItemStatus;
  segment_id: number | null;
  updated_at: number;
  start_ms: number | null;
  end_ms: number | null;
  raw_text: string | null;
}

export class Enrolment {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
    private readonly sessions: Sessions,
    private readonly corrections: Corrections,
  ) {}

  /** The enrolment going on: the newest enrolment session not in the trash; null before the first. */
  current(): Session | null {
    const id = this.db
      .prepare(
        `SELECT id FROM sessions WHERE kind = 'enrolment' AND deleted_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      )
      .pluck()
      .get() as number | undefined;
    return id === undefined ? null : this.sessions.get(id);
  }

  /** Whether the user ever started an enrolment (one in the trash counts). */
  everStarted(): boolean {
    return this.db.prepare(`SELECT 1 FROM sessions WHERE kind = 'enrolment' LIMIT 1`).get() !== undefined;
  }

  /**
   * The current enrolment, or a new one. Its session is ended at once: takes are added one by one over
   * days, and a session left 'recording' would read as interrupted at the next start.
   */
  open(device: string | null): Session {
    return this.db.transaction(() => {
      const current = this.current();
      if (current) return current;
      const session = this.sessions.create({ title: ENROLMENT_TITLE, device, kind: 'enrolment' });
      return this.sessions.end(session.id);
    })();
  }

  /** Every recorded or skipped prompt of an enrolment session, by prompt id. */
  items(sessionId: number): EnrolmentItem[] {
    checkId(sessionId, 'session');
    const rows = this.db
      .prepare(
        `SELECT e.prompt_id, e.status, e.segment_id, e.updated_at, g.start_ms, g.end_ms, g.raw_text
         FROM enrolment_prompts e LEFT JOIN segments g ON g.id = e.segment_id
         WHERE e.session_id = ? ORDER BY e.prompt_id`,
      )
      .all(sessionId) as ItemRow[];
    return rows.map((r) => ({
      promptId: r.prompt_id,
      status: r.status,
      segmentId: r.segment_id,
      durationMs: r.end_ms === null || r.start_ms === null ? 0 : r.end_ms - r.start_ms,
      heard: r.raw_text,
      updatedAt: r.updated_at,
    }));
  }

  /** Where the next take goes on the session's timeline: after the last one, in ms. */
  endOfTakes(sessionId: number): number {
    checkId(sessionId, 'session');
    return Number(
      this.db
        .prepare('SELECT coalesce(max(end_ms), 0) FROM segments WHERE session_id = ?')
        .pluck()
        .get(sessionId),
    );
  }

  /** Marks a prompt skipped (it is offered again once every other prompt is done). */
  skip(sessionId: number, promptId: string): EnrolmentItem {
    checkPromptId(promptId);
    this.sessions.live(sessionId);
    const existing = this.items(sessionId).find((i) => i.promptId === promptId);
    if (existing?.status === 'recorded') {
      throw new StoreError(
        'INVALID_STATE',
        `prompt ${promptId} is already recorded; record it again to replace the take, or go on to the next`,
      );
    }
    this.db
      .prepare(
        `INSERT INTO enrolment_prompts (session_id, prompt_id, status, segment_id, updated_at)
         VALUES (?, ?, 'skipped', NULL, ?)
         ON CONFLICT (session_id, prompt_id) DO UPDATE SET updated_at = excluded.updated_at`,
      )
      .run(sessionId, promptId, this.config.now());
    return this.items(sessionId).find((i) => i.promptId === promptId)!;
  }

  /**
   * Makes a stored segment the take of a prompt: records the prompt's text as its correction (trained on
   * even when the model heard it right) and, when the prompt had a take already, deletes that one's
   * segment with its corrections. All in one transaction. Returns the old take's clip path, for removal.
   */
  attachTake(
    sessionId: number,
    promptId: string,
    segmentId: number,
    promptText: string,
  ): { correction: Correction; replaced: { segmentId: number; audioPath: string | null } | null } {
    checkPromptId(promptId);
    checkId(segmentId, 'segment');
    return this.db.transaction(() => {
      this.sessions.live(sessionId);
      const old = this.db
        .prepare(
          `SELECT g.id, g.audio_path FROM enrolment_prompts e JOIN segments g ON g.id = e.segment_id
           WHERE e.session_id = ? AND e.prompt_id = ?`,
        )
        .get(sessionId, promptId) as { id: number; audio_path: string | null } | undefined;
      const owner = this.db.prepare('SELECT session_id FROM segments WHERE id = ?').pluck().get(segmentId);
      if (owner !== sessionId) {
        throw new StoreError(
          'BAD_ARGUMENT',
          `segment ${segmentId} is not part of enrolment session ${sessionId}`,
        );
      }
      const correction = this.corrections.addTake(segmentId, promptText);
      this.db
        .prepare(
          `INSERT INTO enrolment_prompts (session_id, prompt_id, status, segment_id, updated_at)
           VALUES (?, ?, 'recorded', ?, ?)
           ON CONFLICT (session_id, prompt_id) DO UPDATE SET
             status = 'recorded', segment_id = excluded.segment_id, updated_at = excluded.updated_at`,
        )
        .run(sessionId, promptId, segmentId, this.config.now());
      if (old && old.id !== segmentId) this.db.prepare('DELETE FROM segments WHERE id = ?').run(old.id);
      return {
        correction,
        replaced: old && old.id !== segmentId ? { segmentId: old.id, audioPath: old.audio_path } : null,
      };
    })();
  }

  /** Removes a segment that never became a take (its clip could not be written). */
  discardSegment(segmentId: number): void {
    checkId(segmentId, 'segment');
    this.db.prepare('DELETE FROM segments WHERE id = ?').run(segmentId);
  }
}

function checkPromptId(promptId: unknown): asserts promptId is string {
  if (typeof promptId !== 'string' || !PROMPT_ID.test(promptId)) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `a prompt id is 1 to 40 letters, digits, - or _, got ${JSON.stringify(promptId)}`,
    );
  }
}
