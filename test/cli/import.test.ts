// `attune import` end to end on the smallest real source (the pocketsphinx test recordings) and on a
// folder in LibriSpeech layout standing in for the shared corpora: sets, licences, the sets' README.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POCKETSPHINX_TESTDATA } from '../../src-main/training/human-testdata.js';
import { attune } from './cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-import-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('attune import', () => {
  // Debian's pocketsphinx-testdata holds the recordings; the test installs with the README's commands.
  it.skipIf(!existsSync(POCKETSPHINX_TESTDATA))(
    'writes the chosen sources into real-test with their licence and a README of the splits',
    async () => {
      const out = join(dir, 'real');
      const r = await attune(['import', '--out', out, '--sources', 'librivox']);
      expect(r.code, r.stderr).toBe(0);
      const trans = readFileSync(
        join(out, 'real-test', 'librivox', 'librivoxcards', '1', 'librivoxcards-1.trans.txt'),
        'utf8',
      );
      expect(trans).toContain('librivoxcards-1-cards0 TEN OF CLUBS');
      expect(readFileSync(join(out, 'real-test', 'librivox', 'LICENSE'), 'utf8')).toMatch(/Carnegie Mellon/);
      const readme = readFileSync(join(out, 'README.md'), 'utf8');
      expect(readme).toMatch(/\| librivox \| real-test \| 10 \|/);
      expect(readme).toMatch(/BSD-2-Clause/);
    },
  );

  it('names an unknown source and a missing one', async () => {
    const bad = await attune(['import', '--out', join(dir, 'x'), '--sources', 'nosuch']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown source nosuch \(known: allison, librivox, vctk, fsdd/);
    const missing = await attune([
      'import',
      '--out',
      join(dir, 'y'),
      '--sources',
      'vctk',
      '--shared',
      join(dir, 'none'),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/vctk: .*vctk-p239 not found/);
    const skipped = await attune([
      'import',
      '--out',
      join(dir, 'z'),
      '--sources',
      'vctk',
      '--shared',
      join(dir, 'none'),
      '--skip-missing',
    ]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(/vctk: skipped/);
  });
});
