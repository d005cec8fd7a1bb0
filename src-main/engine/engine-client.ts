import { EventEmitter } from 'node:events';
import { type ChildLink, entryBeside, forkNode } from './child-process.js';
import type { EndpointConfig } from '../speech/endpoint.js';
import type { EngineLexiconInfo, EngineModelInfo, FromEngine, LexiconSource, ToEngine } from './protocol.js';
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

export interface EngineOptions {
  modelDir: string;
  backend?: string;
  endpoint?: Partial<EndpointConfig>;
  /** The personal lexicon finals are boosted towards, and the switch (default: on, no words). */
  lexicon?: LexiconSource;
  launcher?: EngineLauncher;
  /** How long model loading may take before start() gives up. */
  startTimeoutMs?: number;
}

export interface EngineEvents {
  partial: [PartialEvent];
  final: [FinalEvent];
  stats: [{ audioMs: number; computeMs: number; rssBytes: number }];
  error: [{ message: string; fatal: boolean }];
  exit: [number | null];
  'model-swapped': [EngineModelInfo];
  /** The lexicon the engine now uses: after start-up, setLexicon, or a change of the lexicon file. */
  lexicon: [EngineLexiconInfo];
}

/**
 * The main process's handle on the engine process. Audio goes in with sendAudio(); text comes back
 * as 'partial' and 'final' events. The main process never runs the model, so it never blocks.
 */
export class EngineClient extends EventEmitter<EngineEvents> {
  private finishedWaiters: (() => void)[] = [];
  private exited = false;
  ready: Extract<FromEngine, { type: 'ready' }> | null = null;
  /** The lexicon the engine last reported. */
  lexicon: EngineLexiconInfo | null = null;

  private constructor(private readonly child: EngineChild) {
    super();
  }

  static start(opts: EngineOptions): Promise<EngineClient> {
    const child = (opts.launcher ?? nodeLauncher)(engineEntry());
    const client = new EngineClient(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`engine did not start within ${opts.startTimeoutMs ?? 60_000} ms`));
      }, opts.startTimeoutMs ?? 60_000);
      child.onExit((code) => {
        client.exited = true;
        for (const w of client.finishedWaiters.splice(0)) w();
        if (!client.ready) {
          clearTimeout(timer);
          reject(new Error(`engine process exited during start-up (code ${code})`));
        }
        client.emit('exit', code);
      });
      child.onMessage((msg) => {
        switch (msg.type) {
          case 'ready':
            client.ready = msg;
            client.lexicon = msg.lexicon;
            clearTimeout(timer);
            resolve(client);
            break;
          case 'partial': {
            const { type: _t, ...e } = msg;
            client.emit('partial', e);
            break;
          }
          case 'final': {
            const { type: _t, ...e } = msg;
            client.emit('final', e);
            break;
          }
          case 'finished':
            client.finishedWaiters.shift()?.();
            break;
          case 'model-swapped':
            client.emit('model-swapped', msg.model);
            break;
          case 'lexicon':
            client.lexicon = msg.lexicon;
            client.emit('lexicon', msg.lexicon);
            break;
          case 'stats': {
            const { type: _t, ...s } = msg;
            client.emit('stats', s);
            break;
          }
          case 'error':
            if (!client.ready && msg.fatal) {
              clearTimeout(timer);
              child.kill();
              reject(new Error(msg.message));
            } else client.emit('error', { message: msg.message, fatal: msg.fatal });
            break;
        }
      });
      child.send({
        type: 'init',
        modelDir: opts.modelDir,
        backend: opts.backend,
        endpoint: opts.endpoint,
        lexicon: opts.lexicon,
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  sendAudio(samples: Float32Array): void {
    this.child.send({ type: 'audio', samples });
  }

  /** Flushes the stream; resolves once the last final (if any) has been emitted. */
  finish(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.finishedWaiters.push(resolve);
      this.child.send({ type: 'finish' });
    });
  }

  reset(): void {
    this.child.send({ type: 'reset' });
  }

  swapModel(modelDir: string): Promise<EngineModelInfo> {
    return new Promise((resolve, reject) => {
      const onSwap = (m: EngineModelInfo) => {
        this.off('error', onErr);
        resolve(m);
      };
      const onErr = (e: { message: string }) => {
        this.off('model-swapped', onSwap);
        reject(new Error(e.message));
      };
      this.once('model-swapped', onSwap);
      this.once('error', onErr);
      this.child.send({ type: 'swap-model', modelDir });
    });
  }

  /**
   * Replaces the personal lexicon (words, or a file to watch) or switches boosting, without stopping
   * dictation; resolves with what the engine then uses.
   */
  setLexicon(lexicon: LexiconSource): Promise<EngineLexiconInfo> {
    return new Promise((resolve, reject) => {
      const onLexicon = (l: EngineLexiconInfo) => {
        this.off('error', onErr);
        resolve(l);
      };
      const onErr = (e: { message: string }) => {
        this.off('lexicon', onLexicon);
        reject(new Error(e.message));
      };
      this.once('lexicon', onLexicon);
      this.once('error', onErr);
      this.child.send({ type: 'lexicon', lexicon });
    });
  }

  close(): void {
    if (this.exited) return;
    this.child.send({ type: 'shutdown' });
    setTimeout(() => {
      if (!this.exited) this.child.kill();
    }, 2000).unref();
  }
}
