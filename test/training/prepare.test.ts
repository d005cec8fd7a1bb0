// The prepare stage with phone features: the cache holds what the front end computes, and a cache made with
// other features (log-mel, phones alone, another sphinx model) is recomputed, never reused; nor is one made
// from audio that has changed since.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio } from '../../src-main/speech/audio.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { computeFeatures, PHONE_SCORING_VERSION, withFrontEnd } from '../../src-main/speech/front-end.js';
import { FeatureCache } from '../../src-main/training/feature-cache.js';
import { prepareFeatures, type SourceUtterance } from '../../src-main/training/prepare.js';
import { HAVE_MODEL, MODEL_DIR } from '../speech/sphinx/helpers.js';

let root: string;
const utterances: SourceUtterance[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attune-prepare-'));
  for (const [i, text] of ['Good morning.', 'Open the door.'].entries()) {
    const audioPath = join(root, `${i}.wav`);
    await promisify(execFile)('espeak-ng', ['-w', audioPath, text]);
    utterances.push({ id: `u${i}`, speaker: '1', audioPath, text });
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
describe.skipIf(!HAVE_MODEL)('prepareFeatures with phone features', () => {
  const both = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', MODEL_DIR);
  const alone = withFrontEnd(DEFAULT_FEATURES, 'phones', MODEL_DIR);

  it('caches what the front end computes, 122 values a frame, to the cache resolution', async () => {
    const path = join(root, 'both.feats');
    const report = await prepareFeatures(utterances, path, { jobs: 1, features: both });
    expect(report).toMatchObject({ items: 2, reused: false, skipped: [] });
    const cache = FeatureCache.load(path);
    expect(cache.bins).toBe(122);
    expect(cache.header.features).toEqual(both);
    for (const [i, u] of utterances.entries()) {
      const want = computeFeatures((await readAudio(u.audioPath)).samples, both);
      expect(cache.items[i].frames).toBe(want.frames);
      const got = cache.features(i);
      let worst = 0;
      for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k] - want.data[k]));
      expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6); // int16 thousandths: nothing clipped
    }
    cache.close();
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: both })).reused).toBe(true);
  });

  it('recomputes a cache made with other features, whichever way round', async () => {
    const path = join(root, 'switch.feats');
    const bins = () => {
      const c = FeatureCache.load(path);
      c.close();
      return c.bins;
    };
    await prepareFeatures(utterances, path, { jobs: 1 });
    expect(bins()).toBe(80);
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: both })).reused).toBe(false);
    expect(bins()).toBe(122);
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: alone })).reused).toBe(false);
    expect(bins()).toBe(42);
    expect((await prepareFeatures(utterances, path, { jobs: 1 })).reused).toBe(false);
    expect(bins()).toBe(80);
    expect(FeatureCache.load(path).header.features).toEqual(DEFAULT_FEATURES);
  });

  it('reuses phones from a copy of the same sphinx model, and recomputes those of a changed one', async () => {
    const path = join(root, 'copied.feats');
    await prepareFeatures(utterances, path, { jobs: 1, features: both });
    // A model folder's copy of the sphinx model (every trained model carries one) computes the same features.
    const copy = join(root, 'copied-sphinx');
    cpSync(MODEL_DIR, copy, { recursive: true });
    const copied = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', copy);
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: copied })).reused).toBe(true);
    // Another model (its filter bank's top edge moved) is other features.
    const other = join(root, 'other-sphinx');
    cpSync(MODEL_DIR, other, { recursive: true });
    const params = join(other, 'feat.params');
    writeFileSync(params, readFileSync(params, 'utf8').replace('-upperf 6800', '-upperf 6700'));
    const changed = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', other);
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: changed })).reused).toBe(false);
    expect(FeatureCache.load(path).header.features).toEqual(changed);
  });

  it('recomputes phone features scored the old way (a cache without the scoring version)', async () => {
    const path = join(root, 'old-scoring.feats');
    await prepareFeatures(utterances, path, { jobs: 1, features: both });
    expect(FeatureCache.load(path).header.phoneScoring).toBe(PHONE_SCORING_VERSION);
    // Rewrite the header as a cache made before versions were kept: same length, padded with spaces.
    const file = readFileSync(path);
    const length = file.readUInt32LE(8);
    const header = JSON.parse(file.subarray(12, 12 + length).toString('utf8')) as Record<string, unknown>;
    delete header.phoneScoring;
    file.write(JSON.stringify(header).padEnd(length, ' '), 12, length, 'utf8');
    writeFileSync(path, file);
    expect(FeatureCache.load(path).header.phoneScoring).toBeUndefined();
    expect((await prepareFeatures(utterances, path, { jobs: 1, features: both })).reused).toBe(false);
    expect(FeatureCache.load(path).header.phoneScoring).toBe(PHONE_SCORING_VERSION);
  });
});

describe('prepareFeatures and changed audio', () => {
  /** Writes a cache file whose header lacks the audio stamps, as caches made before them do. */
  function withoutStamps(path: string): void {
    const bytes = readFileSync(path);
    const length = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + length).toString('utf8'));
    delete header.audio;
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const pre = Buffer.from(bytes.subarray(0, 12));
    pre.writeUInt32LE(json.length, 8);
    writeFileSync(path, Buffer.concat([pre, json, bytes.subarray(12 + length)]));
  }

  it('stamps each clip (size and time) and recomputes when one changes', async () => {
    const path = join(root, 'stamped.feats');
    const list = utterances.map((u, i) => ({ ...u, audioPath: join(root, `stamped-${i}.wav`) }));
    list.forEach((u, i) => cpSync(utterances[i].audioPath, u.audioPath));
    await prepareFeatures(list, path, { jobs: 1 });
    expect(Object.keys(FeatureCache.load(path).header.audio!)).toEqual(['u0', 'u1']);
    expect((await prepareFeatures(list, path, { jobs: 1 })).reused).toBe(true);
    // The second clip replaced by the first one's audio: other bytes, other size, a later time.
    cpSync(utterances[0].audioPath, list[1].audioPath);
    const again = await prepareFeatures(list, path, { jobs: 1 });
    expect(again.reused).toBe(false);
    const cache = FeatureCache.load(path);
    const expected = computeFeatures((await readAudio(list[1].audioPath)).samples, DEFAULT_FEATURES);
    expect(cache.items[1].frames).toBe(expected.frames);
  });

  it('reuses a cache from before stamps only while no clip is newer than it', async () => {
    const path = join(root, 'legacy.feats');
    const list = utterances.map((u, i) => ({ ...u, audioPath: join(root, `legacy-${i}.wav`) }));
    list.forEach((u, i) => cpSync(utterances[i].audioPath, u.audioPath));
    await prepareFeatures(list, path, { jobs: 1 });
    withoutStamps(path);
    expect(FeatureCache.load(path).header.audio).toBeUndefined();
    // Made after its audio: reused (a long training run's cache is not recomputed for nothing).
    expect((await prepareFeatures(list, path, { jobs: 1 })).reused).toBe(true);
    withoutStamps(path);
    const later = new Date(Date.now() + 60_000);
    utimesSync(list[0].audioPath, later, later); // a clip saved after the cache was made
    expect((await prepareFeatures(list, path, { jobs: 1 })).reused).toBe(false);
  });
});
