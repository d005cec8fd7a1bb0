import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeatureStats } from '../model/acoustic.js';
import type { AcousticConfig } from '../model/config.js';
import type { Shard, ShardResult } from '../model/shard-gradients.js';

/**
 * Training threads beside the main one. On the wasm backend one op runs on one core for most kernels
 * (only matMul and convolutions use the wasm thread pool, whose threads spin-wait), so the training loop
 * gets more from whole copies of the model, each on one core computing the gradients of its share of the
 * batch, than from splitting every op. Measured on 2 cores, models/base's architecture, 16 × 4 s per
 * step: one process with 2 wasm threads 0.98 s/step; two single-threaded copies of 8 utterances each
 * 0.66 s (1.5×). Each share also fits a core's cache better than the whole batch does.
 *
 * The main thread keeps the model and the optimizer: every step it sends the trained weights and one
 * shard to each worker, computes its own shard, and combines the gradients (see train.ts).
 */
export interface ShardWorkerInit {
  /** The main thread's backend; each worker starts the same one with a single thread. */
  backend: 'wasm' | 'cpu';
  acoustic: AcousticConfig;
  stats: FeatureStats;
  /** Every parameter of the model. */
  weights: Map<string, Float32Array>;
  /** Names of the trained parameters, in the order weights and gradients travel. */
  trained: string[];
  /** Class id of the CTC blank. */
  blank: number;
}

/** Each thread holds its own copy of the model and its activations: memory grows with the count. */
const MAX_DEFAULT_THREADS = 4;

/** Training threads when none are asked for: one per core, up to four. */
export function defaultTrainingThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS));
}

/**
 * Training threads that run on `backend` when `asked` for: native TensorFlow spreads every op over the
 * cores itself and trains on one; the wasm and cpu backends run one copy of the model per thread.
 */
export function trainingThreads(backend: string, asked: number): number {
  return backend === 'wasm' || backend === 'cpu' ? Math.max(1, Math.floor(asked)) : 1;
}

export type ShardWorkerRequest =
  ({ type: 'init' } & ShardWorkerInit) | { type: 'shard'; id: number; weights: Float32Array[]; shard: Shard };

export type ShardWorkerReply =
  | { type: 'ready' }
  | ({ type: 'result'; id: number } & ShardResult<Float32Array>)
  | { type: 'error'; message: string };

interface Pending {
  resolve: (r: ShardResult<Float32Array>) => void;
  reject: (e: Error) => void;
}

/** A worker thread running `entry`; a TypeScript entry (running from source) gets tsx's loader first. */
export function startThread(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  // Node 20 does not carry the parent's module hooks into a worker: register tsx inside it.
  const api = tsxEsmApi();
  const code =
    `import(${JSON.stringify(api)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true });
}

/** URL of tsx's ESM API (its `import` export, which createRequire's resolution would not pick). */
function tsxEsmApi(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api'].import.default)).href;
}

const WORKER_ENTRY = new URL(
  `./shard-worker.${fileURLToPath(import.meta.url).endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

export class ShardWorkers {
  private nextId = 0;
  private readonly pending: Map<number, Pending>[];
  private failure: Error | null = null;

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => new Map());
    workers.forEach((w, k) => {
      w.on('message', (msg: ShardWorkerReply) => {
        if (msg.type === 'result') {
          const p = this.pending[k].get(msg.id);
          this.pending[k].delete(msg.id);
          p?.resolve({ loss: msg.loss, infeasible: msg.infeasible, grads: msg.grads });
        } else if (msg.type === 'error') this.fail(k, msg.message);
      });
      w.on('error', (err) => this.fail(k, err.message));
      w.on('exit', (code) => this.fail(k, `exited with code ${code}`));
    });
  }

  /** Starts `count` workers and waits until each holds the model. */
  static async start(count: number, init: ShardWorkerInit): Promise<ShardWorkers> {
    const workers = Array.from({ length: count }, () => startThread(WORKER_ENTRY));
    const pool = new ShardWorkers(workers);
    try {
      await Promise.all(
        workers.map(
          (w, k) =>
            new Promise<void>((resolve, reject) => {
              const onReply = (msg: ShardWorkerReply) => {
                if (msg.type === 'ready') resolve();
                else if (msg.type === 'error') reject(new Error(`training thread ${k + 1}: ${msg.message}`));
                else return;
                w.off('message', onReply);
                w.off('exit', onExit);
              };
              const onExit = (code: number) =>
                reject(new Error(`training thread ${k + 1} exited with code ${code} while starting`));
              w.on('message', onReply);
              w.on('exit', onExit);
              w.postMessage({ type: 'init', ...init } satisfies ShardWorkerRequest);
            }),
        ),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Worker k computes `shard`'s gradients at `weights` (the trained parameters, in init order). */
  compute(k: number, weights: Float32Array[], shard: Shard): Promise<ShardResult<Float32Array>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending[k].set(id, { resolve, reject });
      this.workers[k].postMessage({ type: 'shard', id, weights, shard } satisfies ShardWorkerRequest);
    });
  }

  /** Stops every worker; safe to call twice. */
  async close(): Promise<void> {
    this.failure ??= new Error('training threads were closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(k: number, message: string): void {
    if (this.failure) return; // closing, or already failed: the first cause is the one reported
    this.failure = new Error(`training thread ${k + 1} failed: ${message}`);
    for (const pending of this.pending) {
      for (const p of pending.values()) p.reject(this.failure);
      pending.clear();
    }
  }
}
