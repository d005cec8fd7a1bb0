// The threaded wasm build: its thread count is fixed when the backend starts, so each case runs in its own
// child process and the tests compare what the processes print.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { threadedWasmFiles, threadedWasmUnavailable } from '../../src-main/model/wasm-threads.js';
import type { ProbeResult } from './backend-probe.js';
import { runProbe, type ProbeRun } from './run-probe.js';

const EXIT_TIMEOUT_MS = 60_000;

let single: ProbeResult;
let threaded: ProbeRun;

beforeAll(async () => {
  // One after the other: the machine's cores are shared and the threaded run wants two of them.
  single = (await runProbe({ config: { prefer: 'wasm', wasmThreads: 1 }, compute: true })).result;
  threaded = await runProbe(
    { config: { prefer: 'wasm', wasmThreads: 2 }, compute: true },
    { timeoutMs: EXIT_TIMEOUT_MS },
  );
}, 4 * EXIT_TIMEOUT_MS);

describe('threaded wasm', () => {
  it('starts with the threads asked for', () => {
    expect(single.info).toMatchObject({ name: 'wasm', threads: 1 });
    expect(threaded.result.error).toBeUndefined();
    expect(threaded.result.info).toMatchObject({ name: 'wasm', threads: 2, simd: true });
    expect(threaded.result.info!.reasons.find((r) => r.ok)!.why).toMatch(/^wasm: 2 thread\(s\), SIMD/);
  });

  it('computes bit-identical matMul and depthwise results to one thread, and both match cpu', () => {
    for (const key of ['matMul', 'depthwise'] as const) {
      expect(threaded.result[key]!.sha256, key).toBe(single[key]!.sha256);
      expect(single[key]!.maxAbsDiffFromCpu, key).toBeLessThan(1e-3);
    }
  });

  it('lets the process exit by itself once the work is done', () => {
    // runProbe kills the child at the timeout and then fails; getting here means it exited on its own.
    expect(threaded.elapsedMs).toBeLessThan(EXIT_TIMEOUT_MS);
    expect(threaded.result.matMul).toBeDefined();
  });
});

describe('falling back to one thread', () => {
  it('when threads are turned off by ATTUNE_WASM_THREADS', async () => {
    const { result } = await runProbe(
      { config: { prefer: 'wasm' }, compute: true },
      { env: { ATTUNE_WASM_THREADS: '1' } },
    );
    expect(result.info).toMatchObject({ name: 'wasm', threads: 1 });
    expect(result.matMul!.sha256).toBe(single.matMul!.sha256);
  });

  it('when the runtime has no SharedArrayBuffer, saying why', async () => {
    const { result } = await runProbe({
      config: { prefer: 'wasm', wasmThreads: 2 },
      compute: true,
      withoutSharedArrayBuffer: true,
    });
    expect(result.info).toMatchObject({ name: 'wasm', threads: 1 });
    const why = result.info!.reasons.find((r) => r.ok)!.why;
    expect(why).toContain('one thread, as the threaded build cannot run here: no SharedArrayBuffer');
    expect(result.depthwise!.sha256).toBe(single.depthwise!.sha256);
  });
});

describe('threadedWasmUnavailable', () => {
  it('passes in this Node with the installed package', () => {
    expect(threadedWasmUnavailable(threadedWasmFiles(), true)).toBeNull();
  });

  it('names what is missing', () => {
    expect(threadedWasmUnavailable(threadedWasmFiles(), false)).toMatch(/SIMD/);
    const elsewhere = join('/nonexistent', 'tfjs-backend-wasm');
    expect(threadedWasmUnavailable(threadedWasmFiles(elsewhere), true)).toBe(
      `missing ${join(elsewhere, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js')}`,
    );
  });
});
