// Chooses the TensorFlow.js backend at run time, fastest first:
//   tfjs-node-gpu (TensorFlow on CUDA) → tfjs-node (TensorFlow on the CPU) → wasm (XNNPACK) → cpu (plain JS).
// The two native packages are optional dependencies whose install step downloads libtensorflow, so they are
// loaded only when present and working. Every rung that does not run records a one-line reason for
// `attune info`. Starting also registers tfjs-core's gradients, and on wasm the rewritten ones that let it
// train (wasm-gradients.ts). Nothing starts at import: call initBackend() once, before any tensor is made.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import os from 'node:os';
import { registerCoreGradients } from './core-gradients.js';
import { installWasmGradients } from './wasm-gradients.js';
import { installWasmIdentity } from './wasm-identity.js';
import { startThreadedWasm, threadedWasmFiles, threadedWasmUnavailable } from './wasm-threads.js';

export { matMulFast } from './wasm-gradients.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
/**
 * 'webgpu' asks for the compute host (src-main/compute/): the model then computes in a browser page on the
 * GPU, and this process's own ladder is walked as for 'auto', for the optimizer and the work around the model.
 */
export type BackendPreference = 'webgpu' | 'gpu' | 'node' | 'wasm' | 'cpu' | 'auto';

export interface BackendConfig {
  /**
   * 'auto' walks the ladder; any other value uses only that rung and fails if it cannot start.
   * When absent or 'auto', the ATTUNE_BACKEND environment variable may still name one.
   */
  prefer?: BackendPreference;
  /**
   * Threads for the wasm backend; 1 keeps the single-threaded build. Default: ATTUNE_WASM_THREADS, else
   * one fewer than the available cores, between 1 and 4. The wasm thread pool spin-waits, so it collapses when
   * the cores are shared (measured on 2 busy cores: 2 threads ran matMul at 0.3–0.4× one thread's speed,
   * against 1.9× when idle), and audio capture, the window and the other model process need a core.
   */
  wasmThreads?: number;
}

export interface BackendRung {
  /** A rung of this process's ladder, or 'webgpu': the compute host's (src-main/compute/). */
  backend: BackendName | 'webgpu';
  /** True for the rung that runs. */
  ok: boolean;
  /** One line for people: what runs, or why this rung does not. */
  why: string;
}

export interface BackendInfo {
  name: BackendName;
  /** Threads the backend computes on (native TensorFlow: the cores it may use). */
  threads: number;
  /** Whether its kernels are vectorised: WebAssembly SIMD, or native TensorFlow. */
  simd: boolean;
  /** Every rung of the ladder, top first. */
  reasons: BackendRung[];
}

const PREFERENCES: readonly BackendPreference[] = ['webgpu', 'gpu', 'node', 'wasm', 'cpu', 'auto'];
const MAX_DEFAULT_WASM_THREADS = 4;
const GPU_NEEDS = 'needs CUDA 11.2 + cuDNN 8.1';

type RungResult = { ok: true; why: string; threads: number; simd: boolean } | { ok: false; why: string };

interface Rung {
  name: BackendName;
  preference: Exclude<BackendPreference, 'auto'>;
  start: (config: Required<BackendConfig>) => Promise<RungResult>;
}

const LADDER: readonly Rung[] = [
  { name: 'tensorflow-gpu', preference: 'gpu', start: startGpu },
  { name: 'tensorflow', preference: 'node', start: startNode },
  { name: 'wasm', preference: 'wasm', start: startWasm },
  { name: 'cpu', preference: 'cpu', start: startCpu },
];

let started: Promise<BackendInfo> | null = null;

/**
 * Starts the best backend this machine has, once per process: later calls return the first call's result
 * whatever config they pass. If no backend starts, the promise rejects and a later call may try again.
 */
export function initBackend(config: BackendConfig = {}): Promise<BackendInfo> {
  started ??= start(config).catch((err: unknown) => {
    started = null;
    throw err;
  });
  return started;
}

/** A few lines for `attune info`: the backend that runs, and why each other rung does not. */
export function describeBackend(info: BackendInfo): string {
  const detail =
    info.name === 'cpu' ? 'plain JavaScript' : `${info.threads} thread(s)${info.simd ? ', SIMD' : ''}`;
  const width = Math.max(...info.reasons.map((r) => r.backend.length));
  const lines = info.reasons.map((r) => `  ${r.ok ? '✓' : '✗'} ${r.backend.padEnd(width)}  ${r.why}`);
  return [`TensorFlow.js backend: ${info.name} (${detail})`, ...lines].join('\n');
}

/** Resolves the defaults: explicit config first, then the environment, then the built-in defaults. */
export function resolveBackendConfig(config: BackendConfig, env = process.env): Required<BackendConfig> {
  // 'auto' means "choose for me", so a choice made in the environment still applies.
  const prefer =
    config.prefer != null && config.prefer !== 'auto' ? config.prefer : parsePreference(env.ATTUNE_BACKEND);
  if (!PREFERENCES.includes(prefer)) {
    throw new Error(`Backend preference '${prefer}' is not one of ${PREFERENCES.join(', ')}.`);
  }
  const wasmThreads =
    config.wasmThreads ??
    parseThreads(env.ATTUNE_WASM_THREADS) ??
    Math.max(1, Math.min(os.availableParallelism() - 1, MAX_DEFAULT_WASM_THREADS));
  if (!Number.isInteger(wasmThreads) || wasmThreads < 1) {
    throw new Error(`wasmThreads must be a whole number ≥ 1, got ${wasmThreads}.`);
  }
  return { prefer, wasmThreads };
}

