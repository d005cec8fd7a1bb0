import type { CaptureConfig } from '../engine/capture.js';
import type { EngineClient } from '../engine/engine-client.js';
import type { EventName, EventPayloads } from '../ipc/contract.js';
import type { Store } from '../store/store.js';
import type { PersonalTraining } from '../personal/personal-training.js';
import type { DictationService } from './dictation-service.js';
import type { EnrolmentService } from './enrolment-service.js';
import type { ExportSaver } from './export-saver.js';
import type { MicTest } from './mic-test.js';
import type { ModelActivation } from './model-activation.js';
import type { TextOutput } from './output/text-output.js';

/** What the handlers work with. */
export interface AppContext {
  readonly store: Store;
  readonly engine: EngineClient;
  readonly dictation: DictationService;
  /** Where finished phrases go besides the store: typed into the focused app, or the clipboard. */
  readonly output: TextOutput;
  /** Personal fine-tuning: jobs in the trainer process, their results recorded in the store. */
  readonly training: PersonalTraining;
  /** The microphone test of Settings: a short capture that only reports its level. */
  readonly micTest: MicTest;
  /** Enrolment: prompted recordings stored as takes the personal training learns from. */
  readonly enrolment: EnrolmentService;
  readonly dataDir: string;
  readonly baseModelDir: string;
  readonly device: string;
  readonly capture: Partial<CaptureConfig>;
  /** The app's version, from package.json. */
  readonly version: string;
  /**
   * The system-wide hotkey, where there is one (Electron): settings.set switches it before storing a new
   * one. Returns null when the new hotkey is in use, else why not.
   */
  hotkey?: { use(accelerator: string): string | null };
  /** Where exports are saved, where the app has a save dialog (Electron); else the renderer downloads them. */
  exportSaver?: ExportSaver;
  /** The model the engine runs, and the one way to make another version active. */
  readonly models: ModelActivation;
  /** The word language model finals use while the languageModel setting is on (null: none installed). */
  readonly languageModelPath: string | null;
  audioUrl(segmentId: number): string | null;
  /** Sends an event to every renderer. */
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
}
