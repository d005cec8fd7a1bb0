import {
  type ComputeBackend,
  describeComputeBackend,
  startComputeBackend,
} from '../../compute/compute-backend.js';
import { trainingThreads } from '../../training/shard-workers.js';

/** The --backend help of the commands that train: they reach for a GPU through WebGPU first. */
export const TRAINING_BACKEND_HELP =
  'compute backend: auto (WebGPU when a GPU is found), webgpu, gpu, node, wasm, cpu';

/**
 * Starts the backend a training command computes on (WebGPU through the compute host when a GPU is found,
 * else this process's ladder), says which on stderr, runs `work`, and closes the host whatever happens.
 */
export async function withTrainingBackend<T>(
  prefer: string,
  threads: number,
  quiet: boolean,
  work: (backend: ComputeBackend) => Promise<T>,
): Promise<T> {
  const backend = await startComputeBackend({
    prefer: prefer as 'auto',
    // Threads share the batch, not each op: each runs a single-threaded backend.
    wasmThreads: threads > 1 ? 1 : undefined,
    autoWebGpu: true,
  });
  try {
    if (!quiet) process.stderr.write(backendLine(backend, threads) + '\n');
    return await work(backend);
  } finally {
    await backend.host?.close();
  }
}

function backendLine(b: ComputeBackend, threads: number): string {
  if (b.host) return describeComputeBackend(b).split('\n')[0];
  const shared = trainingThreads(b.local.name, threads);
  const t = b.local.threads;
  return `backend: ${b.local.name} (${shared > 1 ? `${shared} training threads` : `${t} thread${t === 1 ? '' : 's'}`})`;
}