function parsePreference(value: string | undefined): BackendPreference {
  if (value == null || value === '') return 'auto';
  if (!PREFERENCES.includes(value as BackendPreference)) {
    throw new Error(`ATTUNE_BACKEND='${value}' is not one of ${PREFERENCES.join(', ')}.`);
  }
  return value as BackendPreference;
}

function parseThreads(value: string | undefined): number | undefined {
  if (value == null || value === '') return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`ATTUNE_WASM_THREADS='${value}' is not a whole number ≥ 1.`);
  }
  return threads;
}

async function start(partial: BackendConfig): Promise<BackendInfo> {
  const config = resolveBackendConfig(partial);
  // Production mode: no per-op debug checks, and no console banner suggesting tfjs-node (the
  // ladder below already says which backend runs and why).
  tf.enableProdMode();
  await registerCoreGradients();
  const reasons: BackendRung[] = [];
  let chosen: { name: BackendName; threads: number; simd: boolean } | null = null;
  for (const rung of LADDER) {
    if (chosen != null) {
      reasons.push({ backend: rung.name, ok: false, why: `not tried: ${chosen.name} runs` });
    } else if (config.prefer !== 'auto' && config.prefer !== 'webgpu' && config.prefer !== rung.preference) {
      reasons.push({ backend: rung.name, ok: false, why: `not tried: '${config.prefer}' was asked for` });
    } else {
      const result = await rung.start(config);
      reasons.push({ backend: rung.name, ok: result.ok, why: result.why });
      if (result.ok) chosen = { name: rung.name, threads: result.threads, simd: result.simd };
    }
  }
  if (chosen == null) {
    const lines = reasons.map((r) => `  ${r.backend}: ${r.why}`).join('\n');
    throw new Error(`No TensorFlow.js backend could start (asked for '${config.prefer}'):\n${lines}`);
  }
  return { ...chosen, reasons };
}

/** Where the native packages were found; both register the same 'tensorflow' backend. */
let nativeLoaded: 'tfjs-node-gpu' | 'tfjs-node' | null = null;

async function startGpu(): Promise<RungResult> {
  const loaded = await loadNative('tfjs-node-gpu', `optional dependency; ${GPU_NEEDS}`);
  if (loaded != null) return { ok: false, why: loaded };
  const backend = tf.backend() as { isUsingGpuDevice?: boolean };
  if (backend.isUsingGpuDevice !== true) {
    return { ok: false, why: `tfjs-node-gpu: no CUDA GPU visible (${GPU_NEEDS})` };
  }
  return { ok: true, why: 'tfjs-node-gpu: TensorFlow on a CUDA GPU', ...nativeThreads() };
}

async function startNode(): Promise<RungResult> {
  if (nativeLoaded === 'tfjs-node-gpu') {
    // The GPU package loaded but found no GPU: its TensorFlow runs on the CPU just as tfjs-node's would, and
    // two native TensorFlow libraries must not share a process.
    if (!(await tf.setBackend('tensorflow')))
      return { ok: false, why: 'tfjs-node-gpu: TensorFlow failed to start' };
    return { ok: true, why: 'tfjs-node-gpu: TensorFlow on the CPU (no GPU found)', ...nativeThreads() };
  }
  const loaded = await loadNative('tfjs-node', 'optional dependency; its install downloads libtensorflow');
  if (loaded != null) return { ok: false, why: loaded };
  return { ok: true, why: 'tfjs-node: TensorFlow on the CPU', ...nativeThreads() };
}

/** Loads a native package and selects its backend; returns why not, or null when it runs. */
async function loadNative(pkg: 'tfjs-node-gpu' | 'tfjs-node', needs: string): Promise<string | null> {
  const specifier = `@tensorflow/${pkg}`;
  try {
    createRequire(import.meta.url).resolve(specifier);
  } catch {
    return `${pkg}: not installed (${needs})`;
  }
  try {
    await import(specifier);
  } catch (err) {
    return `${pkg}: installed but fails to load (${firstLine(err)})`;
  }
  nativeLoaded = pkg;
  if (!(await tf.setBackend('tensorflow'))) return `${pkg}: loaded, but TensorFlow failed to start`;
  return null;
}

function nativeThreads(): { threads: number; simd: boolean } {
  return { threads: os.availableParallelism(), simd: true };
}

async function startWasm(config: Required<BackendConfig>): Promise<RungResult> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return { ok: false, why: `wasm: tfjs-backend-wasm fails to load (${firstLine(err)})` };
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  let threadsNote = '';
  if (config.wasmThreads > 1) {
    const files = threadedWasmFiles();
    const unavailable = threadedWasmUnavailable(files, simd);
    if (unavailable != null) {
      threadsNote = `; one thread, as the threaded build cannot run here: ${unavailable}`;
    } else {
      const failed = await startThreadedWasm(config.wasmThreads, files, wasm.setThreadsCount);
      if (failed != null) threadsNote = `; one thread, as the threaded build ${failed}`;
    }
  }
  // Unless the threaded start succeeded: the single-threaded build (SIMD when the runtime has it).
  if (tf.getBackend() !== 'wasm') {
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return { ok: false, why: 'wasm: the backend failed to start' };
  }
  installWasmGradients();
  installWasmIdentity();
  const threads = wasm.getThreadsCount();
  const why = `wasm: ${threads} thread(s)${simd ? ', SIMD' : ', no SIMD'}, with training gradient fixes${threadsNote}`;
  return { ok: true, why, threads, simd };
}

async function startCpu(): Promise<RungResult> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (err) {
    return { ok: false, why: `cpu: tfjs-backend-cpu fails to load (${firstLine(err)})` };
  }
  if (!(await tf.setBackend('cpu'))) return { ok: false, why: 'cpu: the backend failed to start' };
  return { ok: true, why: 'cpu: plain JavaScript kernels, the slowest', threads: 1, simd: false };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
}
