import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatArpa } from '../../src-main/speech/arpa.js';
import {
  DEFAULT_LM_CACHE,
  loadLanguageModel,
  type LmCacheConfig,
} from '../../src-main/speech/lm-snapshot.js';
import { BASE_LM_PATH } from '../../src-main/model/paths.js';
import type { WordLm } from '../../src-main/speech/word-lm.js';
import { mulberry32 } from '../../src-main/speech/prng.js';
import { randomArpa } from './random-arpa.js';

let dir: string;
let cache: LmCacheConfig;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-lm-snapshot-'));
  // Every source is worth a snapshot here (the tests' models are small).
  cache = { ...DEFAULT_LM_CACHE, dir: join(dir, 'cache'), minSourceBytes: 0 };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A random trigram model written as an ARPA file. */
function arpaFile(name: string, seed: number): { path: string; words: string[] } {
  const { model, words } = randomArpa(seed);
  const path = join(dir, name);
  writeFileSync(path, formatArpa(model));
  return { path, words };
}

/** Scores of many (mostly backed-off) trigram queries: equal models give equal lists, bit for bit. */
function scores(lm: WordLm, words: string[]): number[] {
  const rand = mulberry32(5);
  const pick = () => lm.id(words[Math.floor(rand() * words.length)]);
  return Array.from({ length: 4000 }, () => lm.score([pick(), pick()], pick()));
}

const snapshots = () => readdirSync(cache.dir).filter((f) => f.endsWith('.lmsnap'));

describe('language model snapshots', () => {
  it('are made on the first load and give the same model on the next', () => {
    const { path, words } = arpaFile('a.arpa', 1);
    const first = loadLanguageModel(path, cache);
    expect(first).toMatchObject({ from: 'source', snapshotProblem: undefined });
    expect(snapshots()).toHaveLength(1);
    const second = loadLanguageModel(path, cache);
    expect(second.from).toBe('snapshot');
    expect(second.lm.words).toEqual(first.lm.words);
    expect([second.lm.order, second.lm.bos, second.lm.eos]).toEqual([
      first.lm.order,
      first.lm.bos,
      first.lm.eos,
    ]);
    expect(second.lm.unknownLogProb).toBe(first.lm.unknownLogProb);
    expect(scores(second.lm, words)).toEqual(scores(first.lm, words));
  });

  it('are made again when the source changes', () => {
    const { path } = arpaFile('a.arpa', 1);
    loadLanguageModel(path, cache);
    const { words } = arpaFile('a.arpa', 2); // same path, new model
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const reloaded = loadLanguageModel(path, cache);
    expect(reloaded.from).toBe('source');
    expect(scores(reloaded.lm, words)).toEqual(scores(loadLanguageModel(path, null).lm, words));
    expect(loadLanguageModel(path, cache).from).toBe('snapshot');
  });

  it('that are damaged are reported and made again; the model loads all the same', () => {
    const { path, words } = arpaFile('a.arpa', 1);
    loadLanguageModel(path, cache);
    const file = join(cache.dir, snapshots()[0]);
    const whole = readFileSync(file);
    const expected = scores(loadLanguageModel(path, null).lm, words);
    for (const damage of [
      whole.subarray(0, whole.length - 100),
      whole.subarray(0, 40),
      Buffer.from('not a snapshot at all'),
    ]) {
      writeFileSync(file, damage);
      const r = loadLanguageModel(path, cache);
      expect(r.from).toBe('source');
      expect(r.snapshotProblem).toMatch(/unusable \(.+\); made again/);
      expect(scores(r.lm, words)).toEqual(expected);
      expect(readFileSync(file).equals(whole)).toBe(true);
    }
  });

  it('that cannot be written are reported, and the model still loads', () => {
    const { path } = arpaFile('a.arpa', 1);
    writeFileSync(cache.dir, 'a file where the cache folder should be');
    const r = loadLanguageModel(path, cache);
    expect(r.from).toBe('source');
    expect(r.snapshotProblem).toMatch(/not written/);
    expect(r.lm.order).toBe(3);
  });

  it('are not made for small files, and only the most recently used are kept', () => {
    const small = arpaFile('small.arpa', 1);
    expect(loadLanguageModel(small.path, { ...cache, minSourceBytes: 10_000_000 }).from).toBe('source');
    expect(existsSync(cache.dir)).toBe(false);
    const paths = [1, 2, 3, 4].map((i) => arpaFile(`m${i}.arpa`, i).path);
    for (const p of paths) loadLanguageModel(p, { ...cache, keep: 2 });
    expect(snapshots()).toHaveLength(2);
    expect(loadLanguageModel(paths[3], cache).from).toBe('snapshot');
    expect(loadLanguageModel(paths[0], cache).from).toBe('source');
  });

  it('clear away what a writer that died left behind', () => {
    const { path } = arpaFile('a.arpa', 1);
    mkdirSync(cache.dir, { recursive: true });
    // No process has pid 2^22 + 1 (Linux's pid_max is at most 2^22).
    const leftover = join(cache.dir, `0123456789abcdef.lmsnap.tmp-${2 ** 22 + 1}`);
    writeFileSync(leftover, 'half a snapshot');
    loadLanguageModel(path, cache);
    expect(existsSync(leftover)).toBe(false);
  });

  it.skipIf(!existsSync(BASE_LM_PATH))(
    'of the shipped model score as the model itself (needs models/lm/en-us.lm.bin: npm run models:lm)',
    () => {
      const shipped = { ...cache, minSourceBytes: DEFAULT_LM_CACHE.minSourceBytes };
      const source = loadLanguageModel(BASE_LM_PATH, shipped);
      expect(source.from).toBe('source');
      const snap = loadLanguageModel(BASE_LM_PATH, shipped);
      expect(snap.from).toBe('snapshot');
      const words = source.lm.words.slice(0, 20_000) as string[];
      expect(scores(snap.lm, words)).toEqual(scores(source.lm, words));
      expect(snap.lm.words).toEqual(source.lm.words);
    },
  );
});
