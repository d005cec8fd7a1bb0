import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { Segments } from './segments.js';
import type { Correction, CorrectionSource, CorrectionStatus, TrainingItem } from './types.js';
import { checkId, checkIds, cleanText } from './validate.js';

interface CorrectionRow {
  id: number;
  segment_id: number;
  before_text: string;
  after_text: string;
  created_at: number;
  status: CorrectionStatus;
  source: CorrectionSource;
  model_version_id: number | null;
}

interface TrainingRow {
  segment_id: number;
  session_id: number;
  correction_ids: string; // JSON array
  text: string;
  raw_text: string;
  audio_path: string | null;
  start_ms: number;
  end_ms: number;
}

export interface TrainingQuery {
  /** Most items returned, oldest correction first. */
  limit?: number; // all
  /** Only segments with a stored clip: without audio there is nothing to train on. */
  requireAudio?: boolean; // true
}

/**
 * Corrections: the user's fixes to a segment's text. Each is a training example for the personal model
 * (pending → trained), or kept aside to measure a new model against (held-out).
 */
export class Corrections {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
    private readonly segments: Segments,
  ) {}

  /**
   * Records that the segment's text should read `afterText`, and shows it: the correction row and the
   * new display text are written in one transaction, so neither exists without the other.
   */
  add(segmentId: number, afterText: string): Correction {
    checkId(segmentId, 'segment');
    const after = cleanText(afterText, 'corrected text', this.config.maxTextChars);
    return this.record(segmentId, after, 'user');
  }

  /**
   * Records what an enrolment take says: the prompt the user read. Unlike a fix, it is kept when the model
   * heard the prompt exactly, since the take is a training example either way. The segment shows the
   * prompt from then on. Runs in the caller's transaction when there is one.
   */
  addTake(segmentId: number, promptText: string): Correction {
    checkId(segmentId, 'segment');
    const after = cleanText(promptText, 'prompt text', this.config.maxTextChars);
    if (after.trim() === '') throw new StoreError('BAD_ARGUMENT', 'a prompt text cannot be empty');
    return this.record(segmentId, after, 'enrolment');
  }

  /** The correction row and the segment's new display text, in one transaction. */
  private record(segmentId: number, after: string, source: 'user' | 'enrolment'): Correction {
    const write = this.db.transaction(() => {
      const segment = this.segments.liveSegment(segmentId);
      // A user's fix that changes nothing is a mistake; an enrolment take is kept either way.
      if (source === 'user' && segment.displayText === after) {
        throw new StoreError('BAD_ARGUMENT', `the correction of segment ${segmentId} changes nothing`);
      }
      const now = this.config.now();
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO corrections (segment_id, before_text, after_text, created_at, status, source)
           VALUES (?, ?, ?, ?, 'pending', ?)`,
        )
        .run(segmentId, segment.displayText, after, now, source);
      this.db
        .prepare('UPDATE segments SET display_text = ?, edited_at = ? WHERE id = ?')
        .run(after, now, segmentId);
      return Number(lastInsertRowid);
    });
    return this.get(write.immediate());
  }

  get(id: number): Correction {
    checkId(id, 'correction');
    const row = this.db.prepare('SELECT * FROM corrections WHERE id = ?').get(id) as
      CorrectionRow | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `correction ${id} does not exist`);
    return rowToCorrection(row);
  }

  /** A segment's corrections, oldest first. */
  forSegment(segmentId: number): Correction[] {
    this.segments.get(segmentId);
    const rows = this.db
      .prepare('SELECT * FROM corrections WHERE segment_id = ? ORDER BY id')
      .all(segmentId) as CorrectionRow[];
    return rows.map(rowToCorrection);
  }

  /**
   * What the trainer has not learnt yet: one item per corrected segment (its newest text), for segments
   * of sessions not in the trash. Older corrections of the same segment come along in correctionIds.
   */
  pending(query: TrainingQuery = {}): TrainingItem[] {
    return this.items('pending', query);
  }

  /** The evaluation set: segments whose corrections were held out of training. */
  heldOut(query: TrainingQuery = {}): TrainingItem[] {
    return this.items('held-out', query);
  }

  /**
   * What some model version has learnt already (its segments' newest text): trained on again by later
   * versions, which may start from a model that never saw them (after a reset to the base model).
   */
  learnt(query: TrainingQuery = {}): TrainingItem[] {
    return this.items('trained', query);
  }

  /** Marks pending corrections as learnt by a model version. Returns how many changed. */
  markTrained(ids: number[], modelVersionId: number): number {
    checkId(modelVersionId, 'model version');
    return this.mark(ids, 'trained', modelVersionId);
  }

  /** Keeps pending corrections out of training, to evaluate models on. Returns how many changed. */
  markHeldOut(ids: number[]): number {
    return this.mark(ids, 'held-out', null);
  }

  counts(): Record<CorrectionStatus, number> {
    const rows = this.db
      .prepare(
        `SELECT c.status, count(*) AS n FROM corrections c
         JOIN segments g ON g.id = c.segment_id JOIN sessions se ON se.id = g.session_id
         WHERE se.deleted_at IS NULL GROUP BY c.status`,
      )
      .all() as { status: CorrectionStatus; n: number }[];
    const counts: Record<CorrectionStatus, number> = { pending: 0, trained: 0, 'held-out': 0 };
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  private mark(ids: number[], status: 'trained' | 'held-out', modelVersionId: number | null): number {
    const list = checkIds(ids, 'correction');
    return this.db.transaction(() => {
      if (modelVersionId !== null) {
        const known = this.db.prepare('SELECT 1 FROM model_versions WHERE id = ?').get(modelVersionId);
        if (!known) throw new StoreError('NOT_FOUND', `model version ${modelVersionId} does not exist`);
      }
      const read = this.db.prepare('SELECT status FROM corrections WHERE id = ?').pluck();
      for (const id of list) {
        const current = read.get(id) as CorrectionStatus | undefined;
        if (current === undefined) throw new StoreError('NOT_FOUND', `correction ${id} does not exist`);
        if (current !== 'pending') {
          throw new StoreError('INVALID_STATE', `correction ${id} is ${current}, not pending`);
        }
      }
      const update = this.db.prepare('UPDATE corrections SET status = ?, model_version_id = ? WHERE id = ?');
      for (const id of list) update.run(status, modelVersionId, id);
      return list.length;
    })();
  }

  private items(status: CorrectionStatus, query: TrainingQuery): TrainingItem[] {
    const limit = query.limit ?? -1; // SQLite: a negative LIMIT means none
    if (query.limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new StoreError('BAD_ARGUMENT', `limit must be a whole number ≥ 1, got ${query.limit}`);
    }
    const requireAudio = query.requireAudio ?? true;
    const rows = this.db
      .prepare(
        `SELECT c.segment_id, g.session_id, json_group_array(c.id) AS correction_ids,
           (SELECT c2.after_text FROM corrections c2 WHERE c2.segment_id = c.segment_id
              ORDER BY c2.id DESC LIMIT 1) AS text,
           g.raw_text, g.audio_path, g.start_ms, g.end_ms
         FROM (SELECT * FROM corrections WHERE status = ? ORDER BY id) c
         JOIN segments g ON g.id = c.segment_id
         JOIN sessions se ON se.id = g.session_id
         WHERE se.deleted_at IS NULL AND (? = 0 OR g.audio_path IS NOT NULL)
         GROUP BY c.segment_id
         ORDER BY min(c.id)
         LIMIT ?`,
      )
      .all(status, requireAudio ? 1 : 0, limit) as TrainingRow[];
    return rows.map((r) => ({
      segmentId: r.segment_id,
      sessionId: r.session_id,
      correctionIds: (JSON.parse(r.correction_ids) as number[]).sort((a, b) => a - b),
      text: r.text,
      rawText: r.raw_text,
      audioPath: r.audio_path,
      startMs: r.start_ms,
      endMs: r.end_ms,
    }));
  }
}

export function rowToCorrection(row: CorrectionRow): Correction {
  return {
    id: row.id,
    segmentId: row.segment_id,
    beforeText: row.before_text,
    afterText: row.after_text,
    createdAt: row.created_at,
    status: row.status,
    source: row.source,
    modelVersionId: row.model_version_id,
  };
}
