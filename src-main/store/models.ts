import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import type { ModelStatus, ModelVersion } from './types.js';
import { checkId, checkJsonObject, cleanOptionalLine, cleanText, show } from './validate.js';

interface ModelRow {
  id: number;
  label: string;
  dir: string;
  parent_id: number | null;
  created_at: number;
  metrics: string;
  status: ModelStatus;
  reason: string | null;
}

/** Statuses a version can be given directly; 'active' only comes through setActive. */
export type SettableModelStatus = Exclude<ModelStatus, 'active'>;

export interface NewModelVersion {
  label: string;
  dir: string;
  parentId?: number | null;
  metrics?: Record<string, unknown>;
  status?: SettableModelStatus; // 'candidate'
  reason?: string | null;
}

export interface ModelVersionChanges {
  label?: string;
  metrics?: Record<string, unknown>;
  status?: SettableModelStatus;
  reason?: string | null;
}

const MAX_LABEL_CHARS = 200;
const MAX_DIR_CHARS = 4096;
const MAX_REASON_CHARS = 2000;
const MAX_METRICS_BYTES = 1 << 20;
const SETTABLE: readonly string[] = ['candidate', 'rejected', 'retired'];

/**
 * Model versions: the shipped model and every fine-tuned one, with how it measured and why it was kept
 * or not. Exactly one is active once the app has set one; the database itself refuses a second.
 */
export class ModelVersions {
  constructor(
    private readonly db: Db,
    private readonly config: StoreConfig,
  ) {}

  create(spec: NewModelVersion): ModelVersion {
    if (spec === null || typeof spec !== 'object') {
      throw new StoreError('BAD_ARGUMENT', 'a model version needs at least a label and a dir');
    }
    const label = cleanLabel(spec.label);
    const dir = cleanText(spec.dir, 'model folder', MAX_DIR_CHARS).trim();
    if (dir === '') throw new StoreError('BAD_ARGUMENT', 'model folder must not be empty');
    const parentId = spec.parentId == null ? null : checkId(spec.parentId, 'parent model version');
    if (parentId !== null) this.get(parentId);
    const metrics = checkJsonObject(spec.metrics ?? {}, 'metrics', MAX_METRICS_BYTES);
    const status = checkStatus(spec.status ?? 'candidate');
    const reason = cleanOptionalLine(spec.reason, 'reason', MAX_REASON_CHARS);
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO model_versions (label, dir, parent_id, created_at, metrics, status, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(label, dir, parentId, this.config.now(), metrics, status, reason);
    return this.get(Number(lastInsertRowid));
  }

  get(id: number): ModelVersion {
    checkId(id, 'model version');
    const row = this.db.prepare('SELECT * FROM model_versions WHERE id = ?').get(id) as ModelRow | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `model version ${id} does not exist`);
    return rowToModel(row);
  }

  /** Newest first. */
  list(): ModelVersion[] {
    const rows = this.db.prepare('SELECT * FROM model_versions ORDER BY id DESC').all() as ModelRow[];
    return rows.map(rowToModel);
  }

  active(): ModelVersion | null {
    const row = this.db.prepare(`SELECT * FROM model_versions WHERE status = 'active'`).get() as
      ModelRow | undefined;
    return row ? rowToModel(row) : null;
  }

  update(id: number, changes: ModelVersionChanges): ModelVersion {
    const current = this.get(id);
    if (changes === null || typeof changes !== 'object') {
      throw new StoreError('BAD_ARGUMENT', `model version changes must be an object, got ${show(changes)}`);
    }
    if (changes.status !== undefined) {
      checkStatus(changes.status);
      if (current.status === 'active') {
        throw new StoreError(
          'INVALID_STATE',
          `model version ${id} is the active one; make another active (setActive) instead of changing its status`,
        );
      }
    }
    const label = changes.label === undefined ? current.label : cleanLabel(changes.label);
    const metrics =
      changes.metrics === undefined
        ? JSON.stringify(current.metrics)
        : checkJsonObject(changes.metrics, 'metrics', MAX_METRICS_BYTES);
    const reason =
      changes.reason === undefined
        ? current.reason
        : cleanOptionalLine(changes.reason, 'reason', MAX_REASON_CHARS);
    this.db
      .prepare('UPDATE model_versions SET label = ?, metrics = ?, status = ?, reason = ? WHERE id = ?')
      .run(label, metrics, changes.status ?? current.status, reason, id);
    return this.get(id);
  }

  /**
   * Makes a version the active one; the one active before becomes 'retired' (its reason says by which).
   * One transaction: there is never a moment with two active versions, or none.
   */
  setActive(id: number, reason: string | null = null): ModelVersion {
    const why = cleanOptionalLine(reason, 'reason', MAX_REASON_CHARS);
    return this.db
      .transaction(() => {
        const target = this.get(id);
        if (target.status === 'active') return target;
        const previous = this.active();
        if (previous) {
          this.db
            .prepare(`UPDATE model_versions SET status = 'retired', reason = ? WHERE id = ?`)
            .run(`replaced by ${target.label} (version ${id})`, previous.id);
        }
        this.db.prepare(`UPDATE model_versions SET status = 'active', reason = ? WHERE id = ?`).run(why, id);
        return this.get(id);
      })
      .immediate();
  }

  /**
   * Forgets a version (its files are the caller's to remove). The active one cannot be deleted;
   * sessions, corrections and child versions that named it keep their rows with the reference cleared.
   */
  delete(id: number): void {
    const version = this.get(id);
    if (version.status === 'active') {
      throw new StoreError('INVALID_STATE', `model version ${id} is active; make another active first`);
    }
    this.db.prepare('DELETE FROM model_versions WHERE id = ?').run(id);
  }
}

function cleanLabel(value: unknown): string {
  const label = cleanOptionalLine(value ?? '', 'model label', MAX_LABEL_CHARS);
  if (label === null) throw new StoreError('BAD_ARGUMENT', 'model label must not be empty');
  return label;
}

function checkStatus(status: unknown): SettableModelStatus {
  if (typeof status !== 'string' || !SETTABLE.includes(status)) {
    const hint = status === 'active' ? ' (use setActive to make a version active)' : '';
    throw new StoreError(
      'BAD_ARGUMENT',
      `model status must be one of ${SETTABLE.join(', ')}, got ${show(status)}${hint}`,
    );
  }
  return status as SettableModelStatus;
}

function rowToModel(row: ModelRow): ModelVersion {
  return {
    id: row.id,
    label: row.label,
    dir: row.dir,
    parentId: row.parent_id,
    createdAt: row.created_at,
    metrics: JSON.parse(row.metrics) as Record<string, unknown>,
    status: row.status,
    reason: row.reason,
  };
}
