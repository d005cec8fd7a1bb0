import { EventEmitter } from 'node:events';
import { type ChildLink, entryBeside, forkNode } from '../process/child-process.js';
import type { EndpointConfig } from '../speech/endpoint.js';
import type {
  EngineLanguageModelInfo,
  EngineLexiconInfo,
  EngineModelInfo,
  FromEngine,
  LexiconSource,
  ToEngine,
} from './protocol.js';
import type { FinalEvent, PartialEvent } from './recognizer.js';

/** The engine child process: Node's fork here, Electron's utilityProcess in the app. */
export type EngineChild = ChildLink<ToEngine, FromEngine>;

export type EngineLauncher = (entry: string) => EngineChild;

/** Path of the engine process entry next to this file. */
export function engineEntry(): string {
  return entryBeside(import.meta.url, 'engine-process');
}

/** Starts the engine as a Node child process. */
export const nodeLauncher: EngineLauncher = (entry) => forkNode<ToEngine, FromEngine>(entry);

/** When the engine process dies on its own, it is started again, unless it keeps dying. */
export interface EngineRestartConfig {
  /** Restarts allowed within `windowMs`; 0 turns restarting off. */
  max: number; // 3
  /** The window the restarts are counted in, ms: a model that crashes at once must not loop forever. */
  windowMs: number; // 60_000
}

export const DEFAULT_ENGINE_RESTART: EngineRestartConfig = { max: 3, windowMs: 60_000 };

/** How long a request may take by default: loading a model or a language model takes seconds at most. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** What each request asks the engine to do, as its errors say it. */
const REQUEST_NAMES = {
  'model-swapped': 'load the model',
  lexicon: 'change the lexicon',
  'language-model': 'change the language model',
} as const;

/** A request the engine failed, refused, or did not answer (it stopped, or took too long). */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
}

export interface EngineOptions {
  modelDir: string;
  backend?: string;
  endpoint?: Partial<EndpointConfig>;
  /** The personal lexicon finals are boosted towards, and the switch (default: on, no words). */
  lexicon?: LexiconSource;
  /** A word language model (ARPA file) finals are decoded with; absent or null: none. */
  languageModel?: string | null;
  /** Folder of language-model snapshots; absent: none kept. */
  languageModelCache?: string;
  /** Beam width of the finals' language-model search (benchmarks compare widths); absent: LM_BEAM_WIDTH. */
  lmBeamWidth?: number;
  launcher?: EngineLauncher;
  /** How long model loading may take before start() gives up. */
  startTimeoutMs?: number;
  /** How long a request (another model, lexicon or language model) may take before it is reported failed. */
  requestTimeoutMs?: number; // REQUEST_TIMEOUT_MS
  restart?: Partial<EngineRestartConfig>;
}

export interface EngineEvents {
  partial: [PartialEvent];
  final: [FinalEvent];
  stats: [{ audioMs: number; computeMs: number; rssBytes: number }];
  error: [{ message: string; fatal: boolean }];
  /** The engine process ended (any process: a restarted one reports its own end too). */
  exit: [number | null];
  /** A new engine process is running after the previous one died, with the same model and lexicon. */
  restarted: [EngineModelInfo];
  'model-swapped': [EngineModelInfo];
  /** The lexicon the engine now uses: after start-up, setLexicon, or a change of the lexicon file. */
  lexicon: [EngineLexiconInfo];
  /** The language model finals now use (after setLanguageModel), and why the one asked for is not. */
  'language-model': [{ languageModel: EngineLanguageModelInfo | null; error?: string }];
}

/**
 * The main process's handle on the engine process. Audio goes in with sendAudio(); text comes back
 * as 'partial' and 'final' events. The main process never runs the model, so it never blocks. If the
 * process dies on its own, the dictation in progress ends (the 'exit' event) and a new process starts
 * with the model and lexicon in use, so the next dictation works without restarting the app.
 */
export class EngineClient extends EventEmitter<EngineEvents> {
  private finishedWaiters: (() => void)[] = [];
  private exited = true;
  private closing = false;
  private child: EngineChild | null = null;
  /** When the recent restarts happened (ms since the epoch), to stop a crash loop. */
  private restartTimes: number[] = [];
  private readonly restartConfig: EngineRestartConfig;
  /** What a restarted process is given: the options, with the model and lexicon in use now. */
  private current: EngineOptions;
  ready: Extract<FromEngine, { type: 'ready' }> | null = null;
  /** The lexicon the engine last reported. */
  lexicon: EngineLexiconInfo | null = null;

  private constructor(opts: EngineOptions) {
    super();
    this.current = { ...opts };
    this.restartConfig = { ...DEFAULT_ENGINE_RESTART, ...opts.restart };
  }

  static async start(opts: EngineOptions): Promise<EngineClient> {
    const client = new EngineClient(opts);
    await client.launch();
    return client;
  }

