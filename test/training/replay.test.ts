import { cpSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { withFrontEnd } from '../../src-main/speech/front-end.js';
import { FeatureCache } from '../../src-main/training/feature-cache.js';
import { buildReplaySet, loadReplay, replayPath } from '../../src-main/training/replay.js';
import { HAVE_MODEL, MODEL_DIR } from '../speech/sphinx/helpers.js';
import { type PersonalFixture, personalFixture } from './personal-fixture.js';

let f: PersonalFixture;
let root: string;

beforeAll(async () => {
  f = await personalFixture();
  root = mkdtempSync(join(tmpdir(), 'attune-replay-'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('replay set', () => {
  it('is built within its size budget, one speaker at a time, as a feature cache in the model folder', async () => {
    const model = join(root, 'model');
    const report = await buildReplaySet(f.corpusDir, model, { maxBytes: 120_000 });
    const path = replayPath(model);
    expect(path).toBe(join(model, 'replay', 'replay.feats'));
    expect(statSync(path).size).toBeLessThanOrEqual(120_000);
    expect(report.bytes).toBeLessThanOrEqual(120_000);
    const cache = FeatureCache.load(path);
    expect(cache.items).toHaveLength(report.utterances);
    expect(report.utterances).toBeGreaterThan(3);
    expect(report.utterances).toBeLessThan(18); // the budget stopped it before the whole corpus
    // Round robin: the first three come from three different speakers.
    expect(new Set(cache.items.slice(0, 3).map((i) => i.speaker)).size).toBe(3);
    expect(report.speakers).toBe(3);
    expect(report.audioSeconds).toBeCloseTo((cache.totalFrames * 160) / 16000, 6);
    cache.close();
    // The whole corpus fits a larger budget; a rebuild is the same file.
    const all = await buildReplaySet(f.corpusDir, model);
    expect(all.utterances).toBe(18);
  });

  it('draws from several corpora in turn, their speakers kept apart even when their ids are the same', async () => {
    // A second corpus whose speaker ids collide with the first's: a copy of it.
    const second = join(root, 'second-corpus');
    cpSync(f.corpusDir, second, { recursive: true });
    const model = join(root, 'two-corpora');
    const report = await buildReplaySet([f.corpusDir, second], model);
    expect(report.speakers).toBe(6);
    expect(report.utterances).toBe(36);
    const cache = FeatureCache.load(replayPath(model));
    // The items keep their own speaker ids (the replay set is scored per speaker by them).
    expect(new Set(cache.items.map((i) => i.speaker)).size).toBe(3);
    cache.close();
    await expect(buildReplaySet([], model)).rejects.toThrow(/at least one corpus/);
  });

  it('loads split into a training part and a measuring part, or says why not', () => {
    const { replay, warning } = loadReplay(f.baseDir, DEFAULT_FEATURES, { evalEvery: 3 });
    expect(warning).toBeNull();
    expect(replay!.train.items.length + replay!.eval.items.length).toBe(18);
    expect(replay!.eval.items).toHaveLength(6);
    const ids = new Set(replay!.train.items.map((i) => i.id));
    expect(replay!.eval.items.some((i) => ids.has(i.id))).toBe(false);

    expect(loadReplay(join(root, 'nowhere'), DEFAULT_FEATURES).warning).toMatch(/has no replay set/);
    const other = loadReplay(f.baseDir, { ...DEFAULT_FEATURES, nMels: 40 });
    expect(other.replay).toBeNull();
    expect(other.warning).toMatch(/other feature settings/);
  });

  // Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
  it.skipIf(!HAVE_MODEL)(
    "with phone features, records the model folder's sphinx copy relatively and accepts another copy of it",
    async () => {
      const model = join(root, 'phones-model');
      cpSync(MODEL_DIR, join(model, 'sphinx'), { recursive: true });
      const features = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', join(model, 'sphinx'));
      await buildReplaySet(f.corpusDir, model, { maxBytes: 100_000, features });
      const cache = FeatureCache.load(replayPath(model));
      expect(cache.bins).toBe(122);
      expect(cache.header.features.phones).toEqual({ model: 'sphinx', withLogMel: true });
      cache.close();
      // The model folder moved, with its replay set and sphinx model.
      const moved = join(root, 'phones-moved');
      renameSync(model, moved);
      const own = withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', join(moved, 'sphinx'));
      expect(loadReplay(moved, own).warning).toBeNull();
      // A personal model of it carries its own copy of the same sphinx model.
      const personal = join(root, 'personal', 'sphinx');
      cpSync(MODEL_DIR, personal, { recursive: true });
      const { replay } = loadReplay(moved, withFrontEnd(DEFAULT_FEATURES, 'logmel+phones', personal));
      expect(replay!.train.bins).toBe(122);
      // Other features: not used.
      expect(loadReplay(moved, DEFAULT_FEATURES).warning).toMatch(/other feature settings/);
      expect(loadReplay(moved, withFrontEnd(DEFAULT_FEATURES, 'phones', personal)).replay).toBeNull();
    },
  );
});
