import { readAudio } from '../speech/audio.js';
import { DEFAULT_FEATURES, type FeatureConfig, minSamples } from '../speech/features.js';
import { computeFeatures, frontEndBins } from '../speech/front-end.js';
import type { FeatureCache } from './feature-cache.js';
import type { SourceUtterance } from './prepare.js';
import type { FeatureSource } from './train.js';

/** One utterance held in memory with its features (front-end.ts). */
export interface MemoryUtterance {
  id: string;
  speaker: string;
  text: string;
  frames: number;
  data: Float32Array; // [frames, bins]
}

/**
 * Utterances whose features live in memory: what personal fine-tuning trains on. A user's corrections
 * are a few dozen clips, so computing their features at each run is quicker than keeping a cache file
 * in step with the store.
 */
export class MemoryFeatures implements FeatureSource {
  constructor(
    readonly bins: number,
    readonly items: readonly MemoryUtterance[],
  ) {
    for (const it of items) {
      if (it.data.length !== it.frames * bins)
        throw new Error(
          `utterance ${it.id}: ${it.data.length} feature values, expected ${it.frames}×${bins}`,
        );
    }
  }

  features(i: number): Float32Array {
    return this.items[i].data;
  }

  /** Total feature frames. */
  get totalFrames(): number {
    return this.items.reduce((s, it) => s + it.frames, 0);
  }

  /** The items at these indices, in that order. */
  pick(indices: readonly number[]): MemoryFeatures {
    return new MemoryFeatures(
      this.bins,
      indices.map((i) => this.items[i]),
    );
  }

  /** This set followed by others (all with the same number of bins). */
  concat(...others: MemoryFeatures[]): MemoryFeatures {
    for (const o of others)
      if (o.bins !== this.bins) throw new Error(`cannot join features of ${o.bins} and ${this.bins} bins`);
    return new MemoryFeatures(this.bins, [...this.items, ...others.flatMap((o) => o.items)]);
  }

  /** Reads every item of a feature cache into memory. */
  static fromCache(cache: FeatureCache): MemoryFeatures {
    return new MemoryFeatures(
      cache.bins,
      cache.items.map((it, i) => ({
        id: it.id,
        speaker: it.speaker,
        text: it.text,
        frames: it.frames,
        data: cache.features(i),
      })),
    );
  }
}

/**
 * Decodes each utterance's audio and computes its features. Unreadable or too-short clips are left out
 * and reported with why: one lost clip must not stop a user's training.
 */
export async function loadUtterances(
  utterances: readonly SourceUtterance[],
  features: FeatureConfig = DEFAULT_FEATURES,
): Promise<{ set: MemoryFeatures; skipped: { id: string; reason: string }[] }> {
  const items: MemoryUtterance[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const u of utterances) {
    try {
      const audio = await readAudio(u.audioPath, { sampleRate: features.sampleRate });
      if (audio.samples.length < minSamples(features)) throw new Error(`${u.audioPath}: too short`);
      const m = computeFeatures(audio.samples, features);
      items.push({ id: u.id, speaker: u.speaker, text: u.text, frames: m.frames, data: m.data });
    } catch (err) {
      skipped.push({ id: u.id, reason: (err as Error).message });
    }
  }
  return { set: new MemoryFeatures(frontEndBins(features), items), skipped };
}
