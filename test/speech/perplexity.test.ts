import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArpa } from '../../src-main/speech/arpa.js';
import { perplexity } from '../../src-main/speech/perplexity.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { TINY_ARPA } from './lm-fixtures.js';

const lm = new WordLm(parseArpa(TINY_ARPA));
const words = (s: string) => s.split(' ');

describe('perplexity', () => {
  // To 6 decimals: the model keeps its values in single precision.
  it('scores each sentence from <s> to </s>, by hand on the tiny bigram model', () => {
    const r = perplexity(lm, [words('the cat')]);
    // log10 P(the | <s>) + P(cat | the) + P(</s> | cat) over 3 predicted tokens.
    const logProb = -0.30103 - 0.09691 - 0.04576;
    expect(r).toMatchObject({ sentences: 1, words: 2, oovs: 0, oovRate: 0 });
    expect(r.logProb).toBeCloseTo(logProb, 6);
    expect(r.perplexity).toBeCloseTo(10 ** (-logProb / 3), 6);
  });

  it('leaves out-of-vocabulary words out and scores the next word without the history before them', () => {
    const r = perplexity(lm, [words('the dog cat'), [], words('cat')]);
    // the | <s>; "dog" is unknown (not scored); cat has no history left: its unigram; </s> | cat.
    // Then "cat": not listed after <s>, so bow(<s>) + P(cat); </s> | cat. The empty sentence is skipped.
    const logProb = -0.30103 + -0.69897 - 0.04576 + (-0.30103 - 0.69897 - 0.04576);
    expect(r).toMatchObject({ sentences: 2, words: 4, oovs: 1, oovRate: 0.25 });
    expect(r.logProb).toBeCloseTo(logProb, 6);
    // Scored tokens: 4 words − 1 OOV + 2 sentence ends.
    expect(r.perplexity).toBeCloseTo(10 ** (-logProb / 5), 6);
  });

  it('has no perplexity without a scored token', () => {
    expect(perplexity(lm, []).perplexity).toBeNaN();
  });
});

const PHONE_LM = '/usr/share/pocketsphinx/model/en-us/en-us-phone.lm.bin';
const HAVE_EVAL = spawnSync('sphinx_lm_eval', [], { stdio: 'ignore' }).error === undefined;

describe.skipIf(!existsSync(PHONE_LM) || !HAVE_EVAL)(
  "against sphinx_lm_eval (needs Debian's pocketsphinx-en-us and sphinxbase-utils)",
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'attune-perplexity-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('gives the perplexity sphinx gives on the phone model, OOVs included', () => {
      const sentences = ['HH AH L OW', 'W ER L D', 'DH AH K AE T S AE T', 'S IH T XX D AW N'].map(words);
      const lsn = join(dir, 'phones.lsn');
      writeFileSync(lsn, sentences.map((s) => `<s> ${s.join(' ')} </s>\n`).join(''));
      const r = spawnSync('sphinx_lm_eval', ['-lm', PHONE_LM, '-lsn', lsn], { encoding: 'utf8' });
      const output = `${r.stdout}${r.stderr}`;
      const sphinx = Number(/perplexity: ([\d.]+)/.exec(output)?.[1]);
      expect(output).toMatch(/1 OOVs/);
      const ours = perplexity(WordLm.load(PHONE_LM), sentences);
      expect(ours).toMatchObject({ sentences: 4, words: 23, oovs: 1 });
      // Sphinx truncates each score to an integer in base 1.0001 (towards 0), under one unit a token:
      // its perplexity is lower by less than a factor 1.0001.
      expect(ours.perplexity / sphinx).toBeGreaterThanOrEqual(1);
      expect(ours.perplexity / sphinx).toBeLessThan(1.0001);
    });
  },
);
