import { PHONE_SCORING_VERSION } from '../speech/front-end.js';
import { existsSync } from 'node:fs';
import { AUDIO_READER_VERSION, readAudio } from '../speech/audio.js';
import { DEFAULT_FEATURES, type FeatureConfig, minSamples } from '../speech/features.js';
import { computeFeatures } from '../speech/front-end.js';
import { FeatureCache, FeatureCacheWriter } from './feature-cache.js';

/** What the prepare stage needs of an utterance (the corpus reader gives this). */
export interface SourceUtterance {
  id: string;
  speaker: string;
  audioPath: string;
  text: string;
}

export interface PrepareConfig {
  /** Front-end settings (must match the model that will train on the cache). */
  features: FeatureConfig;
  /** Audio files decoded at once (each decode of a compressed file is a sox process). */
  jobs: number;
}

export const DEFAULT_PREPARE: PrepareConfig = {
  features: DEFAULT_FEATURES,
  jobs: 2,
};

export interface PrepareReport {
  path: string;
  items: number;
  skipped: { id: string; reason: string }[];
  audioSeconds: number;
  reused: boolean;
}

/**
 * Computes features (front-end.ts) for every utterance and writes them to one cache file. Idempotent: an
 * existing complete cache of the same utterances and the same FeatureConfig (so log-mel and phone features
 * never mix) is reused, so the stage can be rerun freely.
 * Unreadable or too-short audio is skipped and reported, not fatal: one bad file in a user's
 * folder should not stop training.
 */
export async function prepareFeatures(
  utterances: readonly SourceUtterance[],
  path: string,
  config: Partial<PrepareConfig> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<PrepareReport> {
  const cfg = { ...DEFAULT_PREPARE, ...config };
  const hop = cfg.features.hopLength / cfg.features.sampleRate;
  if (existsSync(path)) {
    const cache = FeatureCache.load(path);
    // Reuse only a cache made from exactly these utterances: an extra item (removed from the corpus)
    // or a stale transcript (corrected since) must not reach training. Known-bad files are not retried.
    const texts = new Map(cache.items.map((i) => [i.id, i.text]));
    const skipped = cache.header.skipped ?? [];
    const skippedIds = new Set(skipped.map((s) => s.id));
    cache.close();
    if (
      texts.size + skippedIds.size === utterances.length &&
      utterances.every((u) => texts.get(u.id) === u.text || skippedIds.has(u.id)) &&
      JSON.stringify(cache.header.features) === JSON.stringify(cfg.features) &&
      // Features of audio decoded differently (before FLAC's last block was kept) are recomputed.
      (cache.header.audioReader ?? 1) === AUDIO_READER_VERSION &&
      // Phone features scored another way (all densities, before the top-4 scorer) are recomputed.
      (!cfg.features.phones || (cache.header.phoneScoring ?? 1) === PHONE_SCORING_VERSION)
    ) {
      return {
        path,
        items: cache.items.length,
        skipped,
        audioSeconds: cache.totalFrames * hop,
        reused: true,
      };
    }
  }
  const writer = new FeatureCacheWriter(path, cfg.features);
  const skipped: PrepareReport['skipped'] = [];
  // Finished utterances wait here only until every earlier one is written: the cache is in input order
  // whatever order decodes finish in, and memory holds a few utterances, not the corpus.
  const pending = new Map<number, { frames: number; data: Float32Array } | null>();
  let written = 0;
  const flush = () => {
    while (pending.has(written)) {
      const r = pending.get(written)!;
      pending.delete(written);
      const u = utterances[written++];
      if (r) writer.add({ id: u.id, speaker: u.speaker, text: u.text, frames: r.frames }, r.data);
    }
  };
  let next = 0;
  let done = 0;
  let audioSeconds = 0;
  const worker = async () => {
    while (next < utterances.length) {
      const i = next++;
      const u = utterances[i];
      try {
        const audio = await readAudio(u.audioPath, { sampleRate: cfg.features.sampleRate });
        if (audio.samples.length < minSamples(cfg.features))
          throw new Error('too short for one feature frame');
        const m = computeFeatures(audio.samples, cfg.features);
        pending.set(i, { frames: m.frames, data: m.data });
        audioSeconds += audio.samples.length / cfg.features.sampleRate;
      } catch (err) {
        skipped.push({ id: u.id, reason: (err as Error).message });
        pending.set(i, null);
      }
      flush();
      onProgress?.(++done, utterances.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, cfg.jobs) }, worker));
    flush();
    writer.finish(skipped);
  } catch (err) {
    writer.discard();
    throw err;
  }
  return { path, items: utterances.length - skipped.length, skipped, audioSeconds, reused: false };
}
