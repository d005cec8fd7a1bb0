import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CaptureConfig } from '../engine/capture.js';
import { EngineClient, type EngineLauncher } from '../engine/engine-client.js';
import { EVENT_NAMES, type EventName, type EventPayloads } from '../ipc/contract.js';
import { isModelFolder } from '../model/checkpoint.js';
import { BASE_LM_PATH, BASE_MODEL_DIR } from '../model/paths.js';
import { Store } from '../store/store.js';
import { lexiconPath, PersonalTraining, type PersonalTrainingConfig } from '../personal/personal-training.js';
import type { TrainerLauncher } from '../personal/trainer-client.js';
import { DictationService, type DictationConfig } from './dictation-service.js';
import { loadPrompts } from './enrolment-prompts.js';
import { type EnrolmentConfig, EnrolmentService } from './enrolment-service.js';
import type { AppContext } from './app-context.js';
import { createHandlers } from './handlers.js';
import { ModelActivation } from './model-activation.js';
import { type HousekeepingConfig, Housekeeper } from './housekeeping.js';
import { MicTest } from './mic-test.js';
import { type OutputConfig, TextOutput } from './output/text-output.js';
import { defaultCacheDir, defaultDataDir, PACKAGE_JSON } from './paths.js';
import { Router } from './router.js';

/**
 * The composition root: one store, one engine process, one dictation service and the router every
 * renderer talks to. Electron's main process and `attune serve` both start the app through here.
 */
export interface StartAppOptions {
  /** Folder of attune.db and audio/ (default: defaultDataDir()). */
  dataDir?: string;
  /** Folder of what can be made again, such as language-model snapshots (default: defaultCacheDir()). */
  cacheDir?: string;
  /**
   * Run this model folder, whatever the store says is active (`attune serve --model`). Default: the
   * active model version's folder, else the shipped base model.
   */
  modelDir?: string;
  /** The shipped model: the fallback when no version is active, and what models.resetToBase goes back to. */
  baseModelDir?: string; // BASE_MODEL_DIR
  /** Compute backend preference for the engine: auto, webgpu, gpu, node, wasm, cpu. */
  backend?: string; // 'auto'
  /**
   * Word language model for finals (ARPA file), used while the languageModel setting is on; null: none.
   * Default: the shipped one, if installed.
   */
  languageModel?: string | null;
  /** Capture device used when dictation.start names none. */
  device?: string; // 'default'
  /** Microphone settings (recorder program, extra environment for ALSA, …) for capture and device lists. */
  capture?: Partial<CaptureConfig>;
  dictation?: Partial<Omit<DictationConfig, 'capture'>>;
  /** How phrases are typed into other apps or copied (the tools' environment; macOS's permission in Electron). */
  output?: Partial<OutputConfig>;
  /** How the engine process is started: Node's fork by default, Electron's utilityProcess in the app. */
  launcher?: EngineLauncher;
  /** How long loading the model may take, in ms. */
  engineStartTimeoutMs?: number; // 60_000
  /** How the trainer process is started (Node's fork by default). */
  trainerLauncher?: TrainerLauncher;
  /** Personal training settings (fine-tuning config, trainer backend and threads). */
  training?: Partial<PersonalTrainingConfig>;
  /** Enrolment: how takes are recorded and kept (the microphone settings come from `capture`). */
  enrolment?: Partial<Omit<EnrolmentConfig, 'capture'>>;
  /** The enrolment prompt file (default: the built-in set). */
  enrolmentPrompts?: string;
  /** How often the trash is emptied and crash leftovers swept while the app runs. */
  housekeeping?: Partial<HousekeepingConfig>;
  /**
   * Where the renderer can fetch a segment's clip: the web shell serves it over HTTP, Electron through
   * its own protocol. Called only for segments that have a clip. Default: clips cannot be fetched.
   */
  audioUrl?: (segmentId: number) => string | null;
}

