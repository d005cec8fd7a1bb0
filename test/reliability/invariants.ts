// What must hold in a data folder after Attune was killed at any moment, whatever it was doing. Each check
// returns its problems as sentences (empty: it holds), so the crash tests can assert on them and the soak can
// count and report them. What a scenario itself wrote and was told had been saved is checked by the scenario.
import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { ClipStore } from '../../src-main/store/clips.js';
import { DB_FILE_NAME } from '../../src-main/store/config.js';

/** Names a killed save or removal leaves beside a folder (model/folder-recovery.ts): hidden saves, trash. */
const SAVING = /^\..+\.tmp-\d+-\d+(\.old)?$/;
const REMOVING = /^.+\.trash-\d+-\d+$/;

/** The database as the kill left it opens and passes SQLite's full check, and so does the search index. */
export function databaseProblems(dataDir: string): string[] {
  const file = join(dataDir, DB_FILE_NAME);
  if (!existsSync(file)) return [];
  let db: Database.Database | null = null;
  try {
    db = new Database(file);
    const problems: string[] = [];
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') problems.push(`PRAGMA integrity_check: ${String(check)}`);
    try {
      db.prepare(`INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)`).run();
    } catch (err) {
      problems.push(`the search index fails its check: ${(err as Error).message}`);
    }
    return problems;
  } catch (err) {
    return [`the database cannot be checked: ${(err as Error).message}`];
  } finally {
    db?.close();
  }
}

/** Every clip the database names exists and decodes to audio. */
export async function clipProblems(dataDir: string): Promise<string[]> {
  const file = join(dataDir, DB_FILE_NAME);
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  let rows: { id: number; audio_path: string }[];
  try {
    rows = db
      .prepare('SELECT id, audio_path FROM segments WHERE audio_path IS NOT NULL')
      .all() as typeof rows;
  } finally {
    db.close();
  }
  const clips = new ClipStore(dataDir, 16_000);
  const problems: string[] = [];
  for (const row of rows) {
    try {
      const clip = await clips.read(row.audio_path);
      if (clip.samples.length === 0) problems.push(`the clip of segment ${row.id} holds no audio`);
    } catch (err) {
      problems.push(`the clip of segment ${row.id} (${row.audio_path}): ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * No half-written model folder is visible: every folder in `modelsDir` under a plain name is a whole model
 * that loads. Hidden saves in progress and trash are what a kill may leave; `leftoversAllowed` false (after a
 * restart has recovered) says those must be gone too.
 */
export function modelFolderProblems(modelsDir: string, leftoversAllowed: boolean): string[] {
  if (!existsSync(modelsDir)) return [];
  const problems: string[] = [];
  for (const name of readdirSync(modelsDir)) {
    if (SAVING.test(name) || REMOVING.test(name)) {
      if (!leftoversAllowed)
        problems.push(`${join(modelsDir, name)}: an interrupted save or removal is left`);
      continue;
    }
    if (name.startsWith('.')) continue;
    try {
      loadModelFolder(join(modelsDir, name));
    } catch (err) {
      problems.push(`a model folder that does not load is visible: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** The checks every scenario makes on the data folder right after a kill. */
export async function dataFolderProblems(dataDir: string): Promise<string[]> {
  return [
    ...databaseProblems(dataDir),
    ...(await clipProblems(dataDir)),
    ...modelFolderProblems(join(dataDir, 'models'), true),
  ];
}

/** `actual` is one of `allowed` (the last value acknowledged, or one sent after it without an answer). */
export function oneOf<T>(what: string, actual: T, allowed: readonly T[]): string[] {
  const same = (a: T, b: T) => JSON.stringify(a) === JSON.stringify(b);
  if (allowed.some((a) => same(a, actual))) return [];
  return [
    `${what} is ${JSON.stringify(actual)}, expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`,
  ];
}
