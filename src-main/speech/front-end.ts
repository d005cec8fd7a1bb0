// The acoustic model's input, chosen per model by FeatureConfig.phones: log-mel alone (features.ts, the
// default), sphinx phone log-posteriors alone (sphinx/sphinx-features.ts), or both side by side, [frames,
// nMels + phones]. Everything that computes features for a model goes through here, offline (whole clips)
// and streaming (mic chunks).
//
// Both kinds of frame lie on the log-mel grid (frame t centred on sample t * hop, numFrames(n) of them), so
// joining them needs no alignment, only waiting: the phone stream gives frame t about 30 ms after the log-mel
// stream (its Δ/ΔΔ look-ahead), and the joined stream gives it once both have.

import { resolve, relative, isAbsolute, sep } from 'node:path';
import { frameEnergy } from './endpoint.js';
import { type FeatureConfig, type LogMel, StreamingLogMel, logMel, minSamples } from './features.js';
import {
  hasSphinxModel,
  loadSphinxModel,
  sameSphinxModel,
  SPHINX_MODEL_FILES,
  type SphinxAcousticModel,
} from './sphinx/load-model.js';
import {
  DEFAULT_SPHINX_FEATURES,
  SphinxFeaturizer,
  StreamingSphinxFeatures,
  sphinxFeatures,
} from './sphinx/sphinx-features.js';

/** logmel+phones+contexts: each phone's best-context posterior after the CI ones (sphinx/context-scores.ts). */
export type FrontEndKind = 'logmel' | 'phones' | 'logmel+phones' | 'logmel+phones+contexts';
export const FRONT_END_KINDS: readonly FrontEndKind[] = [
  'logmel',
  'phones',
  'logmel+phones',
  'logmel+phones+contexts',
];

/**
 * Phone log-posteriors are raised to at least this, in nats. Unfloored they reach -140 in silence, but the
 * feature cache keeps values as int16 thousandths (±32.767): without the floor, training would see -32.767
 * where live recognition sees -140. A posterior of e^-30 says no more than one of e^-140.
 */
export const PHONE_LOG_FLOOR = -30;

/**
 * How phone features are scored; feature caches record it and are recomputed when it changes
 * (1: every density of each codebook; 2: its 4 best, as pocketsphinx scores).
 */
export const PHONE_SCORING_VERSION = 2;

export function frontEndKind(config: FeatureConfig): FrontEndKind {
  if (!config.phones) return 'logmel';
  if (config.phones.contexts) return 'logmel+phones+contexts';
  return config.phones.withLogMel ? 'logmel+phones' : 'phones';
}

/** Kinds whose frames each hold the one before's values and more after them. */
const GROWTH: readonly FrontEndKind[] = ['logmel', 'logmel+phones', 'logmel+phones+contexts'];

/** Whether a model taking `from` frames can be given `to` frames (more values after its own). */
export function kindGrowsInto(from: FrontEndKind, to: FrontEndKind): boolean {
  return GROWTH.indexOf(from) >= 0 && GROWTH.indexOf(to) > GROWTH.indexOf(from);
}

/**
 * Whether `grown` is `from`'s frame with more values after it (log-mel → + phones → + contexts), same log-mel
 * settings: what a trained model can be given (model/add-input-bins.ts).
 */
export function extendsFrontEnd(from: FeatureConfig, grown: FeatureConfig): boolean {
  return kindGrowsInto(frontEndKind(from), frontEndKind(grown)) && sameLogMel(from, grown);
}

/** Same log-mel settings, whatever else the frames hold. */
function sameLogMel(a: FeatureConfig, b: FeatureConfig): boolean {
  const { phones: _a, ...melA } = a;
  const { phones: _b, ...melB } = b;
  return JSON.stringify(melA) === JSON.stringify(melB);
}

/** `base`'s log-mel settings with the front end of this kind; phones need the sphinx model folder. */
export function withFrontEnd(base: FeatureConfig, kind: FrontEndKind, sphinxModel?: string): FeatureConfig {
  const { phones: _phones, ...logMelOnly } = base;
  if (kind === 'logmel') return base.phones ? logMelOnly : base;
  if (!sphinxModel) throw new Error(`features ${kind}: no sphinx model folder given`);
  const contexts = kind === 'logmel+phones+contexts';
  return {
    ...logMelOnly,
    phones: { model: sphinxModel, withLogMel: kind !== 'phones', ...(contexts && { contexts }) },
  };
}