export type App = AppContext & {
  router: Router;
  /** Stops dictation (storing its last phrase), then closes the engine and the store. Safe to call twice. */
  close(): Promise<void>;
};

/** How long close() waits for the engine process to exit after asking it to. */
const ENGINE_EXIT_WAIT_MS = 3000;

export async function startApp(opts: StartAppOptions = {}): Promise<App> {
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const baseModelDir = resolve(opts.baseModelDir ?? BASE_MODEL_DIR);
  const version = readVersion();
  const languageModelPath =
    opts.languageModel !== undefined ? opts.languageModel : existsSync(BASE_LM_PATH) ? BASE_LM_PATH : null;
  const store = Store.open({ dataDir });
  let engine: EngineClient;
  try {
    engine = await startEngine(store, opts, { dataDir, baseModelDir, languageModelPath });
  } catch (err) {
    store.close();
    throw err;
  }

  const capture = opts.capture ?? {};
  // Sessions record the version that transcribed them: the active one, when it is what the engine runs.
  const runningVersion = () => {
    const active = store.models.active();
    return active && resolve(active.dir) === resolve(models.runningDir) ? active.id : null;
  };
  const output = new TextOutput(() => store.settings.get('outputMode'), opts.output);
  const dictation = new DictationService(
    store,
    engine,
    { ...opts.dictation, capture },
    runningVersion,
    output,
  );
  // Handlers emit through the router they are given to: `router` is bound below, before any request.
  const emit: Emit = (event, payload) => router.emit(event, payload);
  const models = new ModelActivation(
    { store, engine, changed: (active) => emit('models.changed', { active }) },
    engine.ready!.model,
  );
  output.on('status', (status) => emit('output.status', status));
  const training = new PersonalTraining(
    {
      store,
      dataDir,
      baseModelDir,
      models,
      emit: (status) => emit('training.status', status),
      languageModelPath,
      launcher: opts.trainerLauncher,
    },
    opts.training,
  );
  const micTest = new MicTest((level) => emit('devices.level', level), { capture });
  const enrolment = newEnrolment({ store, engine, dictation, training, micTest, emit }, opts, capture);
  const context: AppContext = {
    store,
    engine,
    dictation,
    output,
    training,
    micTest,
    enrolment,
    dataDir,
    baseModelDir,
    device: opts.device ?? 'default',
    capture,
    version,
    models,
    languageModelPath,
    audioUrl: (segmentId) => opts.audioUrl?.(segmentId) ?? null,
    emit,
  };
  const router = new Router(createHandlers(context));
  for (const name of EVENT_NAMES) {
    dictation.on(name, (payload: EventPayloads[typeof name]) => emit(name, payload));
  }
  // Training holds while the user dictates, so recognition keeps up with speech.
  dictation.on('dictation.state', (s) =>
    training.setDictating(s.state === 'starting' || s.state === 'listening' || s.state === 'thinking'),
  );
  // A job a killed app left behind goes on where it stopped.
  training.resumeUnfinished();
  const housekeeper = startHousekeeper(store, emit, opts.housekeeping);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      try {
        await micTest.stop();
        await enrolment.stop(true);
        await dictation.stop();
      } finally {
        await housekeeper.stop();
        await training.close();
        await stopEngine(engine);
        store.close();
      }
    })();
    return closing;
  };
  return Object.assign(context, { router, close });
}

type Emit = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

/** The engine process on the model to run, with the user's lexicon and (when the setting is on) the language model. */
function startEngine(
  store: Store,
  opts: StartAppOptions,
  where: { dataDir: string; baseModelDir: string; languageModelPath: string | null },
): Promise<EngineClient> {
  return EngineClient.start({
    modelDir: chooseModel(store, opts.modelDir, where.baseModelDir),
    backend: opts.backend ?? 'auto',
    // Finals are boosted towards the words the user's corrections introduced: personal training keeps
    // them in this file, which the engine watches, so a new word counts from the next phrase on.
    lexicon: { path: lexiconPath(where.dataDir), boost: store.settings.get('lexiconBoost') },
    // Finals are spelled with real words in likely order (a phone model's partials too; a letter model's stay
    // greedy: instant).
    languageModel: store.settings.get('languageModel') ? where.languageModelPath : null,
    // A snapshot of the language model loads in ~0.1 s instead of 1-3 s: made on the first start.
    languageModelCache: join(resolve(opts.cacheDir ?? defaultCacheDir()), 'lm'),
    launcher: opts.launcher,
    startTimeoutMs: opts.engineStartTimeoutMs,
  });
}

