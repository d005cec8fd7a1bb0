// `attune finetune` on the personal fixture: the user's takes as a LibriSpeech-layout folder, the tiny base
// model with its replay set. Runs the real command line in a child process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { type PersonalFixture, personalFixture } from '../training/personal-fixture.js';
import { attune } from './cli-helpers.js';

let f: PersonalFixture;
let root: string;

beforeAll(async () => {
  f = await personalFixture();
  root = mkdtempSync(join(tmpdir(), 'attune-finetune-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The tiny model's settings. With the command's augmentation on, it needs a learning rate above the library
 * test's 3e-3 before any held-back word comes out right (at 3e-3 only the CER falls); its margin for
 * forgetting is wider than the shipped default (see personalize.test).
 */
// The recipe for the tiny, barely trained model: its top layers, free to move.
const TINY = [
  '--steps',
  '150',
  '--lr',
  '1e-2',
  '--adapt-blocks',
  '3',
  '--adapt-first-blocks',
  '0',
  '--no-adapt-subsampling',
  '--anchor-decay',
  '0',
  '--backend',
  'wasm',
  '--threads',
  '1',
];

describe('attune finetune', () => {
  it('fine-tunes on the pairs, prints before/after scores, and writes the model it proved better', async () => {
    const out = join(root, 'personal');
    const r = await attune([
      'finetune',
      '--model',
      f.baseDir,
      '--data',
      f.userCorpusDir,
      '--out',
      out,
      ...TINY,
      // The replay WER may rise by 5 × the base's (this tiny model forgets a lot).
      '--replay-margin',
      '5',
    ]);
    expect(r.stderr).toMatch(/14 pairs to learn from, 4 held back/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^set\s+utts\s+WER was\s+WER now\s+CER was\s+CER now$/);
    expect(lines[1]).toMatch(/^held-back pairs\s+4 /);
    expect(lines[2]).toMatch(/^replay \(general\)\s+9 /);
    const json = JSON.parse(lines.at(-1)!);
    console.log(`finetune: ${json.reason}`);
    expect(json).toMatchObject({ status: 'promoted', promoted: true, out, trainPairs: 14, heldOutPairs: 4 });
    expect(json.user.after.wer).toBeLessThan(json.user.before.wer);
    expect(json.user.after.cer).toBeLessThan(json.user.before.cer);
    expect(json.replay.before.utterances).toBe(9);
    // The guard decoded as dictation writes finals: with the shipped language model.
    expect(json.decoding).toBe('language model');
    expect(lines[3]).toMatch(/^\s+\(decoded with the language model\)$/);
    expect(json.reason).toMatch(/held-back corrections \(decoded with the language model\) fell/);
    // The lexicon is measured apart: the same new model, greedy against boosted decoding, and with the LM
    // without the lexicon (the guard's own decoding) against with it.
    expect(lines[4]).toMatch(/^lexicon \(\d+ words\)\s+4 .*greedy → boosted, same model/);
    expect(json.lexicon.words).toBeGreaterThan(5);
    expect(json.lexicon.languageModel.plain).toEqual(json.user.after);
    expect(json.lexicon.boosted.wer).toBeLessThan(json.lexicon.greedy.wer);
    console.log(
      `finetune lexicon: WER ${json.lexicon.greedy.wer.toFixed(3)} → ${json.lexicon.boosted.wer.toFixed(3)}`,
    );
    const saved = loadModelFolder(out);
    expect(saved.info.metrics).toEqual({ decoding: 'language model', user: json.user, replay: json.replay });
    // The work folder is gone once the result is out.
    expect(existsSync(join(root, '.personal.work'))).toBe(false);
  }, 120_000);

  it('keeps the original when the new model is worse, and says why', async () => {
    const out = join(root, 'reckless');
    const r = await attune([
      'finetune',
      '--model',
      f.baseDir,
      '--data',
      f.userCorpusDir,
      '--out',
      out,
      ...TINY,
      '--lr',
      '0.5',
      '--steps',
      '20',
      '--no-lm',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]);
    expect(json).toMatchObject({ status: 'rejected', promoted: false, out: null, decoding: 'greedy' });
    expect(json.reason).toMatch(/^kept the current model: /);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('names the problem with a folder that is not a LibriSpeech-layout corpus', async () => {
    const r = await attune([
      'finetune',
      '--model',
      f.baseDir,
      '--data',
      join(root, 'nowhere'),
      '--out',
      join(root, 'x'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^attune: corpus folder .*nowhere does not exist/);
  }, 60_000);

  it('names a bad recipe option, and a recipe that would adapt nothing', async () => {
    const base = ['finetune', '--model', f.baseDir, '--data', f.userCorpusDir, '--out', join(root, 'y')];
    const negative = await attune([...base, '--anchor-decay', '-1']);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/^attune: --anchor-decay must be a number ≥ 0, got "-1"/);
    const fraction = await attune([...base, '--adapt-first-blocks', '1.5']);
    expect(fraction.stderr).toMatch(/^attune: --adapt-first-blocks must be a whole number ≥ 0, got "1.5"/);
    const nothing = await attune([...base, '--adapt-first-blocks', '0', '--no-adapt-subsampling']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/nothing to adapt/);
    const rising = await attune([...base, '--back-off', '0.8,1']);
    expect(rising.code).toBe(1);
    expect(rising.stderr).toMatch(
      /^attune: --back-off must be shares in \(0, 1\], largest first.*got "0.8,1"/,
    );
    const empty = await attune([...base, '--back-off', '1,,0.5']);
    expect(empty.stderr).toMatch(/^attune: --back-off must be shares .*got "1,,0.5"/);
    expect(existsSync(join(root, 'y'))).toBe(false);
  }, 120_000);
});