/** Same log-mel settings and kind (their sphinx model folders may still differ). */
export function sameFrontEndShape(a: FeatureConfig, b: FeatureConfig): boolean {
  return frontEndKind(a) === frontEndKind(b) && sameLogMel(a, b);
}

/**
 * Whether features of a and b are the same numbers: same log-mel settings and kind, and with phones, sphinx
 * folders (absolute, or relative to baseDir) holding the same model byte for byte, e.g. a base model's and
 * its personal model's copies.
 */
export function sameFeatures(a: FeatureConfig, b: FeatureConfig, baseDir?: string): boolean {
  if (!sameFrontEndShape(a, b)) return false;
  const [dirA, dirB] = [sphinxModelDir(a, baseDir), sphinxModelDir(b, baseDir)];
  if (dirA === dirB) return true;
  return hasSphinxModel(dirA!) && hasSphinxModel(dirB!) && sameSphinxModel(dirA!, dirB!);
}

/** The sphinx model folder of config (null without phones), a relative one resolved against baseDir. */
export function sphinxModelDir(config: FeatureConfig, baseDir?: string): string | null {
  if (!config.phones) return null;
  return resolve(baseDir ?? process.cwd(), config.phones.model);
}

/** config with its sphinx model folder made absolute against baseDir (as a model folder's config is read). */
export function resolveFrontEnd(config: FeatureConfig, baseDir: string): FeatureConfig {
  if (!config.phones) return config;
  return { ...config, phones: { ...config.phones, model: sphinxModelDir(config, baseDir)! } };
}

/**
 * config with its sphinx model folder relative to baseDir when it lies inside it, as a file kept in that
 * folder records it, so the folder can move.
 */
export function relativeFrontEnd(config: FeatureConfig, baseDir: string): FeatureConfig {
  if (!config.phones) return config;
  const rel = relative(resolve(baseDir), sphinxModelDir(config)!);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return config;
  return { ...config, phones: { ...config.phones, model: rel } };
}

/** Log-mel bins at the start of each frame: nMels, or 0 with phones alone. */
export function logMelBins(config: FeatureConfig): number {
  return !config.phones || config.phones.withLogMel ? config.nMels : 0;
}

/** Values per frame: nMels (80), the sphinx model's CI phones (42 for en-us), or both (122). */
export function frontEndBins(config: FeatureConfig, baseDir?: string): number {
  if (!config.phones) return config.nMels;
  return logMelBins(config) + sphinxFeaturizer(config, baseDir).bins;
}

/** What a frame holds, e.g. "80 log-mel + 42 phone bins", for messages. */
export function describeFrontEnd(config: FeatureConfig, baseDir?: string): string {
  if (!config.phones) return `${config.nMels} log-mel bins`;
  const n = sphinxFeaturizer(config, baseDir).bins;
  const phones = config.phones.contexts ? `${n / 2} phone + ${n / 2} phone-context bins` : `${n} phone bins`;
  return config.phones.withLogMel ? `${config.nMels} log-mel + ${phones}` : phones;
}

/** Why features of this config cannot feed a model taking featureBins per frame, or null when they can. */
export function frontEndMismatch(
  config: FeatureConfig,
  featureBins: number,
  baseDir?: string,
): string | null {
  const bins = frontEndBins(config, baseDir);
  if (bins === featureBins) return null;
  return `the features give ${bins} values per frame (${describeFrontEnd(config, baseDir)}), the model takes ${featureBins} (acoustic.featureBins)`;
}

// Loaded once per folder: the model's tables are a few MB and take a quarter of a second to read.
const sphinxModels = new Map<string, SphinxAcousticModel>();
// Scorer tables (~4 MB) once per folder and frame grid, shared by every stream.
const featurizers = new Map<string, SphinxFeaturizer>();

