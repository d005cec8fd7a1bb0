// Starts tfjs-backend-wasm's threaded SIMD build under Node.
//
// The backend only enables threads in browsers. Its threaded build runs in Node given three runtime patches,
// applied here for the duration of the backend's start-up only:
//  1. Emscripten starts each pthread worker from a blob: URL, which Node's Worker rejects: hand it a real
//     file holding the package's worker script, told to load the standalone glue from disk instead of the
//     Blob the main thread posts it.
//  2. The backend caps its thread pool at half the logical CPUs: report at least twice the wanted count.
//  3. The multithread flag is forced on (its detector answers false for any Node process).
// After start-up every pthread worker is unref()'d, or their open handles keep the process alive forever.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

/** Files of tfjs-backend-wasm that the threaded start needs. */
export interface ThreadedWasmFiles {
  /** Emscripten's standalone glue, evaluated by each worker. */
  glue: string;
  /** The pthread worker script, exported as a string by the package. */
  worker: string;
  /** The threaded SIMD binary the backend itself loads. */
  wasm: string;
}

/** Locates the threaded build's files inside `packageDir` (default: the installed tfjs-backend-wasm). */
export function threadedWasmFiles(packageDir = wasmPackageDir()): ThreadedWasmFiles {
  return {
    glue: join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'),
    worker: join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'),
    wasm: join(packageDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm'),
  };
}

export function wasmPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Why the threaded build cannot start here, or null when every precondition holds. */
export function threadedWasmUnavailable(files: ThreadedWasmFiles, simd: boolean): string | null {
  if (!simd) return 'no WebAssembly SIMD (the threaded build needs it)';
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return 'no SharedArrayBuffer';
  try {
    // @types/node declares WebAssembly's types but not the global itself.
    const { WebAssembly: wasmApi } = globalThis as unknown as {
      WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown };
    };
    new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'no shared WebAssembly memory';
  }
  for (const path of Object.values(files)) if (!existsSync(path)) return `missing ${path}`;
  return null;
}

/** The few members of the Emscripten module this file touches. */
interface EmscriptenThreads {
  PThread?: {
    unusedWorkers: { unref(): void }[];
    runningWorkers: { unref(): void }[];
    allocateUnusedWorker: () => void;
  };
}

/** How long the threaded start may take before it is given up for a one-thread start. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts the wasm backend with `threads` threads (≥ 2); `setThreadsCount` is the package's own setter.
 * Returns null once it runs, or why it does not; the multithread flag and thread count are then reset so a
 * one-thread start can follow.
 */
export async function startThreadedWasm(
  threads: number,
  files: ThreadedWasmFiles,
  setThreadsCount: (n: number) => void,
): Promise<string | null> {
  let why: string | null;
  try {
    why = await startPatched(threads, writeWorkerScript(files), setThreadsCount);
  } catch (err) {
    why = `failed to start (${(err as Error).message.split('\n')[0]})`;
  }
  if (why != null) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    return why;
  }
  unrefWorkers((tf.backend() as unknown as { wasm: EmscriptenThreads }).wasm);
  return null;
}

async function startPatched(
  threads: number,
  workerPath: string,
  setThreadsCount: (n: number) => void,
): Promise<string | null> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  const patchableOs = os as { cpus: typeof os.cpus };
  const cpus = patchableOs.cpus;
  const reported = [...cpus()];
  const filler = reported[0] ?? { model: '', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
  while (reported.length < 2 * threads) reported.push(filler);
  // Only the worker script is ever handed to createObjectURL during start-up; anything else passes through.
  URL.createObjectURL = (obj: Parameters<typeof URL.createObjectURL>[0]) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? workerPath : createObjectURL(obj);
  patchableOs.cpus = () => reported;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A start that never settles would hang the app; tfjs-core ignores a start that settles after a newer one.
    const timedOut = new Promise<'timeout'>((done) => {
      timer = setTimeout(() => done('timeout'), START_TIMEOUT_MS);
    });
    const ok = await Promise.race([tf.setBackend('wasm'), timedOut]);
    if (ok === 'timeout') return `timed out after ${START_TIMEOUT_MS / 1000} s`;
    return ok ? null : 'failed to start';
  } finally {
    clearTimeout(timer);
    URL.createObjectURL = createObjectURL;
    patchableOs.cpus = cpus;
  }
}

function unrefWorkers(module: EmscriptenThreads): void {
  const pthreads = module.PThread;
  if (pthreads == null) return;
  for (const worker of [...pthreads.unusedWorkers, ...pthreads.runningWorkers]) worker.unref();
  // Workers made later (the pool grows when a kernel wants more threads than it holds) must not pin it either.
  const allocate = pthreads.allocateUnusedWorker.bind(pthreads);
  pthreads.allocateUnusedWorker = () => {
    allocate();
    pthreads.unusedWorkers[pthreads.unusedWorkers.length - 1]?.unref();
  };
}

/**
 * Writes the pthread worker script into a fresh private temp folder (mkdtemp makes it 0700, so no other user
 * can swap the script), removed when the process exits. Workers are all made during start-up, but the pool
 * may grow later, so the file stays until then.
 */
function writeWorkerScript(files: ThreadedWasmFiles): string {
  const { wasmWorkerContents } = createRequire(import.meta.url)(files.worker) as {
    wasmWorkerContents: string;
  };
  // The package's string holds an escaped line break as a real newline; tfjs escapes it back the same way.
  const loadGlueFromDisk = `;(() => {
  const onmessage = self.onmessage;
  self.onmessage = (e) => {
    if (e.data && e.data.cmd === 'load') e.data.urlOrBlob = ${JSON.stringify(files.glue)};
    return onmessage(e);
  };
})();
`;
  const dir = mkdtempSync(join(os.tmpdir(), 'attune-wasm-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pthread-worker.cjs');
  writeFileSync(path, wasmWorkerContents.replace(/\n/g, '\\n') + '\n' + loadGlueFromDisk);
  return path;
}
