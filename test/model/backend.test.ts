// The backend ladder. Each start runs in a fresh child process, since a process starts one backend for good.
import os from 'node:os';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  describeBackend,
  initBackend,
  resolveBackendConfig,
  type BackendInfo,
} from '../../src-main/model/backend.js';
import { runProbe } from './run-probe.js';

const LADDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function rung(info: BackendInfo, backend: string): BackendInfo['reasons'][number] {
  const found = info.reasons.find((r) => r.backend === backend);
  if (found == null) throw new Error(`no rung ${backend} in ${JSON.stringify(info.reasons)}`);
  return found;
}

describe('resolveBackendConfig', () => {
  it('defaults to the ladder and one wasm thread fewer than the cores, between 1 and 4', () => {
    const { prefer, wasmThreads } = resolveBackendConfig({}, {});
    expect(prefer).toBe('auto');
    expect(wasmThreads).toBeGreaterThanOrEqual(1);
    expect(wasmThreads).toBeLessThanOrEqual(4);
    expect(wasmThreads).toBe(Math.max(1, Math.min(os.availableParallelism() - 1, 4)));
  });

  it('reads ATTUNE_BACKEND and ATTUNE_WASM_THREADS, and explicit config wins over both', () => {
    const env = { ATTUNE_BACKEND: 'cpu', ATTUNE_WASM_THREADS: '3' };
    expect(resolveBackendConfig({}, env)).toEqual({ prefer: 'cpu', wasmThreads: 3 });
    // 'auto' (a command line's default) leaves the choice to the environment.
    expect(resolveBackendConfig({ prefer: 'auto' }, env)).toEqual({ prefer: 'cpu', wasmThreads: 3 });
    expect(resolveBackendConfig({ prefer: 'wasm', wasmThreads: 1 }, env)).toEqual({
      prefer: 'wasm',
      wasmThreads: 1,
    });
  });

  it('names the bad setting', () => {
    expect(() => resolveBackendConfig({}, { ATTUNE_BACKEND: 'tpu' })).toThrow(/ATTUNE_BACKEND='tpu'/);
    expect(() => resolveBackendConfig({}, { ATTUNE_WASM_THREADS: 'two' })).toThrow(
      /ATTUNE_WASM_THREADS='two'/,
    );
    expect(() => resolveBackendConfig({ wasmThreads: 0 }, {})).toThrow(/wasmThreads/);
  });
});

describe('describeBackend', () => {
  it('shows the running backend and every rung with its reason', () => {
    const info: BackendInfo = {
      name: 'wasm',
      threads: 2,
      simd: true,
      reasons: [
        { backend: 'tensorflow-gpu', ok: false, why: 'tfjs-node-gpu: not installed' },
        { backend: 'tensorflow', ok: false, why: 'tfjs-node: not installed' },
        { backend: 'wasm', ok: true, why: 'wasm: 2 thread(s), SIMD' },
        { backend: 'cpu', ok: false, why: 'not tried: wasm runs' },
      ],
    };
    const lines = describeBackend(info).split('\n');
    expect(lines[0]).toBe('TensorFlow.js backend: wasm (2 thread(s), SIMD)');
    expect(lines).toHaveLength(5);
    info.reasons.forEach((r, i) => {
      expect(lines[i + 1]).toContain(r.why);
      expect(lines[i + 1]).toContain(r.backend);
      expect(lines[i + 1].trimStart().startsWith(r.ok ? '✓' : '✗')).toBe(true);
    });
  });
});

describe('initBackend in a fresh process', () => {
  it('auto walks the ladder and explains each rung that does not run', async () => {
    const { result } = await runProbe({});
    expect(result.error).toBeUndefined();
    const info = result.info!;
    expect(info.reasons.map((r) => r.backend)).toEqual(LADDER);
    expect(info.reasons.filter((r) => r.ok).map((r) => r.backend)).toEqual([info.name]);
    if (!installed('@tensorflow/tfjs-node-gpu')) {
      expect(rung(info, 'tensorflow-gpu').why).toBe(
        'tfjs-node-gpu: not installed (optional dependency; needs CUDA 11.2 + cuDNN 8.1)',
      );
    }
    if (!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu')) {
      expect(rung(info, 'tensorflow').why).toMatch(/^tfjs-node: not installed/);
      expect(info.name).toBe('wasm');
      expect(info.simd).toBe(true);
      expect(rung(info, 'cpu').why).toBe('not tried: wasm runs');
    }
    // Every process gets every core gradient, Prod's included.
    expect(result.prodGradient).toBe(true);
    expect(result.gradients!.failed.every((f) => f.startsWith('Prod_grad.js'))).toBe(true);
    expect(describeBackend(info)).toContain(`TensorFlow.js backend: ${info.name}`);
  });

  it('ATTUNE_BACKEND forces a rung and the others are not tried', async () => {
    const { result } = await runProbe({}, { env: { ATTUNE_BACKEND: 'cpu' } });
    const info = result.info!;
    expect(info).toMatchObject({ name: 'cpu', threads: 1, simd: false });
    for (const other of ['tensorflow-gpu', 'tensorflow', 'wasm']) {
      expect(rung(info, other)).toEqual({ backend: other, ok: false, why: "not tried: 'cpu' was asked for" });
    }
  });

  it('config.prefer wins over ATTUNE_BACKEND', async () => {
    const { result } = await runProbe({ config: { prefer: 'cpu' } }, { env: { ATTUNE_BACKEND: 'wasm' } });
    expect(result.info!.name).toBe('cpu');
  });

  it('a forced backend that cannot start fails with the reason, naming the setting', async () => {
    if (installed('@tensorflow/tfjs-node-gpu')) return;
    const { result } = await runProbe({}, { env: { ATTUNE_BACKEND: 'gpu' } });
    expect(result.info).toBeUndefined();
    expect(result.error).toContain("No TensorFlow.js backend could start (asked for 'gpu')");
    expect(result.error).toContain('tfjs-node-gpu: not installed');
  });

  it('an unknown ATTUNE_BACKEND is an error that names it', async () => {
    const { result } = await runProbe({}, { env: { ATTUNE_BACKEND: 'quantum' } });
    expect(result.error).toMatch(/ATTUNE_BACKEND='quantum' is not one of webgpu, gpu, node, wasm, cpu, auto/);
  });
});

describe('initBackend in this process', () => {
  it('starts once: concurrent and later calls get the first result, whatever they ask', async () => {
    const [first, concurrent] = await Promise.all([
      initBackend({ prefer: 'cpu' }),
      initBackend({ prefer: 'wasm' }),
    ]);
    expect(concurrent).toBe(first);
    expect(await initBackend({ prefer: 'wasm' })).toBe(first);
    expect(first.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
