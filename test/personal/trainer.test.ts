// The trainer process on a real job (the personal fixture's tiny model and user clips): progress over IPC,
// pausing, cancelling, and resuming after the process is killed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModelFolder } from '../../src-main/model/checkpoint.js';
import { TrainerRun } from '../../src-main/personal/trainer-client.js';
import {
  type PersonalizeJob,
  type PersonalizeProgress,
  type PersonalizeResult,
  saveJob,
} from '../../src-main/training/personalize.js';
import type { TrainEvent } from '../../src-main/training/train.js';
import { type PersonalFixture, personalFixture, TINY_PERSONALIZE } from '../training/personal-fixture.js';

let f: PersonalFixture;
let root: string;

beforeAll(async () => {
  f = await personalFixture();
  root = mkdtempSync(join(tmpdir(), 'attune-trainer-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function job(name: string): PersonalizeJob {
  const j: PersonalizeJob = {
    workDir: join(root, name, 'job'),
    parentDir: f.baseDir,
    outDir: join(root, name, 'personal-1'),
    label: 'personal 1',
    train: f.user.filter((u) => !u.id.startsWith('201-3-')),
    heldOut: f.user.filter((u) => u.id.startsWith('201-3-')),
    config: {
      ...TINY_PERSONALIZE,
      guard: { minUserWerGain: 0, replayMarginRelative: 0, replayMarginWer: 0.5 },
    },
  };
  saveJob(j);
  return j;
}

/** Starts a run and records what it says; `onProgress` may steer it. */
function start(j: PersonalizeJob, onProgress?: (p: PersonalizeProgress, run: TrainerRun) => void) {
  const run = TrainerRun.start(j.workDir, { backend: 'wasm', threads: 1 });
  const progress: PersonalizeProgress[] = [];
  let result: PersonalizeResult | null = null;
  let error: string | null = null;
  let started: { backend: string; threads: number; description: string } | null = null;
  run.on('started', (b) => (started = b));
  run.on('progress', (p) => {
    progress.push(p);
    onProgress?.(p, run);
  });
  run.on('result', (r) => (result = r));
  run.on('error', (e) => (error = e));
  const done = run.exitedPromise().then((code) => ({ code, result, error, progress, started }));
  return { run, done };
}

function starts(j: PersonalizeJob): [number, boolean][] {
  return readFileSync(join(j.workDir, 'run', 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrainEvent)
    .flatMap((e) => (e.type === 'start' ? [[e.step, e.resumed] as [number, boolean]] : []));
}

describe('trainer process', () => {
  it('runs a job to a promoted model, reporting step, loss and ETA; pauses and resumes on request', async () => {
    const j = job('full');
    let pausedAt = 0;
    let resumedAt = 0;
    const arrived = new Map<number, number>();
    const { done } = start(j, (p, run) => {
      if (p.phase === 'training') arrived.set(p.step, Date.now());
      if (p.phase === 'training' && p.step === 30) {
        run.pause();
        pausedAt = Date.now();
        setTimeout(() => {
          resumedAt = Date.now();
          run.resume();
        }, 1500);
      }
    });
    const r = await done;
    expect(r.error).toBeNull();
    expect(r.code).toBe(0);
    expect(r.result!.status).toBe('promoted');
    expect(isModelFolder(j.outDir)).toBe(true);
    // Where it computed, with every rung's reason: WebGPU was not asked for ('wasm' was).
    expect(r.started).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(r.started!.description).toMatch(/✗ webgpu +not tried: 'wasm' was asked for/);
    expect(r.started!.description).toMatch(/✓ wasm/);
    const steps = r.progress.filter((p) => p.phase === 'training');
    expect(steps.map((p) => p.step)).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(steps.every((p) => p.loss > 0 && Number.isFinite(p.etaSec))).toBe(true);
    // Nothing was trained while paused (one step may have begun before the pause arrived).
    expect(resumedAt - pausedAt).toBeGreaterThanOrEqual(1400);
    const duringPause = [...arrived].filter(([step, at]) => step > 30 && at < resumedAt);
    expect(duringPause.length).toBeLessThanOrEqual(1);
    expect(arrived.get(32)!).toBeGreaterThanOrEqual(resumedAt);
  }, 120_000);

  it('is cancelled mid-run: a cancelled result, and no model written', async () => {
    const j = job('cancel');
    const { done } = start(j, (p, run) => {
      if (p.phase === 'training' && p.step === 10) run.cancel();
    });
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.result!.status).toBe('cancelled');
    expect(existsSync(j.outDir)).toBe(false);
  }, 120_000);

  it('resumes after being killed, from its last checkpoint, to the same result', async () => {
    const j = job('kill');
    // Killed right after the checkpoint at step 50 (checkpoints come every evalEvery = 25 steps).
    const first = start(j, (p, run) => {
      if (p.phase === 'training' && p.step === 55) run.kill();
    });
    const killed = await first.done;
    expect(killed.result).toBeNull();
    expect(killed.code).not.toBe(0);
    expect(existsSync(j.outDir)).toBe(false);
    const r = await start(j).done;
    expect(r.code).toBe(0);
    expect(starts(j)).toEqual([
      [0, false],
      [50, true],
    ]);
    const steps = r.progress.filter((p) => p.phase === 'training').map((p) => p.step);
    expect(steps[0]).toBe(51);
    expect(r.result!.status).toBe('promoted');
    expect(isModelFolder(j.outDir)).toBe(true);
  }, 120_000);

  it('stops when the app is killed, and the job resumes at the next start', async () => {
    const j = job('orphan');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    // Node itself with the tsx loader (not the tsx command, which would run the script in a grandchild).
    const app = spawn(process.execPath, ['--import', 'tsx', 'test/personal/parent-child.ts', j.workDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let trainer = 0;
    await new Promise<void>((resolve) => {
      let buffer = '';
      app.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        trainer ||= Number(/trainer (\d+)/.exec(buffer)?.[1] ?? 0);
        if (/step 30\n/.test(buffer)) {
          app.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(trainer).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(trainer, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 10_000 }).toBe(false);
    expect(existsSync(j.outDir)).toBe(false);

    const r = await start(j).done;
    expect(starts(j)).toEqual([
      [0, false],
      [25, true],
    ]);
    expect(r.result!.status).toBe('promoted');
  }, 120_000);
});
