// The feature cache file: round trip at its stated resolution, atomic appearance, and damaged files.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureCache, FeatureCacheWriter } from '../../src-main/training/feature-cache.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { randomFeatures } from './helpers-tf.js';

const FEATURES = { ...DEFAULT_FEATURES, nMels: 12 };
const F = FEATURES.nMels;
const root = mkdtempSync(join(tmpdir(), 'attune-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const items = [
  { id: 'a-1', speaker: 'alice', text: 'Hello, world!', frames: 37 },
  { id: 'b-1', speaker: 'bob', text: 'ünïcode “quotes”', frames: 1 },
  { id: 'a-2', speaker: 'alice', text: '', frames: 250 },
];

function write(path: string): Float32Array[] {
  const w = new FeatureCacheWriter(path, FEATURES);
  const data = items.map((it, k) => randomFeatures(it.frames, F, k + 1));
  items.forEach((it, k) => w.add(it, data[k]));
  w.finish();
  return data;
}

describe('FeatureCache', () => {
  it('round-trips items and features to within 0.0005 (int16 at 1/1000)', () => {
    const path = join(root, 'sub', 'dir', 'train.feats'); // parents are created
    const data = write(path);
    const cache = FeatureCache.load(path);
    expect(cache.bins).toBe(F);
    expect(cache.header.features).toEqual(FEATURES);
    expect(cache.items.map(({ id, speaker, text, frames }) => ({ id, speaker, text, frames }))).toEqual(
      items,
    );
    expect(cache.totalFrames).toBe(37 + 1 + 250);
    items.forEach((it, k) => {
      const got = cache.features(k);
      expect(got.length).toBe(it.frames * F);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - data[k][i]));
      expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6);
    });
    // Half the size of float32: 2 bytes per value plus a small header.
    const values = cache.totalFrames * F;
    expect(readFileSync(path).length).toBeLessThan(2 * values + 1000);
  });

  it('clips values outside the int16 range instead of wrapping them', () => {
    const path = join(root, 'clip.feats');
    const w = new FeatureCacheWriter(path, { ...FEATURES, nMels: 2 });
    w.add({ id: 'x', speaker: 's', text: 't', frames: 2 }, Float32Array.from([40, -40, 1.23449, -0.0004]));
    w.finish();
    expect([...FeatureCache.load(path).features(0)].map((v) => Math.round(v * 1000))).toEqual([
      32767, -32767, 1234, 0,
    ]);
  });

  it('writes an empty cache', () => {
    const path = join(root, 'empty.feats');
    new FeatureCacheWriter(path, FEATURES).finish();
    const cache = FeatureCache.load(path);
    expect(cache.items).toEqual([]);
    expect(cache.totalFrames).toBe(0);
  });

  it('appears under its name only when finished, leaving no temporary file', () => {
    const dir = join(root, 'atomic');
    const path = join(dir, 'train.feats');
    const w = new FeatureCacheWriter(path, FEATURES);
    w.add(items[0], randomFeatures(items[0].frames, F, 1));
    expect(existsSync(path)).toBe(false);
    w.finish();
    expect(readdirSync(dir)).toEqual(['train.feats']);
  });

  it('leaves nothing behind when discarded, and refuses items after finishing', () => {
    const dir = join(root, 'discarded');
    const w = new FeatureCacheWriter(join(dir, 'train.feats'), FEATURES);
    w.add(items[0], randomFeatures(items[0].frames, F, 1));
    w.discard();
    expect(readdirSync(dir)).toEqual([]);
    const done = new FeatureCacheWriter(join(dir, 'done.feats'), FEATURES);
    done.finish();
    expect(() => done.add(items[0], randomFeatures(items[0].frames, F, 1))).toThrow(/already finished/);
  });

  it('refuses an item whose feature size does not match its frames', () => {
    const w = new FeatureCacheWriter(join(root, 'never.feats'), FEATURES);
    expect(() =>
      w.add({ id: 'odd', speaker: 's', text: 't', frames: 3 }, new Float32Array(3 * F - 1)),
    ).toThrow(/cache item odd: wrong feature size/);
  });

  it('names the file and the problem when it cannot be read', () => {
    const missing = join(root, 'missing.feats');
    expect(() => FeatureCache.load(missing)).toThrow(
      `feature cache ${missing} does not exist (run the prepare stage)`,
    );
    const good = join(root, 'good.feats');
    write(good);
    const bytes = readFileSync(good);
    const bad = join(root, 'bad.feats');
    writeFileSync(bad, Buffer.concat([Buffer.from('RIFF....'), bytes.subarray(8)]));
    expect(() => FeatureCache.load(bad)).toThrow(`${bad} is not an Attune feature cache`);
    writeFileSync(bad, bytes.subarray(0, 5));
    expect(() => FeatureCache.load(bad)).toThrow(`${bad} is not an Attune feature cache`);
    writeFileSync(bad, bytes.subarray(0, 40));
    expect(() => FeatureCache.load(bad)).toThrow(`${bad}: truncated header`);
    writeFileSync(bad, bytes.subarray(0, bytes.length - 2));
    expect(() => FeatureCache.load(bad)).toThrow(
      new RegExp(`truncated data \\(\\d+ values, index needs ${288 * F}\\)`),
    );
    // A header that is not JSON.
    const broken = Buffer.from(bytes);
    broken.write('[', 12, 'latin1'); // the header's opening brace
    writeFileSync(bad, broken);
    expect(() => FeatureCache.load(bad)).toThrow(new RegExp(`^${bad}: header is not valid JSON`));
  });

  it("removes what writers killed before finishing left behind, and keeps a live writer's files", () => {
    const path = join(root, 'leftovers', 'train.feats');
    mkdirSync(join(root, 'leftovers'));
    // A process that has certainly ended, and one that certainly runs (this test's parent).
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const dropped = [`train.feats.values-${dead}`, `train.feats.tmp-${dead}`];
    const kept = [`train.feats.values-${process.ppid}`, `dev.feats.values-${dead}`, 'train.feats.values-x'];
    for (const name of [...dropped, ...kept]) writeFileSync(join(root, 'leftovers', name), 'partial');
    write(path);
    expect(readdirSync(join(root, 'leftovers')).sort()).toEqual([...kept, 'train.feats'].sort());
  });
});
