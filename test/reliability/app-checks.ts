// The checks shared by the scenarios that kill the whole app: what a restart must show, and what a kill must
// leave. Problems are sentences; none means the invariants held.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DB_FILE_NAME } from '../../src-main/store/config.js';
import { type Killed, orphanProblems, type RunningApp } from './app-process.js';
import { dataFolderProblems } from './invariants.js';

/** Runs a read-only query on the data folder's database (safe beside a running app: WAL readers). */
export function query<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const file = join(dataDir, DB_FILE_NAME);
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The folder of the version the store calls active, if any. */
export function activeModelDir(dataDir: string): string | null {
  return (
    query<{ dir: string }>(dataDir, `SELECT dir FROM model_versions WHERE status = 'active'`)[0]?.dir ?? null
  );
}

/** How long a restarted app may take to settle on its active model (it may be recording a job's result). */
const SETTLE_MS = 15_000;

/**
 * A restarted app runs: it answers, the engine runs the model the store calls active, and no session still
 * reads as recording (the one a kill cut short is marked interrupted).
 *
 * A restart may be recording a job the kill left finished: the engine loads the new model, then the store
 * names it active. The store is read before and after the engine is asked, and the answer counts only when
 * both reads agree; a mismatch is a problem only if it lasts.
 */
export async function restartProblems(app: RunningApp, dataDir: string): Promise<string[]> {
  const problems: string[] = [];
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const before = activeModelDir(dataDir);
    const info = await app.api.call('system.info', {});
    const after = activeModelDir(dataDir);
    const settled = before === after;
    if (settled && (after === null || resolve(info.model.dir) === resolve(after))) break;
    if (Date.now() > deadline) {
      problems.push(`after the restart the engine runs ${info.model.dir}, not the active model ${after}`);
      break;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  const recording = query<{ id: number }>(dataDir, `SELECT id FROM sessions WHERE status = 'recording'`);
  if (recording.length > 0)
    problems.push(
      `after the restart sessions ${recording.map((s) => s.id).join(', ')} still read as recording`,
    );
  return problems;
}

/** What every kill must leave: no process outliving the app, and a sound data folder. */
export async function killProblems(killed: Killed, dataDir: string): Promise<string[]> {
  return [...orphanProblems(killed), ...(await dataFolderProblems(dataDir))];
}
