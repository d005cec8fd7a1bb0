import type { EndpointConfig } from '../speech/endpoint.js';
import type { FinalEvent, PartialEvent } from './recognizer.js';

/**
 * Messages between the main process and the engine process (the process that owns the model).
 * Both sides import this file; messages travel by structured clone (Node's advanced IPC
 * serialization, or Electron's utilityProcess port), so typed arrays cross without copying to JSON.
 */

export type ToEngine =
  | { type: 'init'; modelDir: string; backend?: string; endpoint?: Partial<EndpointConfig> }
  /** PCM at 16 kHz, mono, samples in [-1, 1]. */
  | { type: 'audio'; samples: Float32Array }
  /** End of the utterance stream: flush and send the last final, then 'finished'. */
  | { type: 'finish' }
  /** Forget the current stream state without emitting anything (a new session starts). */
  | { type: 'reset' }
  /** Use another model from the next phrase on (a promoted personal model, a rollback). */
  | { type: 'swap-model'; modelDir: string }
  | { type: 'shutdown' };

export interface EngineModelInfo {
  dir: string;
  parameters: number;
  version?: string;
}

export type FromEngine =
  | { type: 'ready'; backend: { name: string; threads: number; description: string }; model: EngineModelInfo }
  | ({ type: 'partial' } & PartialEvent)
  | ({ type: 'final' } & FinalEvent)
  | { type: 'finished' }
  | { type: 'model-swapped'; model: EngineModelInfo }
  | { type: 'stats'; audioMs: number; computeMs: number; rssBytes: number }
  | { type: 'error'; message: string; fatal: boolean };
