// The PyTorch recipe end to end on the CPU: two processes (gloo) train a small model for a few steps on real
// speech in the LibriSpeech layout (FLAC), checkpoint, resume where they stopped, and write an Attune model
// folder that `attune transcribe` uses.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attune } from '../../cli/cli-helpers.js';
import { clipPath, flacCorpus, librivoxClips, missingPrerequisite, python, RECIPE, ROOT } from './helpers.js';

const missing = missingPrerequisite();
const dir = mkdtempSync(join(tmpdir(), 'attune-torch-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  type: string;
  step: number;
  [key: string]: unknown;
}

function logLines(run: string): LogLine[] {
  return readFileSync(join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);
}

/** torchrun (the recipe's wrapper of it) with two CPU processes on the recipe's train.py. */
function torchrun(args: string[]): ReturnType<typeof python> {
  const launcher = ['--standalone', '--nproc_per_node', '2', join(RECIPE, 'train.py')];
  return python(join(RECIPE, 'torchrun.py'), [...launcher, ...args], 240_000);
}

describe.skipIf(missing !== null)(`PyTorch recipe training${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const clips = missing ? [] : librivoxClips();
  const train = missing ? '' : flacCorpus(join(dir, 'train'), '1', clips.slice(0, 4));
  const dev = missing ? '' : flacCorpus(join(dir, 'dev'), '2', clips.slice(4));
  const run = join(dir, 'run');
  const out = join(dir, 'model');
  // A small model, and batches small enough that the four clips make a batch for each process.
  const common = [
    ['--train', train, '--dev', dev, '--run', run, '--out', out],
    ['--config', JSON.stringify({ channels: 64, blocks: 2, blockRightContext: [1, 0] })],
    ['--batch-seconds', '8', '--eval-every', '2', '--checkpoint-every', '2', '--log-every', '1'],
    ['--warmup', '1', '--workers', '0', '--threads', '1'],
  ].flat();

  it('trains with two processes, checkpoints, and writes an Attune model folder', async () => {
    const r = await torchrun([...common, '--steps', '4']);
    expect(r.code, r.stderr).toBe(0);
    const log = logLines(run);
    const start = log.find((l) => l.type === 'start')!;
    expect(start).toMatchObject({ world: 2, device: 'cpu', trainUtterances: 4, resumed: false });
    const steps = log.filter((l) => l.type === 'step');
    expect(steps.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(steps.every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(log.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([2, 4]);
    expect(log.at(-1)).toMatchObject({ type: 'done', step: 4, stopped: 'finished' });
    for (const file of ['model.safetensors', 'config.json', 'tokens.txt', 'MODEL_CARD.md'])
      expect(existsSync(join(out, file)), file).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      acoustic: { channels: number };
      info: { training: { processes: number; steps: number } };
    };
    expect(config.acoustic.channels).toBe(64);
    expect(config.info.training).toMatchObject({ processes: 2, steps: 4 });
  });

  it('resumes from its checkpoint when run again with more steps', async () => {
    const r = await torchrun([...common, '--steps', '6']);
    expect(r.code, r.stderr).toBe(0);
    const log = logLines(run);
    const starts = log.filter((l) => l.type === 'start');
    expect(starts.at(-1)).toMatchObject({ step: 4, resumed: true });
    const after = log.slice(log.lastIndexOf(starts.at(-1)!));
    expect(after.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([5, 6]);
  });

  it('writes a model Attune transcribes with', async () => {
    const r = await attune(['transcribe', '--model', out, clipPath(clips[4].name)]);
    expect(r.code, r.stderr).toBe(0);
    const info = await attune(['info', '--model', out]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('2 blocks × 64 channels');
  });

  it('trains a fresh phone model in one process, spelling transcripts with its dictionary, for Attune', async () => {
    const base = join(ROOT, 'models', 'base');
    const phones = join(dir, 'phones');
    const r = await python(
      join(RECIPE, 'train.py'),
      [
        ['--train', train, '--run', join(dir, 'run-phones'), '--out', phones, '--steps', '2'],
        ['--tokens', join(base, 'tokens.txt'), '--dictionary', join(base, 'pronunciations.dict')],
        ['--config', JSON.stringify({ channels: 32, blocks: 1, blockRightContext: [0] })],
        ['--batch-seconds', '8', '--warmup', '1', '--workers', '0', '--threads', '1'],
      ].flat(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(phones, 'tokens.txt'), 'utf8')).toBe(
      readFileSync(join(base, 'tokens.txt'), 'utf8'),
    );
    expect(existsSync(join(phones, 'pronunciations.dict'))).toBe(true);
    const t = await attune(['transcribe', '--model', phones, clipPath(clips[4].name)]);
    expect(t.code, t.stderr).toBe(0);
  });

  it('names the problem when a corpus has no transcripts', async () => {
    const r = await python(join(RECIPE, 'train.py'), [
      '--train',
      dir + '/nowhere',
      '--run',
      join(dir, 'bad'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${dir}/nowhere: not a folder`);
  });
});
