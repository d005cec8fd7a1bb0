// `attune reshape` on the personal fixture's tiny base model: the folder it writes, and its refusals.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { lookAheadMs } from '../../src-main/model/config.js';
import { fixtureBaseModel } from '../training/personal-fixture.js';
import { attune } from './cli-helpers.js';

let baseDir: string;
let folder: ModelFolder;
let root: string;

beforeAll(async () => {
  ({ baseDir, folder } = await fixtureBaseModel());
  root = mkdtempSync(join(tmpdir(), 'attune-reshape-cli-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('attune reshape', () => {
  it('writes the wider, deeper model folder and says its shape', async () => {
    const { channels: C, blocks: n } = folder.acoustic;
    const out = join(root, 'grown');
    const r = await attune([
      'reshape',
      '--model',
      baseDir,
      '--out',
      out,
      '--channels',
      String(2 * C),
      '--blocks',
      String(n + 2),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const grown = loadModelFolder(out);
    expect(grown.acoustic).toMatchObject({ channels: 2 * C, blocks: n + 2 });
    expect(r.stdout.trim()).toBe(
      `${out}: ${2 * C} channels, ${n + 2} blocks, strides ${folder.acoustic.subsampleStrides.join(',')}, look-ahead ${lookAheadMs(grown.acoustic)} ms, letters (29 classes)`,
    );
    expect(grown.info).toMatchObject({
      parent: baseDir,
      training: { reshapedFrom: { channels: C, blocks: n } },
    });
    expect(existsSync(join(out, 'MODEL_CARD.md'))).toBe(false);
  }, 60_000);

  it('refuses a width that is not a whole multiple, a bad number and a missing folder, writing nothing', async () => {
    const C = folder.acoustic.channels;
    const out = join(root, 'refused');
    const odd = await attune(['reshape', '--model', baseDir, '--out', out, '--channels', String(C + 1)]);
    expect(odd.code).not.toBe(0);
    expect(odd.stderr).toContain(
      `a model can only be widened by a whole factor of 2 or more: it has ${C} channels, asked for ${C + 1}`,
    );
    const word = await attune(['reshape', '--model', baseDir, '--out', out, '--blocks', 'many']);
    expect(word.stderr).toContain('--blocks must be a whole number ≥ 1, got "many"');
    const noise = await attune([
      'reshape',
      '--model',
      baseDir,
      '--out',
      out,
      '--channels',
      String(2 * C),
      '--widen-noise',
      '-1',
    ]);
    expect(noise.stderr).toContain('--widen-noise must be a number from 0 to 1, got "-1"');
    const same = await attune(['reshape', '--model', baseDir, '--out', out]);
    expect(same.stderr).toContain('nothing to change: the model already has the asked shape');
    const missing = await attune([
      'reshape',
      '--model',
      join(root, 'nowhere'),
      '--out',
      out,
      '--channels',
      String(2 * C),
    ]);
    expect(missing.stderr).toMatch(/nowhere.*does not exist/);
    expect(existsSync(out)).toBe(false);
  }, 180_000);
});
