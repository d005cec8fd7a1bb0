import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_LM_PATH } from '../../src-main/model/paths.js';
import { parseArpa } from '../../src-main/speech/arpa.js';
import { perplexity } from '../../src-main/speech/perplexity.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { TINY_ARPA } from '../speech/lm-fixtures.js';
import { sphinxLmBytes, tinyTrigramFixture } from '../speech/sphinx-lm-fixture.js';
import { attune } from './cli-helpers.js';

let dir: string;
let text: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-lm-perplexity-'));
  text = join(dir, 'text.txt');
  // Normalised as dictation's text: "The cat." → "the cat"; the empty line is skipped.
  writeFileSync(text, 'The cat.\n\nTHE DOG CAT!\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('attune lm --perplexity', () => {
  it('measures an ARPA model or a sphinx .lm.bin on a text file', async () => {
    const arpa = join(dir, 'tiny.arpa');
    writeFileSync(arpa, TINY_ARPA);
    const r = await attune(['lm', '--perplexity', text, '--lm', arpa, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const want = perplexity(new WordLm(parseArpa(TINY_ARPA)), [
      ['the', 'cat'],
      ['the', 'dog', 'cat'],
    ]);
    expect(lastJson(r.stdout)).toMatchObject({
      lm: arpa,
      text,
      sentences: 2,
      words: 5,
      oovs: 1,
      oovRate: 0.2,
      perplexity: Number(want.perplexity.toFixed(2)),
    });
    const bin = join(dir, 'tiny.lm.bin');
    writeFileSync(bin, sphinxLmBytes(tinyTrigramFixture()));
    writeFileSync(join(dir, 'ab.txt'), 'a b\nb\n');
    const s = await attune(['lm', '--perplexity', join(dir, 'ab.txt'), '--lm', bin]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^2 sentences, 3 words, 0 out of the vocabulary \(0\.00%\): perplexity [\d.]+ /);
  });

  it('uses the shipped model by default', async () => {
    const r = await attune(['lm', '--perplexity', text, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ lm: BASE_LM_PATH, sentences: 2, words: 5 });
  });

  it('says what is wrong with its options', async () => {
    const out = join(dir, 'x.arpa');
    expect((await attune(['lm', '--perplexity', text, '--out', out])).stderr).toMatch(
      /--perplexity \(measuring a model\) cannot be combined with --out/,
    );
    expect((await attune(['lm', '--perplexity', text, '--wordnet', '--order', '2'])).stderr).toMatch(
      /cannot be combined with --wordnet, --order/,
    );
    expect((await attune(['lm', '--lm', out])).stderr).toMatch(/--lm names the model --perplexity measures/);
    expect((await attune(['lm', '--wordnet'])).stderr).toMatch(/--out is required/);
    expect((await attune(['lm', '--perplexity', join(dir, 'none.txt')])).stderr).toMatch(
      /cannot read --perplexity .*none\.txt/,
    );
  });
});