/** Enrolment, which shares the microphone with dictation and the mic test, and feeds personal training. */
function newEnrolment(
  parts: {
    store: Store;
    engine: EngineClient;
    dictation: DictationService;
    training: PersonalTraining;
    micTest: MicTest;
    emit: Emit;
  },
  opts: StartAppOptions,
  capture: Partial<CaptureConfig>,
): EnrolmentService {
  const { store, engine, dictation, training, micTest, emit } = parts;
  return new EnrolmentService(
    {
      store,
      engine,
      prompts: loadPrompts(opts.enrolmentPrompts),
      dictation: {
        state: () => dictation.getStatus().state,
        // A dictation that failed still holds the engine's stream until it is stopped.
        stopFailed: async () => {
          if (dictation.getStatus().state === 'error') await dictation.stop();
        },
      },
      stopMicTest: () => micTest.stop(),
      setRecording: (active) => training.setDictating(active),
      emitLevel: (level) => emit('enrolment.level', level),
      changed: (status, sessionId) => {
        emit('enrolment.status', status);
        if (sessionId !== null) {
          emit('sessions.changed', { id: sessionId });
          emit('training.status', training.status());
        }
      },
    },
    { ...opts.enrolment, capture },
  );
}

/** The trash empties itself as trashRetentionDays says, and crash leftovers go: now, then every hour. */
function startHousekeeper(
  store: Store,
  emit: Emit,
  config: Partial<HousekeepingConfig> | undefined,
): Housekeeper {
  const housekeeper = new Housekeeper(
    store,
    (report, error) => {
      if (error)
        console.error(`attune: tidying the data folder failed (tried again later): ${error.message}`);
      else if (report!.purgedSessions.length > 0) emit('sessions.changed', { id: null });
    },
    config,
  );
  void housekeeper.start();
  return housekeeper;
}

/** The model to run: the one asked for, else the active version's, else the shipped one. */
function chooseModel(store: Store, asked: string | undefined, baseModelDir: string): string {
  if (asked !== undefined) return resolve(asked);
  const active = store.models.active();
  if (active && isModelFolder(active.dir)) return active.dir;
  if (!isModelFolder(baseModelDir)) {
    const why = active
      ? `the active model version "${active.label}" (${active.dir}) has no model files, and `
      : '';
    throw new Error(
      `${why}no model yet: ${baseModelDir} has no trained weights (train one with \`attune train\`, or pass --model)`,
    );
  }
  return baseModelDir;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') return pkg.version;
    throw new Error('it has no "version" field');
  } catch (err) {
    throw new Error(`cannot read the app's version from ${PACKAGE_JSON}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function stopEngine(engine: EngineClient): Promise<void> {
  const exited = (ms: number) =>
    new Promise<boolean>((done) => {
      if (!engine.alive) return done(true);
      const timer = setTimeout(() => done(false), ms);
      engine.once('exit', () => {
        clearTimeout(timer);
        done(true);
      });
    });
  const gone = exited(ENGINE_EXIT_WAIT_MS);
  engine.close();
  if (await gone) return;
  // It did not finish in time: do not leave it running after the app has gone.
  try {
    if (engine.pid !== undefined) process.kill(engine.pid, 'SIGKILL');
  } catch {
    // It exited just now.
  }
  await exited(ENGINE_EXIT_WAIT_MS);
}
