import { resolve } from 'node:path';
import { StoreError } from './errors.js';

/** Everything the store can be told. Only dataDir has no default. */
export interface StoreConfig {
  /** Folder holding attune.db and audio/; created when missing. */
  dataDir: string;
  /**
   * Keep each segment's audio as a 16 kHz WAV clip, for playback and for training on corrections. This is
   * the default of the user's keepAudio setting; once the user sets it, the setting decides.
   */
  keepAudio: boolean; // true
  /** How long a statement waits for another connection's lock before failing, in ms. */
  busyTimeoutMs: number; // 5000
  /**
   * Run PRAGMA quick_check when opening, so a damaged file is reported at once, naming the file, rather
   * than on some later read. It reads every page, a fraction of a second even for a large database; turn it
   * off if start-up time matters more.
   */
  checkOnOpen: boolean; // true
  /**
   * On open, mark sessions still 'recording' (the app died while recording) as 'interrupted'. Only the
   * one process that owns the store may do this; a second reader must turn it off.
   */
  recoverOnOpen: boolean; // true
  /** Longest segment text accepted, in UTF-16 code units (an utterance is a few hundred). */
  maxTextChars: number; // 20_000
  /** Longest session title, in UTF-16 code units. */
  maxTitleChars: number; // 200
  /** Most word timings one segment may carry. */
  maxWordsPerSegment: number; // 5_000
  /** Sample rate of stored clips in Hz: the recogniser's rate, so training reads them as they are. */
  clipSampleRate: number; // 16_000
  /** Characters of transcript shown as a session's preview in lists. */
  previewChars: number; // 160
  /** Tokens in a search snippet (FTS5 allows 1–64). */
  snippetTokens: number; // 12
  /** Clock in ms since the epoch; replaceable so tests (and imports) can date records. */
  now: () => number; // Date.now
}

export const DEFAULT_STORE_CONFIG: Readonly<Omit<StoreConfig, 'dataDir'>> = Object.freeze({
  keepAudio: true,
  busyTimeoutMs: 5000,
  checkOnOpen: true,
  recoverOnOpen: true,
  maxTextChars: 20_000,
  maxTitleChars: 200,
  maxWordsPerSegment: 5_000,
  clipSampleRate: 16_000,
  previewChars: 160,
  snippetTokens: 12,
  now: Date.now,
});

/** Name of the database file inside dataDir. */
export const DB_FILE_NAME = 'attune.db';
/** Folder of audio clips inside dataDir. */
export const AUDIO_DIR_NAME = 'audio';

export type StoreOptions = Partial<StoreConfig> & Pick<StoreConfig, 'dataDir'>;

export function resolveStoreConfig(opts: StoreOptions): StoreConfig {
  if (typeof opts?.dataDir !== 'string' || opts.dataDir.trim() === '') {
    throw new StoreError('BAD_ARGUMENT', 'the store needs a data folder (dataDir), got none');
  }
  const config: StoreConfig = { ...DEFAULT_STORE_CONFIG, ...opts, dataDir: resolve(opts.dataDir) };
  for (const key of [
    'busyTimeoutMs',
    'maxTextChars',
    'maxTitleChars',
    'maxWordsPerSegment',
    'clipSampleRate',
    'previewChars',
  ] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v <= 0) {
      throw new StoreError('BAD_ARGUMENT', `store option ${key} must be a positive whole number, got ${v}`);
    }
  }
  if (!Number.isInteger(config.snippetTokens) || config.snippetTokens < 1 || config.snippetTokens > 64) {
    throw new StoreError('BAD_ARGUMENT', `snippetTokens must be 1–64, got ${config.snippetTokens}`);
  }
  return config;
}
