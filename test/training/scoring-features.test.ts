// Features of a set to score on, cached between runs: only the utterances asked for come back, in order,
// a second run reuses the cache, and another front end never reads the first one's features.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio } from '../../src-main/speech/audio.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { computeFeatures } from '../../src-main/speech/front-end.js';
import type { SourceUtterance } from '../../src-main/training/prepare.js';
import { scoringFeatures } from '../../src-main/training/scoring-features.js';

let root: string;
const utterances: SourceUtterance[] = [];
const purpose = `scoring-test-${process.pid}`;
const cacheDir = join(tmpdir(), `attune-${purpose}`);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attune-scoring-'));
  for (const [i, text] of ['Good morning.', 'Open the door.', 'Close it.'].entries()) {
    const audioPath = join(root, `${i}.wav`);
    await promisify(execFile)('espeak-ng', ['-w', audioPath, text]);
    utterances.push({ id: `u${i}`, speaker: '1', audioPath, text });
  }
  utterances.push({ id: 'gone', speaker: '1', audioPath: join(root, 'gone.wav'), text: 'missing' });
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('scoringFeatures', () => {
  it('gives the readable utterances asked for, in order, with what could not be read', async () => {
    const config = { features: DEFAULT_FEATURES, jobs: 2, purpose, key: [root] };
    const first = await scoringFeatures(utterances, config);
    expect(first.items.map((it) => it.id)).toEqual(['u0', 'u1', 'u2']);
    expect(first.report.skipped.map((s) => s.id)).toEqual(['gone']);
    const want = computeFeatures((await readAudio(utterances[1].audioPath)).samples, DEFAULT_FEATURES);
    expect(first.items[1].frames).toBe(want.frames);
    expect(first.items[1].features()).toHaveLength(want.data.length);
    first.close();

    // The same set again is read from the cache.
    const again = await scoringFeatures(utterances, config);
    expect(again.report.reused).toBe(true);
    again.close();
    expect(readdirSync(cacheDir)).toHaveLength(1);

    // Another key (a subset of the set) or another front end: a cache of its own.
    const part = await scoringFeatures(utterances.slice(2, 3), { ...config, key: [root, 'u2'] });
    expect(part.items.map((it) => it.id)).toEqual(['u2']);
    part.close();
    const other = { ...DEFAULT_FEATURES, nMels: DEFAULT_FEATURES.nMels / 2 };
    const coarse = await scoringFeatures(utterances, { ...config, features: other });
    expect(coarse.report.reused).toBe(false);
    expect(coarse.items[0].features().length).toBe(coarse.items[0].frames * other.nMels);
    coarse.close();
    expect(readdirSync(cacheDir)).toHaveLength(3);
  });
});
