import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAudio } from '../speech/audio.js';
import { DEFAULT_FEATURES, type FeatureConfig, minSamples } from '../speech/features.js';
import { computeFeatures, frontEndBins, relativeFrontEnd, sameFeatures } from '../speech/front-end.js';
import { mulberry32 } from '../speech/prng.js';
import { FeatureCache, FeatureCacheWriter } from './feature-cache.js';
import { type LibriSpeechUtterance, readLibriSpeech } from './librispeech.js';
import { MemoryFeatures } from './memory-features.js';

/**
 * The replay set: a few minutes of the speech the base model learnt from, shipped inside the model folder
 * as `replay/replay.feats` (a feature cache: int16 log-mel with transcripts, see feature-cache.ts).
 * Personal fine-tuning mixes part of it into every run so the model does not forget general speech while
 * it learns one voice, and the guard scores the other part to prove it did not.
 */
export const REPLAY_FOLDER = 'replay';
export const REPLAY_FILE = 'replay.feats';

export interface ReplayBuildConfig {
  /**
   * Size budget of the replay file: 12 MB of int16 log-mel ≈ 750 s of speech at 80 bins and a 10 ms hop,
   * half trained on and half measured by the guard. A smaller set let fine-tuning forget more general
   * speech without learning the voice any better, and measures forgetting with more sampling noise.
   */
  maxBytes: number;
  /** Longer utterances are passed over: many short ones cover more voices and words per byte. */
  maxSeconds: number;
  /** Order in which utterances are tried (a seeded shuffle, one speaker at a time in turn). */
  seed: number;
  /** Front end of the model the set belongs to. */
  features: FeatureConfig;
}

export const DEFAULT_REPLAY_BUILD: ReplayBuildConfig = {
  maxBytes: 12_000_000,
  maxSeconds: 6,
  seed: 1,
  features: DEFAULT_FEATURES,
};

export interface ReplaySplitConfig {
  /** Every k-th replay utterance is kept for measuring, the rest is mixed into training. */
  evalEvery: number;
}

export interface ReplaySet {
  /** Mixed into fine-tuning. */
  train: MemoryFeatures;
  /** Scored by the guard (never trained on). */
  eval: MemoryFeatures;
}

export function replayPath(modelDir: string): string {
  return join(modelDir, REPLAY_FOLDER, REPLAY_FILE);
}

/**
 * Loads a model folder's replay set, split into training and measuring parts; null (with why) when the
 * folder has none or it does not fit the model's front end.
 */
export function loadReplay(
  modelDir: string,
  features: FeatureConfig,
  split: ReplaySplitConfig = { evalEvery: 2 },
): { replay: ReplaySet | null; warning: string | null } {
  const path = replayPath(modelDir);
  if (!existsSync(path))
    return {
      replay: null,
      warning: `${modelDir} has no replay set (${REPLAY_FOLDER}/${REPLAY_FILE}): fine-tuned without general speech mixed in, and forgetting was not measured`,
    };
  const cache = FeatureCache.load(path);
  try {
    // The set records a sphinx model folder inside the model folder relative to it, so both can move; a
    // personal model's own copy of its base model's sphinx model gives the same features.
    if (!sameFeatures(cache.header.features, features, modelDir))
      return {
        replay: null,
        warning: `${path} was made with other feature settings than the model's: not used`,
      };
    const all = MemoryFeatures.fromCache(cache);
    const k = Math.max(2, split.evalEvery);
    const evalIdx = all.items.map((_, i) => i).filter((i) => i % k === k - 1);
    const trainIdx = all.items.map((_, i) => i).filter((i) => i % k !== k - 1);
    return { replay: { train: all.pick(trainIdx), eval: all.pick(evalIdx) }, warning: null };
  } finally {
    cache.close();
  }
}

export interface ReplayBuildReport {
  path: string;
  utterances: number;
  speakers: number;
  audioSeconds: number;
  bytes: number;
}

/**
 * Builds `modelDir/replay/replay.feats` from LibriSpeech-layout corpora (those the model trained on, e.g.
 * synthetic and real speech): utterances of up to maxSeconds, taken one speaker at a time in turn (so
 * every voice is in it), until the size budget is spent.
 */
export async function buildReplaySet(
  corpusDirs: string | string[],
  modelDir: string,
  config: Partial<ReplayBuildConfig> = {},
): Promise<ReplayBuildReport> {
  const cfg = { ...DEFAULT_REPLAY_BUILD, ...config };
  const dirs = typeof corpusDirs === 'string' ? [corpusDirs] : corpusDirs;
  if (dirs.length === 0) throw new Error('a replay set needs at least one corpus');
  const rand = mulberry32(cfg.seed);
  const bySpeaker = new Map<string, LibriSpeechUtterance[]>();
  for (const [k, dir] of dirs.entries()) {
    // Speaker ids are only unique within a corpus: two corpora may both have a speaker "1".
    for (const u of (await readLibriSpeech(dir)).utterances) {
      const key = `${k}/${u.speaker}`;
      if (!bySpeaker.has(key)) bySpeaker.set(key, []);
      bySpeaker.get(key)!.push(u);
    }
  }
  const queues = [...bySpeaker.entries()].map(([key, list]) => {
    const q = list.map((u) => ({ u, key }));
    for (let i = q.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [q[i], q[j]] = [q[j], q[i]];
    }
    return q;
  });
  const bins = frontEndBins(cfg.features);
  const bytesPerFrame = bins * 2;
  // The header holds each item's id, speaker, text and offset as JSON: count ~200 bytes an item.
  const headerBytesPerItem = 200;
  mkdirSync(join(modelDir, REPLAY_FOLDER), { recursive: true });
  const path = replayPath(modelDir);
  const writer = new FeatureCacheWriter(path, relativeFrontEnd(cfg.features, modelDir), bins);
  let bytes = 0;
  let frames = 0;
  let count = 0;
  const speakers = new Set<string>();
  try {
    let full = false;
    while (!full && queues.some((q) => q.length > 0)) {
      for (const q of queues) {
        const next = q.shift();
        if (!next) continue;
        const { u, key } = next;
        let audio;
        try {
          audio = await readAudio(u.audioPath, { sampleRate: cfg.features.sampleRate });
        } catch {
          continue; // an unreadable file: the next one of the speaker will do
        }
        if (audio.durationSec > cfg.maxSeconds || audio.samples.length < minSamples(cfg.features)) continue;
        const m = computeFeatures(audio.samples, cfg.features);
        const cost = m.frames * bytesPerFrame + headerBytesPerItem;
        if (bytes + cost > cfg.maxBytes) {
          full = true;
          break;
        }
        writer.add({ id: u.id, speaker: u.speaker, text: u.text, frames: m.frames }, m.data);
        bytes += cost;
        frames += m.frames;
        count++;
        speakers.add(key);
      }
    }
    if (count === 0)
      throw new Error(`${dirs.join(', ')}: no utterance of at most ${cfg.maxSeconds} s could be read`);
    writer.finish();
  } catch (err) {
    writer.discard();
    throw err;
  }
  return {
    path,
    utterances: count,
    speakers: speakers.size,
    audioSeconds: (frames * cfg.features.hopLength) / cfg.features.sampleRate,
    bytes,
  };
}
