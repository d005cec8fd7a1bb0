import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DICTIONARY_FILE } from '../../src-main/model/checkpoint.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { LM_BEAM_WIDTH } from '../../src-main/speech/beam-search.js';
import { loadDictionary } from '../../src-main/speech/pronouncing-dictionary.js';
import { WordLm } from '../../src-main/speech/word-lm.js';
import { attune, espeakChapter } from './cli-helpers.js';

let dir: string;
let corpus: string;
const SENTENCES = [
  'the weather was much colder today',
  'she gave it a good try',
  'he was an olympic swimmer',
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-lm-'));
  corpus = join(dir, 'corpus');
  await espeakChapter(corpus, 'test', '7', 'en-us', SENTENCES);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('attune lm', () => {
  it('builds an ARPA model from text files, leaving out the transcripts of --exclude folders', async () => {
    const text = join(dir, 'text.txt');
    writeFileSync(text, ['The cat sat on the mat.', 'The dog sat on the log!', '', SENTENCES[1]].join('\n'));
    const out = join(dir, 'models', 'cats.arpa.gz');
    const r = await attune([
      'lm',
      '--text',
      text,
      '--exclude',
      corpus,
      '--out',
      out,
      '--order',
      '2',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({
      out,
      sentences: 2,
      tokens: 12,
      heldOut: 1,
      ngrams: [10, expect.any(Number)],
    });
    const lm = WordLm.load(out);
    expect(lm.order).toBe(2);
    expect(lm.id('cat')).toBeGreaterThanOrEqual(0);
    expect(lm.id('good')).toBe(-1); // the excluded test sentence taught it nothing
  });

  it('says what is wrong with its options', async () => {
    const out = join(dir, 'x.arpa');
    expect((await attune(['lm', '--out', out])).stderr).toMatch(/give the text to learn from/);
    expect((await attune(['lm', '--text', join(dir, 'none.txt'), '--out', out])).stderr).toMatch(
      /cannot read --text .*none\.txt/,
    );
    expect(
      (await attune(['lm', '--text', join(dir, 'none.txt'), '--out', out, '--order', '9'])).stderr,
    ).toMatch(/--order must be a whole number from 1 to 6/);
    mkdirSync(join(dir, 'empty'));
    expect((await attune(['lm', '--text', out, '--exclude', join(dir, 'empty'), '--out', out])).code).toBe(1);
  });
});

describe('decoding with the shipped language model', () => {
  it('attune eval measures greedy decoding unless given --lm, and the LM spells real words', async () => {
    const greedy = await attune(['eval', corpus, '--json']);
    expect(greedy.code, greedy.stderr).toBe(0);
    const g = JSON.parse(greedy.stdout.trim().split('\n').at(-1)!);
    expect(g.decoding).toBe('greedy');
    const withLm = await attune(['eval', corpus, '--lm', '--json']);
    expect(withLm.code, withLm.stderr).toBe(0);
    const l = JSON.parse(withLm.stdout.trim().split('\n').at(-1)!);
    expect(l.decoding).toEqual({ languageModel: BASE_LM_PATH, beamWidth: LM_BEAM_WIDTH });
    expect(l.wer).toBeLessThanOrEqual(g.wer);
    const lm = WordLm.load(BASE_LM_PATH);
    for (const h of l.hypotheses)
      for (const w of h.hyp.split(' ').filter(Boolean)) expect(lm.id(w)).toBeGreaterThanOrEqual(0);
  });

  it("attune transcribe uses it by default; --no-lm gives the acoustic model's own words", async () => {
    const wav = join(corpus, 'test', '7', '1', '7-1-0000.wav');
    const a = await attune(['transcribe', wav, '--json']);
    const b = await attune(['transcribe', wav, '--json', '--no-lm']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const withLm = JSON.parse(a.stdout);
    const greedy = JSON.parse(b.stdout);
    // The shipped model writes phones: without the LM its phones are read as its dictionary's words, where
    // eval's greedy decoding writes the phones themselves.
    const ev = JSON.parse((await attune(['eval', corpus, '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(greedy.text).not.toBe(ev.hypotheses.find((h: { id: string }) => h.id === '7-1-0000').hyp);
    const dictionary = loadDictionary(join(BASE_MODEL_DIR, DICTIONARY_FILE));
    expect(greedy.text).not.toBe('');
    for (const w of greedy.text.split(' ')) expect(dictionary.has(w), w).toBe(true);
    expect(withLm.words.map((w: { word: string }) => w.word).join(' ')).toBe(withLm.text);
    for (const w of withLm.words) expect(w.endMs).toBeGreaterThan(w.startMs);
    expect((await attune(['transcribe', wav, '--lm', join(dir, 'missing.arpa')])).stderr).toMatch(
      /cannot read language model .*missing\.arpa/,
    );
    expect((await attune(['transcribe', wav, '--beam-width', '0'])).stderr).toMatch(/--beam-width must be/);
  });
});
