import { chromiumLauncher } from '../compute/chromium-launcher.js';
import { describeComputeBackend, startComputeBackend } from '../compute/compute-backend.js';
import { HostWindowLauncher } from '../compute/host-window-launcher.js';
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
import { HostStreams } from './host-streams.js';
import { Recognizer } from './recognizer.js';
import { LOCAL_STREAMS, type StreamSource } from './segment-stream.js';

/**
 * Entry of the engine process: loads the model, runs the streaming recogniser on the audio the
 * main process sends, and answers with partial and final text (over process/parent-port.ts).
 */

type Port = ParentPort<ToEngine, FromEngine>;
type Message<T extends ToEngine['type']> = Extract<ToEngine, { type: T }>;
type LoadedLm = { path: string; lm: WordLm; info: EngineLanguageModelInfo };

function openPort(): Port {
  return openParentPort<ToEngine, FromEngine>({ who: 'engine', exitWithParent: false });
}

function modelInfo(m: LoadedModel): EngineModelInfo {
  return { dir: m.dir, parameters: m.model.parameterCount, version: m.info.version };
}

/** How often (in audio ms) the engine reports its compute time and memory. */
const STATS_EVERY_MS = 1000;

/** The engine's state between messages, with one method per message type. */
export class EngineProcess {
  private recognizer: Recognizer | null = null;
  /** Endpoint settings from 'init', kept so a 'reset' recogniser behaves the same. */
  private endpoint: Message<'init'>['endpoint'];
  /** The finals' beam width from 'init' (absent: the decoder's default), kept for the same reason. */
  private lmBeamWidth: number | undefined;
  /** The personal lexicon: its words, the switch, and the file they come from (if any). */
  private lexiconWords: readonly string[] = [];
  private lexiconBoost = true;
  private lexiconFile: LexiconFile | null = null;
  /** Where language-model snapshots are kept (from 'init'; none: each load reads the file). */
  private lmCache: LmCacheConfig | null = null;
  /** The word language model for finals, or null for none. */
  private languageModel: LoadedLm | null = null;
  /** The last file loaded, kept so switching the language model off and on again does not reload it. */
  private loaded: LoadedLm | null = null;
  private computeMs = 0;
  private audioMs = 0;
  private lastStats = 0;
  // Messages are handled strictly in order: audio that arrives while the model loads waits for it.
  private queue: Promise<void> = Promise.resolve();
  /** Where the model runs: here, or on the compute host (WebGPU) when 'init' asks for it. */
  private streams: StreamSource = LOCAL_STREAMS;
  private hostStreams: HostStreams | null = null;
  /** Compute host windows opened by the parent (the desktop app). */
  private readonly windows: HostWindowLauncher;

  constructor(private readonly port: Port) {
    this.windows = new HostWindowLauncher((m) => port.send(m));
    port.onMessage((msg) => {
      // Answers about a host window arrive while 'init' waits for them: never queued behind it.
      if (msg.type === 'hostOpened' || msg.type === 'hostFailed' || msg.type === 'hostClosed')
        return this.windows.onReply(msg);
      this.enqueue(() => this.handle(msg), msg.type === 'init');
    });
  }

  /** Runs `work` after every message before it; an error is reported (fatal while initialising). */
  private enqueue(work: () => Promise<void> | void, fatal = false): void {
    this.queue = this.queue.then(async () => {
      try {
        await work();
      } catch (err) {
        this.fail(err, fatal);
      }
    });
  }

  private async handle(msg: ToEngine): Promise<void> {
    switch (msg.type) {
      case 'init':
        return this.init(msg);
      case 'audio':
        return this.audio(msg);
      case 'finish':
        await this.recognizer?.finish();
        return this.port.send({ type: 'finished' });
      case 'reset':
        return this.reset();
      case 'lexicon':
        this.running('lexicon');
        this.useLexicon(msg.lexicon);
        return this.reportLexicon();
      case 'language-model':
        return this.changeLanguageModel(msg);
      case 'swap-model':
        return this.swapModel(msg);
      case 'hostOpened':
      case 'hostFailed':
      case 'hostClosed':
        return; // answered in the constructor's listener
      case 'shutdown':
        this.lexiconFile?.close();
        this.recognizer?.dispose();
        process.exit(0);
    }
  }

  private async init(msg: Message<'init'>): Promise<void> {
    // Recognition uses WebGPU only when asked (see ComputeBackendConfig.autoWebGpu).
    const backend = await startComputeBackend({
      prefer: (msg.backend ?? 'auto') as 'auto',
      launcher: msg.hostWindow ? this.windows.launch : chromiumLauncher(),
    });
    await this.hostStreams?.close();
    this.hostStreams = backend.host
      ? new HostStreams(backend.host, (m) => this.fail(new Error(m), false))
      : null;
    this.streams = this.hostStreams ?? LOCAL_STREAMS;
    const model = loadModel(msg.modelDir);
    await this.hostStreams?.prepare(model);
    this.recognizer?.dispose();
    this.endpoint = msg.endpoint;
    this.lmBeamWidth = msg.lmBeamWidth;
    if (msg.lexicon) this.useLexicon(msg.lexicon);
    this.lmCache = msg.languageModelCache ? { ...DEFAULT_LM_CACHE, dir: msg.languageModelCache } : null;
    const lm = this.useLanguageModel(msg.languageModel ?? null);
    const recognizer = this.newRecognizer(model);
    this.recognizer = recognizer;
    this.port.send({
      type: 'ready',
      backend: {
        name: backend.name,
        threads: backend.local.threads,
        description: describeComputeBackend(backend),
      },
      model: modelInfo(model),
      lexicon: this.lexiconInfo(recognizer),
      languageModel: this.languageModel?.info ?? null,
      ...(lm.error ? { languageModelError: lm.error } : {}),
    });
  }

