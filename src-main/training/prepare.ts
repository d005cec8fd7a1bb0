import { PHONE_SCORING_VERSION } from '../speech/front-end.js';
import { hasSphinxModel, sameSphinxModel } from '../speech/sphinx/load-model.js';
import { existsSync, statSync } from 'node:fs';
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
  /** What reading the audio tolerated, per utterance (e.g. a FLAC file that ends early), naming the file. */
  warnings: { id: string; file: string; warning: string }[];
  audioSeconds: number;
  reused: boolean;
}

/**
 * What an utterance's features are computed from: its audio file's size and modification time (to the
 * nanosecond where the file system keeps it). A clip replaced, re-recorded or repaired changes one or both, and
 * its cached features are then recomputed. Size and time are what make and rsync go by; a content hash would
 * also catch a same-size replacement that kept the old time (a copy with times preserved), but would read every
 * audio file at every run, which is the work the cache is there to save. "missing" for a file that cannot be
 * stat'ed (it is skipped when decoded, and retried when it appears).
 */
export function audioStamp(path: string): string {
  try {
    const info = statSync(path, { bigint: true });
    return `${info.size}:${info.mtimeNs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Computes features (front-end.ts) for every utterance and writes them to one cache file. Idempotent: an
 * existing complete cache of the same utterances, the same audio files unchanged (audioStamp) and the same
 * FeatureConfig (so log-mel and phone features never mix) is reused, so the stage can be rerun freely.
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
  // Stamped before decoding: a file that changes while it is read is seen as changed at the next run.
  const audio = Object.fromEntries(utterances.map((u) => [u.id, audioStamp(u.audioPath)]));
  const reused = existsSync(path) ? reusableCache(path, utterances, cfg, audio) : null;
  if (reused) return reused;
  const writer = new FeatureCacheWriter(path, cfg.features);
  const skipped: PrepareReport['skipped'] = [];
  const warnings: PrepareReport['warnings'] = [];
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
        const decoded = await readAudio(u.audioPath, { sampleRate: cfg.features.sampleRate });
        for (const warning of decoded.warnings) warnings.push({ id: u.id, file: u.audioPath, warning });
        if (decoded.samples.length < minSamples(cfg.features))
          throw new Error('too short for one feature frame');
        const m = computeFeatures(decoded.samples, cfg.features);
        pending.set(i, { frames: m.frames, data: m.data });
        audioSeconds += decoded.samples.length / cfg.features.sampleRate;
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
    writer.finish({ skipped, audio, warnings });
  } catch (err) {
    writer.discard();
    throw err;
  }
  const items = utterances.length - skipped.length;
  return { path, items, skipped, warnings, audioSeconds, reused: false };
}

/**
 * The report of an existing cache that may be reused, or null when it must be recomputed. Reused only when
 * made from exactly these utterances: an extra item (removed from the corpus), a stale transcript (corrected
 * since) or changed audio must not reach training or scoring. Known-bad files are not retried unless changed.
 */
/**
 * Whether cached features were computed as `wanted` would compute them. Phone features name their sphinx
 * model by folder: another folder holding the same files (a model folder's copy of it, as every trained
 * model carries) computes the same features, so it does not throw the cache away.
 */
function sameFeatures(cached: FeatureConfig, wanted: FeatureConfig): boolean {
  const a = cached.phones?.model;
  const b = wanted.phones?.model;
  const withoutModel = (f: FeatureConfig) =>
    JSON.stringify({ ...f, phones: f.phones && { ...f.phones, model: '' } });
  if (withoutModel(cached) !== withoutModel(wanted)) return false;
  return a === b || (a !== undefined && b !== undefined && hasSphinxModel(a) && sameSphinxModel(a, b));
}

function reusableCache(
  path: string,
  utterances: readonly SourceUtterance[],
  cfg: PrepareConfig,
  audio: Record<string, string>,
): PrepareReport | null {
  const cache = FeatureCache.load(path);
  cache.close();
  const { header } = cache;
  const texts = new Map(cache.items.map((i) => [i.id, i.text]));
  const skipped = header.skipped ?? [];
  const skippedIds = new Set(skipped.map((s) => s.id));
  const same =
    texts.size + skippedIds.size === utterances.length &&
    utterances.every((u) => texts.get(u.id) === u.text || skippedIds.has(u.id)) &&
    sameAudio(path, header.audio, utterances, audio) &&
    sameFeatures(header.features, cfg.features) &&
    // Features of audio decoded differently (before FLAC's last block was kept) are recomputed.
    (header.audioReader ?? 1) === AUDIO_READER_VERSION &&
    // Phone features scored another way (all densities, before the top-4 scorer) are recomputed.
    (!cfg.features.phones || (header.phoneScoring ?? 1) === PHONE_SCORING_VERSION);
  if (!same) return null;
  const hop = cfg.features.hopLength / cfg.features.sampleRate;
  return {
    path,
    items: cache.items.length,
    skipped,
    warnings: header.warnings ?? [],
    audioSeconds: cache.totalFrames * hop,
    reused: true,
  };
}

/**
 * Whether every utterance's audio is what the cache was computed from. A cache from before stamps were kept
 * has only its own time to go by: its audio is unchanged if no file is newer than the cache.
 */
function sameAudio(
  path: string,
  cached: Record<string, string> | undefined,
  utterances: readonly SourceUtterance[],
  audio: Record<string, string>,
): boolean {
  if (cached) return utterances.every((u) => cached[u.id] === audio[u.id]);
  const made = statSync(path, { bigint: true }).mtimeNs;
  return utterances.every((u) => {
    const stamp = audio[u.id];
    return stamp !== 'missing' && BigInt(stamp.split(':')[1]) <= made;
  });
}
