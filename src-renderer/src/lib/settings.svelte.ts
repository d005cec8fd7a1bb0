import type { AttuneApi, Device, Settings } from '../../../src-main/ipc/contract.js';
import type { RuleName } from '../../../src-main/engine/postprocess.js';
import { OUTPUT_MODES, type OutputMode } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

/** The settings this screen edits, as the app stores them (see SETTING_SCHEMAS in the store). */
export interface EditableSettings {
  keepAudio: boolean;
  languageModel: boolean;
  lexiconBoost: boolean;
  hotkey: string;
  device: string;
  disabledCommands: string[];
  replayMargin: number;
  outputMode: OutputMode;
}

/**
 * How much a new personal model may forget other voices, as the user chooses it: the most its word error
 * rate on general speech may rise, relative to the starting model's (SETTING_SCHEMAS.replayMargin).
 */
export const REPLAY_MARGINS: readonly { value: number; label: string }[] = [
  { value: 0.05, label: 'Very little' },
  { value: 0.1, label: 'Some' },
  { value: 0.25, label: 'More' },
];

/**
 * Spoken-command rules, as the user reads them. Typed by the post-processor's rule names, so a new rule
 * fails the type check until it is described here.
 */
export const COMMAND_RULES: Readonly<Record<RuleName, string>> = {
  capitalizeSentences: 'Capitalise the start of each sentence',
  capitalizeI: 'Write the pronoun “i” as “I”',
  comma: '“comma” types ,',
  period: '“period” types .',
  fullStop: '“full stop” types .',
  questionMark: '“question mark” types ?',
  exclamationMark: '“exclamation mark” types !',
  colon: '“colon” types :',
  semicolon: '“semicolon” types ;',
  newLine: '“new line” starts a new line',
  newParagraph: '“new paragraph” starts a new paragraph',
  quotes: '“open quote” and “close quote” type "',
  scratchThat: '“scratch that” removes the last phrase',
};

/** Reads a stored value, keeping this screen's type when the app sent something else. */
function pick(s: Settings): EditableSettings {
  return {
    keepAudio: s.keepAudio !== false,
    languageModel: s.languageModel !== false,
    lexiconBoost: s.lexiconBoost !== false,
    hotkey: typeof s.hotkey === 'string' ? s.hotkey : '',
    device: typeof s.device === 'string' ? s.device : 'default',
    replayMargin: typeof s.replayMargin === 'number' ? s.replayMargin : 0.1,
    outputMode: (OUTPUT_MODES as readonly unknown[]).includes(s.outputMode)
      ? (s.outputMode as OutputMode)
      : 'type',
    disabledCommands: Array.isArray(s.disabledCommands)
      ? s.disabledCommands.filter((r): r is string => typeof r === 'string')
      : [],
  };
}

/** The settings screen's state: the stored settings, the microphones, and saving one change at a time. */
export class SettingsModel {
  values = $state.raw<EditableSettings | null>(null);
  devices = $state.raw<Device[]>([]);
  error = $state<string | null>(null);
  /** What the last save did, for a status line. */
  saved = $state<string | null>(null);

  constructor(private readonly api: AttuneApi) {}

  async load(): Promise<void> {
    try {
      const [settings, devices] = await Promise.all([
        this.api.call('settings.get', {}),
        this.api.call('devices.list', {}).catch((err: unknown) => {
          this.error = `Cannot list microphones: ${messageOf(err)}`;
          return [] as Device[];
        }),
      ]);
      this.values = pick(settings);
      this.devices = devices;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** Saves a change; the app checks it and answers with every setting as now stored. */
  async set(patch: Partial<EditableSettings>, what: string): Promise<boolean> {
    this.saved = null;
    try {
      this.values = pick(await this.api.call('settings.set', { patch }));
      this.error = null;
      this.saved = `${what} saved.`;
      return true;
    } catch (err) {
      this.error = messageOf(err);
      return false;
    }
  }

  async setCommand(rule: RuleName, on: boolean): Promise<void> {
    const others = (this.values?.disabledCommands ?? []).filter((r) => r !== rule);
    await this.set({ disabledCommands: on ? others : [...others, rule] }, 'Spoken commands');
  }
}
