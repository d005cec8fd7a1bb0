// `attune decoding` measures a model's class priors on speech and records them, with the word-search weights,
// in a model folder that every search then reads. Runs the real command line in a child process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { saveBiasedModel } from '../model/tiny-model.js';
import { attune } from './cli-helpers.js';

let root: string;
let modelDir: string;
let corpusDir: string;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  root = mkdtempSync(join(tmpdir(), 'attune-decoding-'));
  modelDir = join(root, 'tiny');
  saveBiasedModel(modelDir, 1, 'tiny');
  corpusDir = join(root, 'speech');
  const chapter = join(corpusDir, '1', '1');
  mkdirSync(chapter, { recursive: true });
  const lines = ['hello there', 'good morning', 'see you later'];
  lines.forEach((text, i) => {
    const raw = join(root, 'say.wav');
    execFileSync('espeak-ng', ['-w', raw, text]);
    execFileSync('sox', [raw, '-r', '16000', join(chapter, `1-1-000${i}.wav`)], { stdio: 'pipe' });
  });
  writeFileSync(join(chapter, '1-1.trans.txt'), lines.map((t, i) => `1-1-000${i} ${t}`).join('\n') + '\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (...more: string[]) =>
  attune(['decoding', '--model', modelDir, '--priors-from', corpusDir, '--backend', 'cpu', ...more]);

describe('attune decoding', () => {
  it("writes the model's class priors and the search weights into a copy of the folder", async () => {
    const out = join(root, 'with-priors');
    const r = await run('--out', out, '--utterances', '2', '--prior-scale', '0.4', '--lm-weight', '1.2');
    expect(r.code, r.stderr).toBe(0);
    const { decoding, size } = (({ alphabet }) => ({ decoding: alphabet.decoding!, size: alphabet.size }))(
      loadModelFolder(out),
    );
    expect(decoding).toMatchObject({ priorScale: 0.4, lmWeight: 1.2, wordBonus: 0 });
    expect(decoding.source).toMatch(/^priors over \d+ frames of 2 utterances of /);
    expect(decoding.logPriors).toHaveLength(size);
    // Mean posteriors: a distribution over the classes.
    expect(Array.from(decoding.logPriors, Math.exp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(r.stdout).toMatch(/<blank> \d/);
    expect(r.stdout).toMatch(/prior scale 0\.4, LM weight 1\.2, word bonus 0/);
    // The weights and everything else are the model's: only config.json's decoding is new.
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(
      readFileSync(join(modelDir, 'model.safetensors')),
    );
    expect(loadModelFolder(modelDir).alphabet.decoding).toBeUndefined();

    // In place: only config.json changes; what else the folder holds (a replay set) stays.
    mkdirSync(join(out, 'replay'));
    writeFileSync(join(out, 'replay', 'replay.feats'), 'kept');
    const again = await attune([
      ...['decoding', '--model', out, '--priors-from', corpusDir, '--backend', 'cpu', '--utterances', '1'],
      ...['--prior-scale', '0.5', '--lm-weight', '1.5'],
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(loadModelFolder(out).alphabet.decoding).toMatchObject({ priorScale: 0.5, lmWeight: 1.5 });
    expect(readFileSync(join(out, 'replay', 'replay.feats'), 'utf8')).toBe('kept');
    // A copy is never written over a folder that exists.
    const taken = await run('--out', out, '--prior-scale', '0.4', '--lm-weight', '1');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/--out .*with-priors already exists/);
  }, 180_000);

  it('refuses a scale outside 0–1 and a folder without speech, saying which', async () => {
    const bad = await run('--prior-scale', '2', '--lm-weight', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--prior-scale must be a number from 0 to 1, got "2"/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const none = await attune([
      'decoding',
      '--model',
      modelDir,
      '--priors-from',
      empty,
      '--prior-scale',
      '0.4',
      '--lm-weight',
      '1',
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/attune: .*empty/);
  }, 60_000);
});
