import { basename } from 'node:path';
import { CaptureError } from '../engine/capture.js';
import { listDevices } from '../engine/devices.js';
import type { MethodName, SearchHit, Settings, SystemInfo } from '../ipc/contract.js';
import { renderSession } from '../store/export.js';
import { toParts } from '../store/search.js';
import { SETTING_SCHEMAS, type SettingKey } from '../store/settings.js';
import { cleanText } from '../store/validate.js';
import { TrainingRefused } from '../personal/personal-training.js';
import { parseAccelerator } from '../ipc/accelerator.js';
import { AppError } from './app-error.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './router.js';

/** The global shortcut that starts and stops dictation, until the user picks another. */
export const DEFAULT_HOTKEY = 'CommandOrControl+Shift+Space';

/** Label of the shipped model's row in the model versions. */
export const BASE_MODEL_LABEL = 'base';

export { AppError, type AppErrorCode } from './app-error.js';

/** Every method of the contract, on the real store, engine and dictation service. */
export function createHandlers(app: AppContext): Handlers {
  return {
    ...systemHandlers(app),
    ...dictationHandlers(app),
    ...sessionHandlers(app),
    ...settingsHandlers(app),
    ...deviceHandlers(app),
    ...enrolmentAndOutputHandlers(app),
    ...trainingHandlers(app),
    ...modelHandlers(app),
  };
}

/** The methods whose names start with one of the prefixes. */
type Group<P extends string> = Pick<Handlers, Extract<MethodName, `${P}.${string}`>>;

function systemHandlers(app: AppContext): Group<'system'> {
  const { store } = app;
  return {
    'system.info': (): SystemInfo => {
      const ready = app.engine.ready;
      if (!ready) throw new AppError('ENGINE', 'the speech engine is not running');
      return {
        version: app.version,
        backend: ready.backend,
        model: {
          dir: app.models.running.dir,
          label: modelLabel(app),
          parameters: app.models.running.parameters,
        },
        // What the settings page shows of it (how it was loaded stays in the engine's report).
        languageModel: ready.languageModel && {
          path: ready.languageModel.path,
          words: ready.languageModel.words,
          order: ready.languageModel.order,
        },
        languageModelError: ready.languageModelError ?? null,
        dataDir: app.dataDir,
        hotkey: hotkeySetting(store.settings.all()),
      };
    },
  };
}

function dictationHandlers(app: AppContext): Group<'dictation'> {
  const { dictation } = app;
  return {
    'dictation.start': async ({ device }) => {
      // The microphone test and an enrolment take give the device (and the engine) up to dictation.
      await app.micTest.stop();
      await app.enrolment.stop(true);
      return dictation.start(device ?? app.device);
    },
    'dictation.stop': () => dictation.stop(),
    'dictation.status': () => dictation.getStatus(),
  };
}

function sessionHandlers(app: AppContext): Group<'sessions' | 'segments'> {
  const { store, dictation } = app;
  return {
    'sessions.list': ({ limit, offset }) => store.sessions.list({ limit, offset }),

    'sessions.search': ({ query, limit }): SearchHit[] =>
      store.search(query, { limit }).sessions.map((hit) => ({
        session: hit.session,
        matches: hit.matches.map((m) => ({ segmentId: m.segmentId, parts: toParts(m.snippet) })),
      })),

    'sessions.get': ({ id }) => store.sessions.withSegments(id),

    'sessions.rename': ({ id, title }) => {
      const session = store.sessions.rename(id, title);
      app.emit('sessions.changed', { id });
      return session;
    },

    'sessions.delete': ({ id }) => {
      const status = dictation.getStatus();
      if (status.sessionId === id && (status.state === 'listening' || status.state === 'thinking')) {
        throw new AppError(
          'INVALID_STATE',
          `session ${id} is being recorded; stop dictation before deleting it`,
        );
      }
      const session = store.sessions.delete(id);
      app.emit('sessions.changed', { id });
      return { id: session.id, deletedAt: session.deletedAt! };
    },

    'sessions.restore': ({ id }) => {
      const session = store.sessions.restore(id);
      app.emit('sessions.changed', { id });
      return session;
    },

    'sessions.export': async ({ id, format, segmentIds }) => {
      const { fileName, mimeType, content } = renderSession(store, id, { format, segmentIds });
      // The desktop app saves through its save dialog; the browser shell's page offers a download.
      const savedTo = app.exportSaver ? await app.exportSaver.save(fileName, content) : null;
      return {
        fileName,
        mimeType,
        content,
        savedTo,
        cancelled: app.exportSaver !== undefined && savedTo === null,
      };
    },

    'segments.correct': ({ segmentId, text }) => {
      const before = store.segments.liveSegment(segmentId);
      // Text that reads the same once stored is no correction: nothing to learn, nothing recorded.
      if (cleanText(text, 'corrected text', store.config.maxTextChars) === before.displayText) {
        return { segment: before, correction: null };
      }
      const correction = store.corrections.add(segmentId, text);
      app.emit('sessions.changed', { id: before.sessionId });
      app.emit('training.status', app.training.status());
      app.training.onCorrection(correction);
      return { segment: store.segments.get(segmentId), correction };
    },

    'segments.audioUrl': ({ segmentId }) => {
      const { audioPath } = store.segments.get(segmentId);
      return { url: audioPath === null ? null : app.audioUrl(segmentId) };
    },
  };
}

function settingsHandlers(app: AppContext): Group<'settings'> {
  const { store } = app;
  return {
    'settings.get': () => store.settings.all(),

    'settings.set': ({ patch }) => {
      checkPatch(patch);
      if (typeof patch.hotkey === 'string') patch.hotkey = takeHotkey(app, patch.hotkey);
      applySettings(app, patch as Partial<Settings>);
      return store.settings.all();
    },
  };
}

