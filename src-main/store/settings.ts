import { z } from 'zod';
import { DEVICE_NAME_RULE, deviceNameProblem } from '../engine/device-name.js';
import type { StoreConfig } from './config.js';
import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { EXPORT_FORMATS, OUTPUT_MODES } from './types.js';
import { show } from './validate.js';

/**
 * The user's settings the store knows: each with the schema every stored value must pass. Values are kept
 * as JSON; a stored value that no longer passes (written by another version) reads as the default.
 */
export const SETTING_SCHEMAS = {
  /** Keep each segment's audio for playback and training. Off: no audio is written at all. */
  keepAudio: z.boolean(),
  /** Days a deleted session stays in the trash before the app purges it. */
  trashRetentionDays: z.number().int().min(0).max(3650),
  /** Format the export dialog offers first. */
  exportFormat: z.enum(EXPORT_FORMATS),
  /** Global shortcut that starts and stops dictation (Electron accelerator syntax). */
  hotkey: z.string().trim().min(1).max(100),
  /** Microphone to dictate from ('default': the system's choice); never a name the recorder would misread. */
  device: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((name) => deviceNameProblem(name) === null, `a capture device name ${DEVICE_NAME_RULE}`),
  /** Spoken-command rules switched off by the user (rule names from the post-processor). */
  disabledCommands: z.array(z.string().max(50)).max(50),
  /** Fine-tune the personal model by itself once enough new corrections have come in. */
  autoTrain: z.boolean(),
  /** New corrections that start automatic fine-tuning. */
  autoTrainAfter: z.number().int().min(1).max(10_000),
  /** Collect the words corrections introduce into a personal lexicon that biases decoding towards them. */
  lexiconBoost: z.boolean(),
  /** Decode each phrase's final text with the word language model (real words in likely order). */
  languageModel: z.boolean(),
  /**
   * How much a personal model may forget other voices: the most its word error rate on the replay set
   * (general speech) may rise above the starting model's, relative to it (0.1: at most 10 % more errors).
   */
  replayMargin: z.number().min(0.02).max(1),
  /** The user declined the enrolment offered at first launch: it is not offered again (Settings has it). */
  enrolmentDeclined: z.boolean(),
  /** Where finished phrases go besides Attune's window: typed into the focused app, the clipboard, nowhere. */
  outputMode: z.enum(OUTPUT_MODES),
} as const;

export type Settings = { [K in keyof typeof SETTING_SCHEMAS]: z.infer<(typeof SETTING_SCHEMAS)[K]> };
export type SettingKey = keyof Settings;

export function defaultSettings(config: Pick<StoreConfig, 'keepAudio'>): Settings {
  return {
    keepAudio: config.keepAudio,
    trashRetentionDays: 30,
    exportFormat: 'txt',
    hotkey: 'CommandOrControl+Shift+Space',
    device: 'default',
    disabledCommands: [],
    autoTrain: true,
    autoTrainAfter: 20,
    lexiconBoost: true,
    languageModel: true,
    replayMargin: 0.1,
    enrolmentDeclined: false,
    // What people expect of a dictation app: the words appear where the cursor is. Where the system lacks
    // the tool for it, Settings names the package to install (app/output/choose-route.ts).
    outputMode: 'type',
  };
}

/** Settings: one row per key the user changed; reading an unset key gives its default. */
export class SettingsStore {
  private readonly defaults: Settings;

  constructor(
    private readonly db: Db,
    config: StoreConfig,
  ) {
    this.defaults = defaultSettings(config);
  }

  get<K extends SettingKey>(key: K): Settings[K] {
    checkKey(key);
    const json = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as
      string | undefined;
    if (json === undefined) return this.defaults[key];
    const parsed = SETTING_SCHEMAS[key].safeParse(JSON.parse(json));
    return parsed.success ? (parsed.data as Settings[K]) : this.defaults[key];
  }

  set<K extends SettingKey>(key: K, value: Settings[K]): void {
    this.setAll({ [key]: value } as Partial<Settings>);
  }

  /**
   * Stores several settings as one change: every value is checked first, then all are written in one
   * transaction, so a refused value or a kill part way leaves none of them stored, never half the change.
   */
  setAll(patch: Partial<Settings>): void {
    const rows = Object.entries(patch).map(([key, value]) => {
      checkKey(key);
      const parsed = SETTING_SCHEMAS[key].safeParse(value);
      if (!parsed.success) {
        throw new StoreError(
          'BAD_ARGUMENT',
          `setting ${key} cannot be ${show(value)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      return [key, JSON.stringify(parsed.data)] as const;
    });
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      for (const [key, json] of rows) upsert.run(key, json);
    })();
  }

  /** Back to the default. */
  reset(key: SettingKey): void {
    checkKey(key);
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  all(): Settings {
    const out = { ...this.defaults };
    for (const key of Object.keys(SETTING_SCHEMAS) as SettingKey[]) {
      (out as Record<SettingKey, unknown>)[key] = this.get(key);
    }
    return out;
  }
}

function checkKey(key: unknown): asserts key is SettingKey {
  if (typeof key !== 'string' || !Object.hasOwn(SETTING_SCHEMAS, key)) {
    throw new StoreError(
      'BAD_ARGUMENT',
      `unknown setting ${show(key)}; known: ${Object.keys(SETTING_SCHEMAS).join(', ')}`,
    );
  }
}
