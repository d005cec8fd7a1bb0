import type { AcousticConfig } from '../model/config.js';

/**
 * The typed channel between Attune's processes and a compute host: a page (a hidden Electron window, or
 * headless Chromium) that runs the acoustic model on TensorFlow.js's `webgpu` backend. Each request and
 * reply travels as one wire message (wire.ts): the header below, and the arrays named beside it.
 * The host handles one request at a time, in order.
 */
export type HostBackend = 'webgpu' | 'cpu';

/** The GPU the host found, as WebGPU describes it. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter: SwiftShader, Chromium's CPU implementation of Vulkan. Correct, and slow. */
  software: boolean;
}

export type HostRequest =
  /** Starts the backend. Reply: HostStarted. */
  | { op: 'start'; backend: HostBackend }
  /**
   * Loads a model under the caller's id (the host holds several: the engine swaps models between phrases).
   * Arrays: every parameter in `names` order, then the feature mean and std. `trained` names the
   * parameters whose weights come with each `gradients` request.
   */
  | { op: 'load'; model: number; acoustic: AcousticConfig; names: string[]; trained: string[]; blank: number }
  /** Frees a model and its streams. */
  | { op: 'unload'; model: number }
  /**
   * Loss and gradients of one shard at the given weights (training/shard-gradients.ts).
   * Arrays: each trained parameter's weights, the features [B, T, F], then every target concatenated.
   * Reply: { loss, infeasible } with one gradient array per trained parameter.
   */
  | {
      op: 'gradients';
      model: number;
      frames: number;
      lengths: number[];
      targetLengths: number[];
      seed: number;
    }
  /** Offline log-probabilities. Arrays: features [B, T, F]. Reply: { frames, lengths } + [B, T', V]. */
  | { op: 'logProbs'; model: number; frames: number; lengths: number[] }
  /** Streaming: a new stream over a model's weights, under the caller's id. */
  | { op: 'streamOpen'; model: number; stream: number }
  /** Arrays: features [n, F]. Reply: { frames } + log-probs [m, V] for the frames that became ready. */
  | { op: 'streamAccept'; stream: number; frames: number }
  /** Ends the stream's utterance. Reply: { frames } + the remaining log-probs. */
  | { op: 'streamFlush'; stream: number }
  | { op: 'streamClose'; stream: number }
  /**
   * Fault drills, so the fall-back to another backend can be exercised: 'deviceLost' destroys the GPU device
   * as a driver reset or a removed GPU would; 'gpuError' makes the device report an error nobody catches,
   * the way running out of GPU memory is reported. Later requests fail with `deviceLost`.
   */
  | { op: 'drill'; fault: 'deviceLost' | 'gpuError' };

export type HostOp = HostRequest['op'];

export interface HostStarted {
  backend: HostBackend;
  adapter: AdapterInfo | null;
}

/** What every reply's header carries besides its op's fields. */
export type HostReplyHeader =
  | ({ id: number; ok: true } & Record<string, unknown>)
  | { id: number; ok: false; error: string; deviceLost?: boolean };

/** Every request's header on the wire. */
export type HostRequestHeader = HostRequest & { id: number };

/** Sent by the page once its channel is open, before any request. */
export interface HostHello {
  hello: 'attune-compute-host';
  userAgent: string;
}

/**
 * A model process's requests to its parent for a compute host window (in the desktop app only the main
 * process can make windows), and the parent's answers: the window is loading the page, could not be opened,
 * or has gone.
 */
export type HostWindowRequest = { type: 'openHost'; url: string } | { type: 'closeHost' };
export type HostWindowReply =
  { type: 'hostOpened' } | { type: 'hostFailed'; reason: string } | { type: 'hostClosed'; reason: string };
