import type { HostWindowReply, HostWindowRequest } from '../compute/contract.js';
import type { EndpointConfig } from '../speech/endpoint.js';
import type { FinalEvent, PartialEvent } from './recognizer.js';

/**
 * Messages between the main process and the engine process (the process that owns the model).
 * Both sides import this file; messages travel by structured clone (Node's advanced IPC
 * serialization, or Electron's utilityProcess port), so typed arrays cross without copying to JSON.
 */

/**
 * The personal lexicon finals are boosted towards: its words, given outright or read from a file (one
 * word a line) that the engine re-reads whenever it changes; and the switch.
 */
export interface LexiconSource {
  /** Boost the lexicon's words in finals (off: greedy finals). Unchanged when left out. */
  boost?: boolean;
  /** The words themselves. */
  words?: readonly string[];
  /** A lexicon file, watched for changes (it need not exist yet). Replaces `words` and any earlier file. */
  path?: string;
}

export type ToEngine =
  | {
      type: 'init';
      modelDir: string;
      backend?: string;
      endpoint?: Partial<EndpointConfig>;
      lexicon?: LexiconSource;
      /** A word language model (ARPA file, plain or gzipped) finals are decoded with; absent or null: none. */
      languageModel?: string | null;
      /** Folder of language-model snapshots (loaded in a fraction of the time); absent: none kept. */
      languageModelCache?: string;
      /** Beam width of the finals' language-model search; absent: LM_BEAM_WIDTH. */
      lmBeamWidth?: number;
      /**
       * The parent opens compute host pages in hidden windows of its own (the desktop app); otherwise the
       * engine starts headless Chromium for them (with backend 'webgpu').
       */
      hostWindow?: boolean;
    }
  /** PCM at 16 kHz, mono, samples in [-1, 1]. */
  | { type: 'audio'; samples: Float32Array }
  /** End of the utterance stream: flush and send the last final, then 'finished'. */
  | { type: 'finish' }
  /** Forget the current stream state without emitting anything (a new session starts). */
  | { type: 'reset' }
  /** Use another model from the next phrase on (a promoted personal model, a rollback). */
  | { type: 'swap-model'; modelDir: string }
  /** Replace the personal lexicon or switch its boosting; answered with 'lexicon'. */
  | { type: 'lexicon'; lexicon: LexiconSource }
  /** Use another word language model for finals, or none (null); answered with 'language-model'. */
  | { type: 'language-model'; path: string | null }
  | { type: 'shutdown' }
  /** Answers to openHost. */
  | HostWindowReply;

export interface EngineModelInfo {
  dir: string;
  parameters: number;
  version?: string;
}

export interface EngineLexiconInfo {
  boost: boolean;
  /** Words the running model can spell. */
  words: number;
  /** The watched file, if any. */
  path: string | null;
}

/** The word language model finals use. */
export interface EngineLanguageModelInfo {
  path: string;
  /** Words it knows, and its longest n-gram. */
  words: number;
  order: number;
  /** How long loading took (ms), and whether it came from a snapshot or the file itself. */
  loadMs: number;
  loadedFrom: 'snapshot' | 'source';
  /** Why a snapshot could not be used or written, if so (the model works all the same). */
  snapshotProblem?: string;
}

export type FromEngine =
  | {
      type: 'ready';
      backend: { name: string; threads: number; description: string };
      model: EngineModelInfo;
      lexicon: EngineLexiconInfo;
      languageModel: EngineLanguageModelInfo | null;
      /** Why the language model asked for is not used (finals are then decoded without one). */
      languageModelError?: string;
    }
  | ({ type: 'partial' } & PartialEvent)
  | ({ type: 'final' } & FinalEvent)
  | { type: 'finished' }
  | { type: 'model-swapped'; model: EngineModelInfo }
  /** The lexicon finals now use (after a 'lexicon' message or a change of its file). */
  | { type: 'lexicon'; lexicon: EngineLexiconInfo }
  /** The language model finals now use, and why the one asked for is not (finals then use none). */
  | { type: 'language-model'; languageModel: EngineLanguageModelInfo | null; error?: string }
  | { type: 'stats'; audioMs: number; computeMs: number; rssBytes: number }
  | { type: 'error'; message: string; fatal: boolean }
  /** Open the compute host page in a hidden window (init with hostWindow). */
  | HostWindowRequest;