  private async audio(msg: Message<'audio'>): Promise<void> {
    const recognizer = this.running('audio');
    const t0 = performance.now();
    await recognizer.accept(msg.samples);
    this.computeMs += performance.now() - t0;
    this.audioMs += (msg.samples.length / 16000) * 1000;
    if (this.audioMs - this.lastStats < STATS_EVERY_MS) return;
    this.lastStats = this.audioMs;
    this.port.send({
      type: 'stats',
      audioMs: this.audioMs,
      computeMs: this.computeMs,
      rssBytes: process.memoryUsage().rss,
    });
  }

  /** A new recogniser on the same model and settings: the next phrase starts afresh. */
  private reset(): void {
    if (!this.recognizer) return;
    const model = this.recognizer.currentModel;
    this.recognizer.dispose();
    this.recognizer = this.newRecognizer(model);
  }

  private changeLanguageModel(msg: Message<'language-model'>): void {
    this.running('language-model');
    const { error } = this.useLanguageModel(msg.path);
    this.port.send({
      type: 'language-model',
      languageModel: this.languageModel?.info ?? null,
      ...(error ? { error } : {}),
    });
  }

  private async swapModel(msg: Message<'swap-model'>): Promise<void> {
    const next = loadModel(msg.modelDir);
    await this.hostStreams?.prepare(next);
    this.running('swap-model').swapModel(next);
    this.port.send({ type: 'model-swapped', model: modelInfo(next) });
  }

  /** The recogniser, which every message but 'init' needs. */
  private running(what: string): Recognizer {
    if (!this.recognizer) throw new Error(`${what} before init`);
    return this.recognizer;
  }

  private fail(err: unknown, fatal: boolean): void {
    this.port.send({ type: 'error', message: err instanceof Error ? err.message : String(err), fatal });
  }

  private newRecognizer(model: LoadedModel): Recognizer {
    const r = new Recognizer(
      model,
      {
        endpoint: this.endpoint as never,
        final: {
          lexiconBoost: this.lexiconBoost,
          ...(this.lmBeamWidth ? { lmBeamWidth: this.lmBeamWidth } : {}),
        },
        lexicon: this.lexiconWords,
        languageModel: this.languageModel?.lm ?? null,
      },
      this.streams,
    );
    r.on('partial', (e) => this.port.send({ type: 'partial', ...e }));
    r.on('final', (e) => this.port.send({ type: 'final', ...e }));
    return r;
  }

  private lexiconInfo(r: Recognizer): EngineLexiconInfo {
    return { ...r.lexiconState, path: this.lexiconFile?.path ?? null };
  }

  private reportLexicon(): void {
    if (this.recognizer) this.port.send({ type: 'lexicon', lexicon: this.lexiconInfo(this.recognizer) });
  }

  private useWords(words: readonly string[]): void {
    this.lexiconWords = words;
    this.recognizer?.setLexicon(words);
  }

  /** Applies a lexicon source; a file is read now and again whenever it changes. */
  private useLexicon(src: LexiconSource): void {
    if (src.boost !== undefined) {
      this.lexiconBoost = src.boost;
      this.recognizer?.setLexiconBoost(src.boost);
    }
    if (src.path !== undefined) {
      this.lexiconFile?.close();
      const file = new LexiconFile(
        src.path,
        // Changes come between messages: apply them in order with the rest.
        (words) =>
          this.enqueue(() => {
            this.useWords(words);
            this.reportLexicon();
          }),
        (err) => this.fail(err, false),
      );
      this.lexiconFile = file;
      try {
        this.useWords(file.read());
      } catch (err) {
        file.close();
        this.lexiconFile = null;
        throw err;
      }
    } else if (src.words !== undefined) {
      this.lexiconFile?.close();
      this.lexiconFile = null;
      this.useWords(src.words);
    }
  }

  /**
   * Makes `path` the language model for finals (null: none). Dictation works without one (greedy or
   * lexicon-boosted finals), so a file that cannot be used is reported and finals go on without a model.
   */
  private useLanguageModel(path: string | null): { error?: string } {
    this.languageModel = null;
    let error: string | undefined;
    if (path !== null) {
      try {
        this.languageModel = this.loadLanguageModel(path);
      } catch (err) {
        error = (err as Error).message;
      }
    }
    this.recognizer?.setLanguageModel(this.languageModel?.lm ?? null);
    return error ? { error } : {};
  }

  private loadLanguageModel(path: string): LoadedLm {
    if (this.loaded?.path === path) return this.loaded;
    const started = performance.now();
    const { lm, from, snapshotProblem } = loadLanguageModel(path, this.lmCache);
    const loadMs = Math.round(performance.now() - started);
    const info = { path, words: lm.words.length, order: lm.order, loadMs, loadedFrom: from };
    this.loaded = { path, lm, info: snapshotProblem ? { ...info, snapshotProblem } : info };
    return this.loaded;
  }
}

/** Runs the engine on the port to the main process. */
export function runEngine(port: Port = openPort()): EngineProcess {
  return new EngineProcess(port);
}

// Started as a process entry (not imported by tests): run.
if (process.argv[1] && /engine-process\.(ts|js)$/.test(process.argv[1])) runEngine();