  /** Starts an engine process and wires it up; resolves once its model is loaded. */
  private launch(): Promise<void> {
    const opts = this.current;
    const child = (opts.launcher ?? nodeLauncher)(engineEntry());
    this.child = child;
    this.exited = false;
    let started = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`engine did not start within ${opts.startTimeoutMs ?? 60_000} ms`));
      }, opts.startTimeoutMs ?? 60_000);
      child.onExit((code) => {
        this.exited = true;
        for (const w of this.finishedWaiters.splice(0)) w();
        if (!started) {
          clearTimeout(timer);
          reject(new Error(`engine process exited during start-up (code ${code})`));
        }
        this.emit('exit', code);
        if (started && !this.closing) this.restartAfterCrash(code);
      });
      child.onMessage((msg) => {
        switch (msg.type) {
          case 'ready':
            started = true;
            this.ready = msg;
            this.lexicon = msg.lexicon;
            clearTimeout(timer);
            resolve();
            break;
          case 'partial': {
            const { type: _t, ...e } = msg;
            this.emit('partial', e);
            break;
          }
          case 'final': {
            const { type: _t, ...e } = msg;
            this.emit('final', e);
            break;
          }
          case 'finished':
            this.finishedWaiters.shift()?.();
            break;
          case 'model-swapped':
            this.current = { ...this.current, modelDir: msg.model.dir };
            if (this.ready) this.ready = { ...this.ready, model: msg.model };
            this.emit('model-swapped', msg.model);
            break;
          case 'lexicon':
            this.lexicon = msg.lexicon;
            this.emit('lexicon', msg.lexicon);
            break;
          case 'language-model': {
            if (this.ready) {
              const { languageModelError: _e, ...rest } = this.ready;
              this.ready = {
                ...rest,
                languageModel: msg.languageModel,
                ...(msg.error ? { languageModelError: msg.error } : {}),
              };
            }
            const { type: _t, ...e } = msg;
            this.emit('language-model', e);
            break;
          }
          case 'stats': {
            const { type: _t, ...s } = msg;
            this.emit('stats', s);
            break;
          }
          case 'error':
            if (!started && msg.fatal) {
              clearTimeout(timer);
              child.kill();
              reject(new Error(msg.message));
            } else this.emit('error', { message: msg.message, fatal: msg.fatal });
            break;
        }
      });
      child.send({
        type: 'init',
        modelDir: opts.modelDir,
        backend: opts.backend,
        endpoint: opts.endpoint,
        lexicon: opts.lexicon,
        languageModel: opts.languageModel,
        languageModelCache: opts.languageModelCache,
        lmBeamWidth: opts.lmBeamWidth,
      });
    });
  }

  private restartAfterCrash(code: number | null): void {
    const { max, windowMs } = this.restartConfig;
    if (max <= 0) return;
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < windowMs);
    if (this.restartTimes.length >= max) {
      this.emit('error', {
        message:
          `the speech engine stopped ${max + 1} times within ${windowMs / 1000} s (last exit code ${code}); ` +
          'it is not started again: restart Attune',
        fatal: true,
      });
      return;
    }
    this.restartTimes.push(now);
    this.launch().then(
      () => {
        if (this.closing) this.close();
        else this.emit('restarted', this.ready!.model);
      },
      (err: Error) =>
        this.emit('error', {
          message: `the speech engine could not be restarted: ${err.message}`,
          fatal: true,
        }),
    );
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Audio for the stream; dropped while no engine process runs (a dictation then has already ended). */
  sendAudio(samples: Float32Array): void {
    if (!this.exited) this.child!.send({ type: 'audio', samples });
  }

  /** Flushes the stream; resolves once the last final (if any) has been emitted. */
  finish(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.finishedWaiters.push(resolve);
      this.child!.send({ type: 'finish' });
    });
  }

  reset(): void {
    if (!this.exited) this.child!.send({ type: 'reset' });
  }

  swapModel(modelDir: string): Promise<EngineModelInfo> {
    return this.request({ type: 'swap-model', modelDir }, 'model-swapped');
  }

  /**
   * Replaces the personal lexicon (words, or a file to watch) or switches boosting, without stopping
   * dictation; resolves with what the engine then uses.
   */
  async setLexicon(lexicon: LexiconSource): Promise<EngineLexiconInfo> {
    const info = await this.request({ type: 'lexicon', lexicon }, 'lexicon');
    this.current = { ...this.current, lexicon }; // what a restarted engine starts with
    return info;
  }

  /**
   * Decodes finals with another word language model (an ARPA file), or none (null), without stopping
   * dictation; resolves with the model the engine then uses and, if the file could not be used, why.
   */
  async setLanguageModel(path: string | null): Promise<EngineEvents['language-model'][0]> {
    const info = await this.request({ type: 'language-model', path }, 'language-model');
    this.current = { ...this.current, languageModel: path }; // what a restarted engine starts with
    return info;
  }

  /**
   * Sends a message and resolves with the event that answers it; rejects with the engine's error, when the
   * engine is not running or stops before answering, or when no answer comes within requestTimeoutMs.
   */
  private request<E extends keyof typeof REQUEST_NAMES>(
    msg: ToEngine,
    answer: E,
  ): Promise<EngineEvents[E][0]> {
    const what = `${REQUEST_NAMES[answer]}${msg.type === 'swap-model' ? ` ${msg.modelDir}` : ''}`;
    if (this.exited)
      return Promise.reject(new EngineRequestError(`the speech engine is not running (asked to ${what})`));
    const timeoutMs = this.current.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, value?: EngineEvents[E][0]) => {
        clearTimeout(timer);
        this.off(answer, onAnswer as never);
        this.off('error', onError);
        this.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      };
      const onAnswer = (value: EngineEvents[E][0]) => done(null, value);
      const onError = (e: { message: string }) =>
        done(new EngineRequestError(`the speech engine could not ${what}: ${e.message}`));
      const onExit = () => done(new EngineRequestError(`the speech engine stopped while asked to ${what}`));
      const timer = setTimeout(
        () => done(new EngineRequestError(`the speech engine did not ${what} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      // `as never`: TypeScript cannot match a listener to an event name that is still a type parameter.
      this.on(answer, onAnswer as never);
      this.on('error', onError);
      this.on('exit', onExit);
      this.child!.send(msg);
    });
  }

  /** Ends the engine process for good (no restart). */
  close(): void {
    this.closing = true;
    if (this.exited) return;
    const child = this.child!;
    child.send({ type: 'shutdown' });
    setTimeout(() => {
      if (!this.exited && this.child === child) child.kill();
    }, 2000).unref();
  }
}
