// Child-process probe for the backend tests: starts a backend in a fresh process (the wasm thread count is
// fixed once per process), optionally computes a matMul and a depthwise conv on it, and prints one JSON line.
// Usage: node --import tsx test/model/backend-probe.ts '{"config":{...},"compute":true}'
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { initBackend, type BackendConfig, type BackendInfo } from '../../src-main/model/backend.js';
import { registerCoreGradients, type CoreGradients } from '../../src-main/model/core-gradients.js';
import { lcgValues } from './lcg.js';

export interface ProbeRequest {
  config?: BackendConfig;
  /** Remove the SharedArrayBuffer global first, as in a runtime without cross-origin isolation. */
  withoutSharedArrayBuffer?: boolean;
  /** Also run the matMul and depthwise workloads and report their exact bytes' digests. */
  compute?: boolean;
}

export interface ProbeOutput {
  sha256: string;
  /** Largest |difference| from the cpu backend's result for the same inputs. */
  maxAbsDiffFromCpu: number;
}

export interface ProbeResult {
  info?: BackendInfo;
  error?: string;
  gradients?: CoreGradients;
  prodGradient?: boolean;
  matMul?: ProbeOutput;
  depthwise?: ProbeOutput;
}

// Big enough that XNNPACK splits the work across threads.
const MATMUL = { m: 256, k: 384, n: 320 };
const DEPTHWISE = { batch: 2, time: 1500, channels: 192, kernel: 15, dilation: 2 };

function workloads(): { matMul: () => tf.Tensor; depthwise: () => tf.Tensor } {
  return {
    matMul: () =>
      tf.matMul(
        tf.tensor2d(lcgValues(MATMUL.m * MATMUL.k, 1), [MATMUL.m, MATMUL.k]),
        tf.tensor2d(lcgValues(MATMUL.k * MATMUL.n, 2), [MATMUL.k, MATMUL.n]),
      ),
    depthwise: () => {
      const { batch, time, channels, kernel, dilation } = DEPTHWISE;
      const x = tf.tensor4d(lcgValues(batch * time * channels, 3), [batch, 1, time, channels]); // [B, 1, T, C]
      const w = tf.tensor4d(lcgValues(kernel * channels, 4), [1, kernel, channels, 1]); // [1, k, C, 1]
      return tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', [1, dilation]);
    },
  };
}

async function measure(run: () => tf.Tensor, backend: string): Promise<ProbeOutput> {
  const values = tf.tidy(run).dataSync() as Float32Array;
  await tf.setBackend('cpu');
  const reference = tf.tidy(run).dataSync() as Float32Array;
  await tf.setBackend(backend);
  let maxAbsDiffFromCpu = 0;
  for (let i = 0; i < values.length; i++) {
    maxAbsDiffFromCpu = Math.max(maxAbsDiffFromCpu, Math.abs(values[i] - reference[i]));
  }
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), maxAbsDiffFromCpu };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as ProbeRequest;
  const result: ProbeResult = {};
  if (request.withoutSharedArrayBuffer)
    delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
  try {
    result.info = await initBackend(request.config);
    result.gradients = await registerCoreGradients();
    result.prodGradient = tf.getGradient('Prod') != null;
    if (request.compute) {
      await import('@tensorflow/tfjs-backend-cpu');
      const backend = tf.getBackend();
      const { matMul, depthwise } = workloads();
      result.matMul = await measure(matMul, backend);
      result.depthwise = await measure(depthwise, backend);
    }
  } catch (err) {
    result.error = (err as Error).message;
  }
  // No process.exit(): the process must end by itself, which it only does when no worker pins it.
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
