// `attune finetune` killed -9 at its dangerous moments (kill-point.ts stops it exactly there), then run again:
// the next run always succeeds, finishes what the killed one left half done, and leaves nothing hidden behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { KILL_POINT_ENV } from '../../src-main/model/kill-point.js';
import { type PersonalFixture, personalFixture } from '../training/personal-fixture.js';
import { attune, attuneCommand } from './cli-helpers.js';

let f: PersonalFixture;
let root: string;

beforeAll(async () => {
  f = await personalFixture();
  root = mkdtempSync(join(tmpdir(), 'attune-finetune-crash-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny model's recipe that gets promoted (finetune.test.ts), without the slower measurements. */
function args(out: string, steps = 150): string[] {
  return [
    'finetune',
    ...['--model', f.baseDir, '--data', f.userCorpusDir, '--out', out],
    ...['--steps', String(steps), '--lr', '1e-2', '--adapt-blocks', '3', '--adapt-first-blocks', '0'],
    ...['--no-adapt-subsampling', '--anchor-decay', '0', '--backend', 'wasm', '--threads', '1'],
    ...['--replay-margin', '5', '--no-lm', '--no-lexicon', '--json'],
  ];
}

/** Runs the command until it reaches the kill point, then SIGKILLs it there. */
function killAt(point: string, argv: string[]): Promise<void> {
  const { command, args: full, cwd } = attuneCommand(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(command, full, { cwd, env: { ...process.env, [KILL_POINT_ENV]: point } });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && stderr.includes(`kill point ${point}\n`)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (_code, signal) => {
      if (killed && signal === 'SIGKILL') resolve();
      else reject(new Error(`finetune ended before reaching ${point}:\n${stderr}`));
    });
  });
}

/** A fresh folder for one scenario; --out goes inside it, the work folder next to it. */
function scenario(name: string): { dir: string; out: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  return { dir, out: join(dir, 'ft-out') };
}

/** The next run succeeds, the model is whole, and only the model folder is left. */
async function rerunSucceeds(dir: string, out: string, argv = args(out)) {
  const r = await attune(argv);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).status).toBe('promoted');
  expect(() => loadModelFolder(out)).not.toThrow();
  expect(readdirSync(dir)).toEqual(['ft-out']); // no .tmp-, .old, .work or .trash leftovers
  return r;
}

describe('attune finetune after a kill', () => {
  it('killed between writing the new model and renaming it into place: the half-save is removed', async () => {
    const { dir, out } = scenario('before-rename');
    await killAt('save-model:written:ft-out', args(out));
    const left = readdirSync(dir);
    expect(left.some((n) => /^\.ft-out\.tmp-\d+-\d+$/.test(n))).toBe(true);
    expect(left).not.toContain('ft-out');
    const r = await rerunSucceeds(dir, out);
    expect(r.stderr).toMatch(/note: .*\.ft-out\.tmp-\d+-\d+: removed what an interrupted save left behind/);
  }, 120_000);

  it('killed while swapping a new model for the old one: the old one is put back, then replaced', async () => {
    const { dir, out } = scenario('mid-swap');
    await rerunSucceeds(dir, out); // a model to replace
    // Another job (fewer steps) for the same folder, killed after the old model was moved aside.
    await killAt('save-model:swapping:ft-out', args(out, 140));
    const left = readdirSync(dir);
    expect(left).not.toContain('ft-out');
    const aside = left.find((n) => /^\.ft-out\.tmp-\d+-\d+\.old$/.test(n))!;
    expect(() => loadModelFolder(join(dir, aside))).not.toThrow(); // the user's model, whole
    const r = await rerunSucceeds(dir, out, args(out, 140));
    expect(r.stderr).toMatch(
      /note: .*ft-out: put back the previous folder an interrupted save had moved aside/,
    );
  }, 120_000);

  it('killed while removing its work folder: the next run finishes removing it', async () => {
    const { dir, out } = scenario('removing-work');
    await killAt('remove-folder:aside:.ft-out.work', args(out));
    expect(readdirSync(dir).some((n) => /^\.ft-out\.work\.trash-\d+-\d+$/.test(n))).toBe(true);
    expect(existsSync(join(dir, '.ft-out.work'))).toBe(false);
    const r = await rerunSucceeds(dir, out);
    expect(r.stderr).toMatch(/finished removing a folder an interrupted run was removing/);
  }, 120_000);

  it('finds a work folder half deleted in place (as older versions left it) and starts afresh', async () => {
    const { dir, out } = scenario('half-deleted');
    await killAt('finetune:finished', args(out));
    const work = join(dir, '.ft-out.work');
    // What `rm -r` cut short by a kill leaves: the result and the best model gone, the job and trained.json not.
    for (const gone of ['result.json', join('run', 'best')]) rmSync(join(work, gone), { recursive: true });
    expect(existsSync(join(work, 'job.json'))).toBe(true);
    expect(existsSync(join(work, 'trained.json'))).toBe(true);
    rmSync(out, { recursive: true });
    const r = await rerunSucceeds(dir, out);
    expect(r.stderr).toMatch(
      /an interrupted run left it incomplete \(trained\.json says training finished.*\); starting afresh/,
    );
  }, 120_000);

  it('killed after finishing but before cleaning up: the next run reports the result without training again', async () => {
    const { dir, out } = scenario('finished');
    await killAt('finetune:finished', args(out));
    expect(existsSync(join(dir, '.ft-out.work', 'result.json'))).toBe(true);
    const r = await rerunSucceeds(dir, out);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(json.seconds).toBeLessThan(5); // read back, not trained again
  }, 120_000);
});
