import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { TINY_ARPA } from '../speech/lm-fixtures.js';
import { sphinxLmBytes, tinyTrigramFixture } from '../speech/sphinx-lm-fixture.js';
import { attune } from './cli-helpers.js';

let dir: string;
let bin: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-lm-convert-'));
  bin = join(dir, 'tiny.lm.bin');
  writeFileSync(bin, sphinxLmBytes(tinyTrigramFixture()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('attune lm --from', () => {
  it('copies a sphinx .lm.bin once checked, and writes any model as ARPA that scores the same', async () => {
    const copy = join(dir, 'models', 'copy.lm.bin');
    const r = await attune(['lm', '--from', bin, '--out', copy, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ out: copy, format: 'sphinx-trie', ngrams: [4, 4, 2] });
    expect(readFileSync(copy)).toEqual(readFileSync(bin));

    const arpa = join(dir, 'tiny.arpa.gz');
    const a = await attune(['lm', '--from', bin, '--out', arpa]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/4 1-grams, 4 2-grams, 2 3-grams; wrote .*tiny\.arpa\.gz \(arpa/);
    const fromBin = WordLm.load(bin);
    const fromArpa = WordLm.load(arpa);
    const ids = (lm: WordLm, s: string) => s.split(' ').map((w) => lm.id(w));
    for (const [context, word] of [
      ['<s> a', 'b'],
      ['a b', '</s>'],
      ['<s> b', '</s>'],
      ['a', 'a'],
    ]) {
      // ARPA keeps 6 significant digits of each value.
      expect(fromArpa.score(ids(fromArpa, context), fromArpa.id(word))).toBeCloseTo(
        fromBin.score(ids(fromBin, context), fromBin.id(word)),
        4,
      );
    }
  });

  it('says what it cannot do', async () => {
    const arpa = join(dir, 'tiny.arpa');
    writeFileSync(arpa, TINY_ARPA);
    expect((await attune(['lm', '--from', arpa, '--out', join(dir, 'x.lm.bin')])).stderr).toMatch(
      /tiny\.arpa is an ARPA model, and a sphinx \.lm\.bin is written only by copying one/,
    );
    expect((await attune(['lm', '--from', bin])).stderr).toMatch(/--from needs --out/);
    expect((await attune(['lm', '--from', bin, '--out', bin])).stderr).toMatch(/name the same file/);
    expect((await attune(['lm', '--from', bin, '--out', arpa, '--text', arpa])).stderr).toMatch(
      /--from \(converting a model\) cannot be combined with --text/,
    );
  });
});
