import { describeBackend, initBackend } from '../model/backend.js';
import { loadModel, type LoadedModel } from '../model/model-io.js';
import { DEFAULT_LM_CACHE, loadLanguageModel, type LmCacheConfig } from '../speech/lm-snapshot.js';
import type { WordLm } from '../speech/word-lm.js';
import { openParentPort, type ParentPort } from '../process/parent-port.js';
import { LexiconFile } from './lexicon-file.js';
import type {
  EngineLanguageModelInfo,
  EngineLexiconInfo,
  EngineModelInfo,
  FromEngine,
  LexiconSource,
  ToEngine,
} from './protocol.js';
import { Recognizer } from './recognizer.js';

type ToEngineInit = Extract<ToEngine, { type: 'init' }>;

/**
 * Entry of the engine process: loads the model, runs the streaming recogniser on the audio the
 * main process sends, and answers with partial and final text (over process/parent-port.ts).
 */

type Port = ParentPort<ToEngine, FromEngine>;

function openPort(): Port {
  return openParentPort<ToEngine, FromEngine>({ who: 'engine', exitWithParent: false });
}

function modelInfo(m: LoadedModel): EngineModelInfo {
  return { dir: m.dir, parameters: m.model.parameterCount, version: m.info.version };
}

export function runEngine(port: Port = openPort()): void {
  let recognizer: Recognizer | null = null;
  /** Endpoint settings from 'init', kept so a 'reset' recogniser behaves the same. */
  let endpoint: ToEngineInit['endpoint'];
  /** The finals' beam width from 'init' (absent: the decoder's default), kept for the same reason. */
  let lmBeamWidth: number | undefined;
  /** The personal lexicon: its words, the switch, and the file they come from (if any). */
  let lexiconWords: readonly string[] = [];
  let lexiconBoost = true;
  let lexiconFile: LexiconFile | null = null;
  /** Where language-model snapshots are kept (from 'init'; none: each load reads the file). */
  let lmCache: LmCacheConfig | null = null;
  /** The word language model for finals, and the file it came from. */
  let languageModel: { lm: WordLm; info: EngineLanguageModelInfo } | null = null;
  let computeMs = 0;
  let audioMs = 0;
  let lastStats = 0;

  const fail = (err: unknown, fatal: boolean) =>
    port.send({ type: 'error', message: err instanceof Error ? err.message : String(err), fatal });

  const attach = (r: Recognizer) => {
    r.on('partial', (e) => port.send({ type: 'partial', ...e }));
    r.on('final', (e) => port.send({ type: 'final', ...e }));
  };
  const newRecognizer = (model: LoadedModel) => {
    const r = new Recognizer(model, {
      endpoint: endpoint as never,
      final: { lexiconBoost, ...(lmBeamWidth ? { lmBeamWidth } : {}) },
      lexicon: lexiconWords,
      languageModel: languageModel?.lm ?? null,
    });
    attach(r);
    return r;
  };
  const lexiconInfo = (r: Recognizer): EngineLexiconInfo => ({
    ...r.lexiconState,
    path: lexiconFile?.path ?? null,
  });
  const reportLexicon = () => {
    if (recognizer) port.send({ type: 'lexicon', lexicon: lexiconInfo(recognizer) });
  };
  const useWords = (words: readonly string[]) => {
    lexiconWords = words;
    recognizer?.setLexicon(words);
  };
  /** Applies a lexicon source; a file is read now and again whenever it changes. */
  const useLexicon = (src: LexiconSource) => {
    if (src.boost !== undefined) {
      lexiconBoost = src.boost;
      recognizer?.setLexiconBoost(src.boost);
    }
    if (src.path !== undefined) {
      lexiconFile?.close();
      lexiconFile = new LexiconFile(
        src.path,
        (words) => {
          // Changes come between messages: apply them in order with the rest.
          queue = queue.then(() => {
            useWords(words);
            reportLexicon();
          });
        },
        (err) => fail(err, false),
      );
      try {
        useWords(lexiconFile.read());
      } catch (err) {
        lexiconFile.close();
        lexiconFile = null;
        throw err;
      }
    } else if (src.words !== undefined) {
      lexiconFile?.close();
      lexiconFile = null;
      useWords(src.words);
    }
  };

  /** The last file loaded, kept so switching the language model off and on again does not reload it. */
  let loaded: { path: string; lm: WordLm; info: EngineLanguageModelInfo } | null = null;
  /**
   * Makes `path` the language model for finals (null: none). Dictation works without one (greedy or
   * lexicon-boosted finals), so a file that cannot be used is reported and finals go on without a model.
   */
  const useLanguageModel = (path: string | null): { error?: string } => {
    languageModel = null;
    let error: string | undefined;
    if (path !== null) {
      try {
        if (loaded?.path !== path) {
          const started = performance.now();
          const { lm, from, snapshotProblem } = loadLanguageModel(path, lmCache);
          const loadMs = Math.round(performance.now() - started);
          const info = { path, words: lm.words.length, order: lm.order, loadMs, loadedFrom: from };
          loaded = { path, lm, info: snapshotProblem ? { ...info, snapshotProblem } : info };
        }
        languageModel = { lm: loaded.lm, info: loaded.info };
      } catch (err) {
        error = (err as Error).message;
      }
    }
    recognizer?.setLanguageModel(languageModel?.lm ?? null);
    return error ? { error } : {};
  };

  // Messages are handled strictly in order: audio that arrives while the model loads waits for it.
  let queue: Promise<void> = Promise.resolve();
  port.onMessage((msg) => {
    queue = queue.then(async () => {
      try {
        switch (msg.type) {
          case 'init': {
            const backend = await initBackend({ prefer: (msg.backend ?? 'auto') as 'auto' });
            const model = loadModel(msg.modelDir);
            recognizer?.dispose();
            endpoint = msg.endpoint;
            lmBeamWidth = msg.lmBeamWidth;
            if (msg.lexicon) useLexicon(msg.lexicon);
            lmCache = msg.languageModelCache ? { ...DEFAULT_LM_CACHE, dir: msg.languageModelCache } : null;
            const lm = useLanguageModel(msg.languageModel ?? null);
            recognizer = newRecognizer(model);
            port.send({
              type: 'ready',
              backend: {
                name: backend.name,
                threads: backend.threads,
                description: describeBackend(backend),
              },
              model: modelInfo(model),
              lexicon: lexiconInfo(recognizer),
              languageModel: languageModel?.info ?? null,
              ...(lm.error ? { languageModelError: lm.error } : {}),
            });
            break;
          }
          case 'audio': {
            if (!recognizer) throw new Error('audio before init');
            const t0 = performance.now();
            recognizer.accept(msg.samples);
            computeMs += performance.now() - t0;
            audioMs += (msg.samples.length / 16000) * 1000;
            if (audioMs - lastStats >= 1000) {
              lastStats = audioMs;
              port.send({ type: 'stats', audioMs, computeMs, rssBytes: process.memoryUsage().rss });
            }
            break;
          }
          case 'finish':
            recognizer?.finish();
            port.send({ type: 'finished' });
            break;
          case 'reset':
            if (recognizer) {
              const model = recognizer.currentModel;
              recognizer.dispose();
              recognizer = newRecognizer(model);
            }
            break;
          case 'lexicon':
            if (!recognizer) throw new Error('lexicon before init');
            useLexicon(msg.lexicon);
            reportLexicon();
            break;
          case 'language-model': {
            if (!recognizer) throw new Error('language-model before init');
            const { error } = useLanguageModel(msg.path);
            port.send({
              type: 'language-model',
              languageModel: languageModel?.info ?? null,
              ...(error ? { error } : {}),
            });
            break;
          }
          case 'swap-model': {
            const next = loadModel(msg.modelDir);
            if (!recognizer) throw new Error('swap-model before init');
            recognizer.swapModel(next);
            port.send({ type: 'model-swapped', model: modelInfo(next) });
            break;
          }
          case 'shutdown':
            lexiconFile?.close();
            recognizer?.dispose();
            process.exit(0);
        }
      } catch (err) {
        fail(err, msg.type === 'init');
      }
    });
  });
}

// Started as a process entry (not imported by tests): run.
if (process.argv[1] && /engine-process\.(ts|js)$/.test(process.argv[1])) runEngine();
