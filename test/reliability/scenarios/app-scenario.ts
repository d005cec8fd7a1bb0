// What the scenarios that kill the whole app share: a data folder seeded with tiny model versions, and one
// kill point's steps — start the app (the restart after the previous kill, checked), start the workload, wait
// for the moment, SIGKILL, check what the kill left.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../../src-main/store/settings.js';
import { saveTinyModel } from '../../app/app-helpers.js';
import { killProblems, restartProblems } from '../app-checks.js';
import { launchApp, type LaunchOptions, type RunningApp, withApp } from '../app-process.js';
import { type PointResult, sleep } from '../crash-scenario.js';
import { seedDataFolder } from '../seed-data.js';

export interface AppFolder {
  /** Temporary folder of the scenario: data/ and anything the scenario adds. */
  dir: string;
  dataDir: string;
  /** data/models: where the seeded versions live, beside the personal ones. */
  modelsDir: string;
  /** Ids of the seeded model versions, the first active. */
  versionIds: number[];
  /** Starts the app on the folder. */
  launch(opts?: Partial<LaunchOptions>): Promise<RunningApp>;
  /**
   * The final restart: starts the app, checks it (restartProblems, then `check`), stops it and checks what
   * the stop left.
   */
  finish(check?: (app: RunningApp) => Promise<string[]>): Promise<string[]>;
  remove(): void;
}

type ModelSpec = { label: string; dir: string };

/** One tiny model version, active. */
async function oneTinyModel(modelsDir: string): Promise<ModelSpec[]> {
  await saveTinyModel(join(modelsDir, 'tiny-1'), 1);
  return [{ label: 'tiny 1', dir: join(modelsDir, 'tiny-1') }];
}

/** A new scenario folder whose data folder holds the models `makeModels` saves (default: one tiny one). */
export async function appFolder(
  name: string,
  makeModels: (modelsDir: string) => Promise<ModelSpec[]> = oneTinyModel,
  opts: { settings?: Partial<Settings>; launch?: Partial<LaunchOptions> } = {},
): Promise<AppFolder> {
  const dir = mkdtempSync(join(tmpdir(), `attune-crash-${name}-`));
  const dataDir = join(dir, 'data');
  const modelsDir = join(dataDir, 'models');
  mkdirSync(modelsDir, { recursive: true });
  const versionIds = seedDataFolder(dataDir, {
    models: await makeModels(modelsDir),
    settings: opts.settings,
  });
  const launch = (more: Partial<LaunchOptions> = {}) => launchApp({ ...opts.launch, ...more, dataDir });
  return {
    dir,
    dataDir,
    modelsDir,
    versionIds,
    launch,
    finish: async (check) =>
      withApp(await launch(), async (app) => {
        const problems = await restartProblems(app, dataDir);
        if (check) problems.push(...(await check(app)));
        return [...problems, ...(await killProblems(await app.stop(), dataDir))];
      }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface KillPlan {
  /** Checks of the restarted app beyond restartProblems (what the previous kill must not have lost). */
  afterStart?: (app: RunningApp) => Promise<string[]>;
  /** Starts the workload; returns what stops it, which says what was done by then. */
  work: (app: RunningApp) => Promise<() => string> | (() => string);
  /** When the kill comes, in ms after the workload started. */
  delayMs: number;
  /** After what, in words ("after dictation started"). */
  what: string;
  /** Checks of what the workload was told was saved, on the data folder as the kill left it. */
  afterKill?: () => Promise<string[]>;
}

/** One kill point on an app scenario's folder. */
export async function killAppAt(f: AppFolder, plan: KillPlan): Promise<PointResult> {
  return withApp(await f.launch(), async (app) => {
    const problems = await restartProblems(app, f.dataDir);
    if (plan.afterStart) problems.push(...(await plan.afterStart(app)));
    const stop = await plan.work(app);
    await sleep(plan.delayMs);
    const killed = await app.kill();
    const done = stop();
    problems.push(...(await killProblems(killed, f.dataDir)));
    if (plan.afterKill) problems.push(...(await plan.afterKill()));
    return { moment: `${(plan.delayMs / 1000).toFixed(2)} s ${plan.what} (${done})`, problems };
  });
}

/**
 * Runs `step` again and again, each after the last has finished, until stopped or until a step fails (the
 * kill: its request got no answer). Returns what stops it, which gives the number of steps completed.
 */
export function repeat(step: () => Promise<void>): () => number {
  let going = true;
  let done = 0;
  void (async () => {
    while (going) {
      try {
        await step();
      } catch {
        return;
      }
      done++;
    }
  })();
  return () => {
    going = false;
    return done;
  };
}