/** The phone featurizer of config's sphinx model folder (loaded on first use, then shared). */
export function sphinxFeaturizer(config: FeatureConfig, baseDir?: string): SphinxFeaturizer {
  const dir = sphinxModelDir(config, baseDir);
  if (!dir) throw new Error('these features have no phones (FeatureConfig.phones is not set)');
  const { phones, ...grid } = config;
  const contexts = phones?.contexts === true;
  const key = `${dir}\0${contexts}\0${JSON.stringify(grid)}`;
  let featurizer = featurizers.get(key);
  if (!featurizer) {
    let model = sphinxModels.get(dir);
    if (!model) {
      if (!hasSphinxModel(dir))
        throw new Error(
          `phone features: ${dir} is not a sphinx acoustic model folder (needs ${SPHINX_MODEL_FILES})`,
        );
      model = loadSphinxModel(dir);
      sphinxModels.set(dir, model);
    }
    featurizer = new SphinxFeaturizer(model, { ...DEFAULT_SPHINX_FEATURES, logMel: grid, contexts });
    featurizers.set(key, featurizer);
  }
  return featurizer;
}

/**
 * Features of a whole clip (samples in [-1, 1] at config.sampleRate): [frames, frontEndBins(config)].
 * Log-mel alone is logMel's output itself. Throws on bad or too short input, as logMel does.
 */
export function computeFeatures(samples: Float32Array, config: FeatureConfig, baseDir?: string): LogMel {
  if (!config.phones) return logMel(samples, config.sampleRate, config);
  const featurizer = sphinxFeaturizer(config, baseDir);
  if (samples.length < minSamples(config))
    throw new Error(
      `computeFeatures: ${samples.length} samples is too short; at least ${minSamples(config)} are needed`,
    );
  const mel = config.phones.withLogMel ? logMel(samples, config.sampleRate, config) : null;
  const phones = sphinxFeatures(samples, featurizer, config.sampleRate);
  const melBins = mel ? mel.bins : 0;
  const out = new Float32Array(phones.frames * (melBins + phones.bins)); // [frames, melBins + phones]
  joinRows(out, mel?.data ?? null, melBins, phones.data, phones.bins, phones.frames);
  return { frames: phones.frames, bins: melBins + phones.bins, data: out };
}

/** Writes `frames` rows of [log-mel | floored phone log-posteriors] into out ([frames, melBins + phoneBins]). */
function joinRows(
  out: Float32Array,
  mel: Float32Array | null,
  melBins: number,
  phones: Float32Array,
  phoneBins: number,
  frames: number,
): void {
  const bins = melBins + phoneBins;
  for (let t = 0; t < frames; t++) {
    if (mel) out.set(mel.subarray(t * melBins, (t + 1) * melBins), t * bins);
    for (let p = 0; p < phoneBins; p++)
      out[t * bins + melBins + p] = Math.max(phones[t * phoneBins + p], PHONE_LOG_FLOOR);
  }
}

/** Streamed frames: the model's input rows and each frame's loudness. */
export interface FrontEndFrames extends LogMel {
  /** Mean log-mel of each frame (endpoint.ts frameEnergy), what the endpointer listens to. [frames] */
  energy: Float64Array;
}

/**
 * Streaming features: accept PCM chunks of any size, get each frame once it is complete; StreamingLogMel's
 * interface. The frames equal computeFeatures' for the same audio however it is chunked, and flush() emits
 * the rest, numFrames(total samples) in all. Log-mel alone is StreamingLogMel's output itself (12.5 ms of
 * look-ahead); with phones a frame waits for its phone posteriors (about 43 ms after its centre).
 *
 * Log-mel is computed even for phones alone: its frame energy is what endpointing goes by.
 */
export class StreamingFeatures {
  readonly config: FeatureConfig;
  readonly bins: number;
  private readonly melBins: number; // log-mel bins in the output: nMels, or 0 with phones alone
  private readonly logMel: StreamingLogMel;
  private readonly phones: StreamingSphinxFeatures | null;
  // Frames one stream has given and the other not yet: log-mel runs ahead of the phones.
  private readonly melQueue: RowQueue; // [n, nMels]
  private readonly phoneQueue: RowQueue; // [n, phone bins]
  private emitted = 0;