/** Checks every key and value of a settings patch before any is written: a patch applies whole or not at all. */
function checkPatch(patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (!Object.hasOwn(SETTING_SCHEMAS, key)) {
      throw new AppError(
        'BAD_ARGUMENT',
        `unknown setting ${JSON.stringify(key)}; known settings: ${Object.keys(SETTING_SCHEMAS).join(', ')}`,
      );
    }
    const parsed = SETTING_SCHEMAS[key as SettingKey].safeParse(value);
    if (!parsed.success) {
      throw new AppError(
        'BAD_ARGUMENT',
        `setting ${key} cannot be ${JSON.stringify(value) ?? String(value)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
  }
}

/**
 * A new hotkey in canonical spelling, taken from the system first where there is a global hotkey (Electron), so
 * a hotkey another app holds is refused here rather than silently dead.
 */
function takeHotkey(app: AppContext, wanted: string): string {
  let hotkey: string;
  try {
    hotkey = parseAccelerator(wanted).text;
  } catch (err) {
    throw new AppError('BAD_ARGUMENT', `setting hotkey: ${(err as Error).message}`);
  }
  const problem = app.hotkey?.use(hotkey) ?? null;
  if (problem !== null) throw new AppError('INVALID_STATE', problem);
  return hotkey;
}

/** Stores a checked patch, and tells the engine and the output what changed for them. */
function applySettings(app: AppContext, patch: Partial<Settings>): void {
  const { store } = app;
  const boostBefore = store.settings.get('lexiconBoost');
  const lmBefore = store.settings.get('languageModel');
  store.settings.setAll(patch);
  const boost = store.settings.get('lexiconBoost');
  if (boost !== boostBefore) {
    // The switch reaches the running engine at once (without boosting, finals are as the LM alone has them); the engine
    // reports its own errors, and the stored setting applies at its next start anyway.
    app.engine.setLexicon({ boost }).catch(() => {});
  }
  const lm = store.settings.get('languageModel');
  if (lm !== lmBefore) app.engine.setLanguageModel(lm ? app.languageModelPath : null).catch(() => {});
  // Settings learns at once whether the new mode works here, and macOS asks for its permission.
  if (patch.outputMode !== undefined) app.output.refresh();
}

function deviceHandlers(app: AppContext): Group<'devices'> {
  const { store, dictation } = app;
  return {
    'devices.list': async () =>
      (
        await listDevices({
          recorder: app.capture.recorder,
          recorderPath: app.capture.recorderPath,
          env: app.capture.env,
        })
      ).map((d) => ({ id: d.id, description: d.description })),

    'devices.test': async ({ device, seconds }) => {
      const state = dictation.getStatus().state;
      if (state === 'starting' || state === 'listening' || state === 'thinking') {
        throw new AppError('INVALID_STATE', 'stop dictation before testing the microphone');
      }
      if (app.enrolment.recording) {
        throw new AppError('INVALID_STATE', 'stop recording the prompt before testing the microphone');
      }
      try {
        return await app.micTest.run(device ?? store.settings.get('device'), seconds);
      } catch (err) {
        if (err instanceof CaptureError) throw new AppError('NOT_AVAILABLE', `microphone: ${err.message}`);
        throw err;
      }
    },
  };
}

function enrolmentAndOutputHandlers(app: AppContext): Group<'enrolment' | 'output'> {
  const { store } = app;
  return {
    'enrolment.prompts': () => app.enrolment.prompts,
    'enrolment.status': () => app.enrolment.status(),
    'enrolment.record': ({ promptId, device }) =>
      app.enrolment.record(promptId, device ?? store.settings.get('device')),
    'enrolment.stop': ({ discard }) => app.enrolment.stop(discard ?? false),
    'enrolment.skip': ({ promptId }) => app.enrolment.skip(promptId),

    'output.status': () => app.output.status(),
    'output.focus': ({ attuneFocused }) => {
      app.output.setAttuneFocused(attuneFocused);
      return app.output.status();
    },
  };
}

function trainingHandlers(app: AppContext): Group<'training'> {
  return {
    'training.status': () => app.training.status(),
    'training.start': () => {
      try {
        return app.training.start();
      } catch (err) {
        if (err instanceof TrainingRefused) throw new AppError('INVALID_STATE', err.message);
        throw err;
      }
    },
    'training.cancel': () => app.training.cancel(),
  };
}

function modelHandlers(app: AppContext): Group<'models'> {
  const { store } = app;
  return {
    'models.list': () => store.models.list(),

    'models.activate': async ({ id }) => {
      const version = store.models.get(id);
      if (app.models.isRunning(version)) return version;
      return app.models.activate(version, 'chosen by the user');
    },

    'models.resetToBase': async () => {
      const base =
        store.models.list().find((v) => v.dir === app.baseModelDir) ??
        store.models.create({
          label: BASE_MODEL_LABEL,
          dir: app.baseModelDir,
          reason: 'the model Attune ships with',
        });
      if (app.models.isRunning(base)) return base;
      return app.models.activate(base, 'reset to the model Attune ships with');
    },
  };
}

/** The hotkey the user chose, once settings hold one; the default until then. */
function hotkeySetting(settings: Settings): string {
  const value = settings.hotkey;
  return typeof value === 'string' && value !== '' ? value : DEFAULT_HOTKEY;
}

/** The running model's name: its version's label when it is the active one, else where it comes from. */
function modelLabel(app: AppContext): string {
  const active = app.store.models.active();
  const running = app.models.running;
  if (active && active.dir === running.dir) return active.label;
  if (running.dir === app.baseModelDir) return BASE_MODEL_LABEL;
  return running.version ?? basename(running.dir);
}
