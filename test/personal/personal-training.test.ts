// The app's trainer recording a finished job is killed -9 after the new model version is in the database but
// before the job is forgotten (kill-point.ts), then the app starts again: the version is recorded once, the
// job is forgotten, and what killed saves left in the models folder is cleaned up.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { KILL_POINT_ENV } from '../../src-main/model/kill-point.js';
import { Store } from '../../src-main/store/store.js';
import { type PersonalizeResult, saveJob } from '../../src-main/training/personalize.js';
import { saveBiasedModel } from '../model/tiny-model.js';
import { cleanUp, tempDir } from '../store/store-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = 'test/personal/record-child.ts';
const dirs: string[] = [];
afterEach(() => cleanUp(...dirs.splice(0)));
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** A data folder as the trainer process leaves it after a promoted job: the job, its result, the model. */
function finishedJob(): { dataDir: string; outDir: string; workDir: string } {
  const dataDir = tempDir('attune-record-');
  dirs.push(dataDir);
  const outDir = join(dataDir, 'models', 'personal-1');
  const workDir = join(dataDir, 'personal', 'job');
  saveBiasedModel(join(dataDir, 'base'), 1, 'base');
  saveBiasedModel(outDir, 2, 'personal 1');
  saveJob({ workDir, parentDir: join(dataDir, 'base'), outDir, label: 'personal 1', train: [], heldOut: [] });
  const result: PersonalizeResult = {
    status: 'promoted',
    reason: 'promoted: word errors on your 2 held-back corrections fell from 50% to 25%',
    outDir,
    label: 'personal 1',
    metrics: null,
    lexicon: null,
    training: {
      steps: 10,
      bestStep: 10,
      stopped: 'finished',
      recipe: 'corrections',
      speechSeconds: 12,
      userUtterances: 4,
      replayUtterances: 0,
      kept: 1,
    },
    skipped: [],
    warnings: [],
  };
  writeFileSync(join(workDir, 'result.json'), JSON.stringify(result));
  return { dataDir, outDir, workDir };
}

/** Runs the stand-in app; with a kill point, SIGKILLs it there. Resolves with what it printed. */
function runApp(dataDir: string, killPoint?: string): Promise<string> {
  const env = { ...process.env, ...(killPoint ? { [KILL_POINT_ENV]: killPoint } : {}) };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { cwd: ROOT, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (killPoint && err.includes(`kill point ${killPoint}`)) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code, signal) => {
      if (killPoint ? signal === 'SIGKILL' : code === 0) resolve(out);
      else reject(new Error(`stand-in app: code ${code}, signal ${signal}\n${out}${err}`));
    }),
  );
}

/** The pid of a process that has ended (what a killed trainer's leftovers are named by). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('recording a personal model version', () => {
  it('records it once when the app was killed between recording it and forgetting the job', async () => {
    const { dataDir, outDir, workDir } = finishedJob();
    await runApp(dataDir, 'personal-training:recorded');
    // The state the kill left: the version is in the database, active, and the job is still on disk.
    let store = Store.open({ dataDir });
    expect(store.models.list().map((v) => [v.label, v.dir, v.status])).toEqual([
      ['personal 1', outDir, 'active'],
    ]);
    store.close();
    expect(existsSync(join(workDir, 'result.json'))).toBe(true);

    // Leftovers of killed saves and removals by another (dead) process, beside the model folders.
    const pid = deadPid();
    mkdirSync(join(dataDir, 'models', `.personal-2.tmp-${pid}-1`));
    mkdirSync(join(dataDir, 'personal', `job.trash-${pid}-1`));

    expect(await runApp(dataDir)).toBe('recorded\n');
    store = Store.open({ dataDir });
    const versions = store.models.list();
    store.close();
    expect(versions.map((v) => [v.label, v.status])).toEqual([['personal 1', 'active']]);
    expect(existsSync(workDir)).toBe(false);
    expect(readdirSync(join(dataDir, 'models'))).toEqual(['personal-1']);
    expect(readdirSync(join(dataDir, 'personal')).filter((n) => n.includes('job'))).toEqual([]);
  }, 60_000);

  it('records it once when nothing was killed (the plain path still works)', async () => {
    const { dataDir, workDir } = finishedJob();
    expect(await runApp(dataDir)).toBe('recorded\n');
    const store = Store.open({ dataDir });
    expect(store.models.list().map((v) => v.label)).toEqual(['personal 1']);
    store.close();
    expect(existsSync(workDir)).toBe(false);
  }, 60_000);
});