  constructor(config: FeatureConfig, baseDir?: string) {
    this.config = config;
    this.logMel = new StreamingLogMel(config);
    this.phones = config.phones ? new StreamingSphinxFeatures(sphinxFeaturizer(config, baseDir)) : null;
    this.melBins = logMelBins(config);
    this.bins = this.melBins + (this.phones?.featurizer.bins ?? 0);
    this.melQueue = new RowQueue(config.nMels);
    this.phoneQueue = new RowQueue(this.phones?.featurizer.bins ?? 1);
  }

  /** Frames emitted since construction or the last reset(). */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Samples accepted since construction or the last reset(). */
  get samplesAccepted(): number {
    return this.logMel.samplesAccepted;
  }

  /** Add PCM samples ([-1, 1], config.sampleRate); returns the frames completed by them (maybe none). */
  accept(chunk: Float32Array): FrontEndFrames {
    // Log-mel first: it refuses a bad chunk before either stream has taken any of it.
    const mel = this.logMel.accept(chunk);
    return this.emit(mel, this.phones?.accept(chunk).data ?? null);
  }

  /** End of stream: both streams' remaining frames. accept() is refused until reset(). */
  flush(): FrontEndFrames {
    const mel = this.logMel.flush();
    const out = this.emit(mel, this.phones?.flush().data ?? null);
    if (this.melQueue.frames !== 0 || this.phoneQueue.frames !== 0)
      throw new Error('StreamingFeatures: the log-mel and phone streams ended with different frame counts');
    return out;
  }

  /** Forget the stream: the next sample accepted is sample 0 of a new one. */
  reset(): void {
    this.logMel.reset();
    this.phones?.reset();
    this.melQueue.clear();
    this.phoneQueue.clear();
    this.emitted = 0;
  }

  /** Emits the frames both streams now have. phones: the phone stream's new rows (null: log-mel alone). */
  private emit(mel: LogMel, phones: Float32Array | null): FrontEndFrames {
    if (!phones) {
      this.emitted += mel.frames;
      return { ...mel, energy: energies(mel.data, mel.frames, mel.bins) };
    }
    const phoneBins = this.phoneQueue.width;
    this.melQueue.push(mel.data, mel.frames);
    this.phoneQueue.push(phones, phones.length / phoneBins);
    const frames = Math.min(this.melQueue.frames, this.phoneQueue.frames);
    const melRows = this.melQueue.shift(frames); // [frames, nMels]
    const data = new Float32Array(frames * this.bins); // [frames, bins]
    joinRows(
      data,
      this.melBins > 0 ? melRows : null,
      this.melBins,
      this.phoneQueue.shift(frames),
      phoneBins,
      frames,
    );
    this.emitted += frames;
    return { frames, bins: this.bins, data, energy: energies(melRows, frames, this.config.nMels) };
  }
}

/** frameEnergy of each row of [frames, bins]. */
function energies(rows: Float32Array, frames: number, bins: number): Float64Array {
  const out = new Float64Array(frames); // doubles, as frameEnergy gives them
  for (let t = 0; t < frames; t++) out[t] = frameEnergy(rows, t * bins, bins);
  return out;
}

/** First-in first-out rows of a fixed width; holds the few frames one stream is ahead of the other. */
class RowQueue {
  private data: Float32Array;
  private start = 0; // first queued row
  private count = 0;

  constructor(readonly width: number) {
    this.data = new Float32Array(16 * width);
  }

  get frames(): number {
    return this.count;
  }

  push(rows: Float32Array, frames: number): void {
    const w = this.width;
    if ((this.start + this.count + frames) * w > this.data.length) {
      // Move the queued rows to the front, growing the buffer if that is not room enough.
      const need = (this.count + frames) * w;
      const next =
        need > this.data.length ? new Float32Array(Math.max(need, 2 * this.data.length)) : this.data;
      next.set(this.data.slice(this.start * w, (this.start + this.count) * w), 0);
      this.data = next;
      this.start = 0;
    }
    this.data.set(rows.subarray(0, frames * w), (this.start + this.count) * w);
    this.count += frames;
  }

  /** Removes and returns the first `frames` rows (a copy). */
  shift(frames: number): Float32Array {
    const w = this.width;
    const out = this.data.slice(this.start * w, (this.start + frames) * w);
    this.start += frames;
    this.count -= frames;
    if (this.count === 0) this.start = 0;
    return out;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}
