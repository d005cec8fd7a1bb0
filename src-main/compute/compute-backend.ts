import { readdirSync } from 'node:fs';
import {
  type BackendConfig,
  type BackendInfo,
  type BackendRung,
  describeBackend,
  initBackend,
  resolveBackendConfig,
} from '../model/backend.js';
import { chromiumLauncher } from './chromium-launcher.js';
import { ComputeHost, type HostLauncher } from './host-server.js';

export interface ComputeBackendConfig extends BackendConfig {
  /** Opens the host page: headless Chromium by default; the desktop app passes a hidden window. */
  launcher?: HostLauncher;
  /**
   * Whether 'auto' tries WebGPU. Training asks for it: a step is large, and a GPU runs it many times faster.
   * Recognition does not: the model streams in real time on one CPU core (RTF ≈ 0.03), and a GPU would add a
   * round trip to every 160 ms chunk. `--backend webgpu` (or ATTUNE_BACKEND=webgpu) uses it for either.
   */
  autoWebGpu?: boolean; // false
  /** GPU device nodes on Linux (a quick check before a browser is started). Default: /dev/dri/renderD*. */
  renderNodes?: () => string[];
}

/** Where the model computes, and the whole ladder with a reason for every rung. */
export interface ComputeBackend {
  /** 'webgpu' when the compute host runs the model, else the local backend's name. */
  name: string;
  /** The host computing on the GPU, or null. */
  host: ComputeHost | null;
  /** This process's own backend: the model when there is no host; the optimizer and decoding always. */
  local: BackendInfo;
  /** WebGPU first, then the local ladder. */
  reasons: BackendRung[];
}

/**
 * The backend ladder, GPU first: WebGPU through the compute host (any GPU with a Vulkan, Metal or D3D12
 * driver) → tfjs-node-gpu (CUDA 11.2) → tfjs-node → wasm → cpu. A software WebGPU adapter (SwiftShader,
 * a CPU emulation) is used only when WebGPU is asked for by name: on the CPU the wasm backend is faster.
 * An explicit 'webgpu' that cannot start is an error; 'auto' moves on with the reason recorded.
 */
export async function startComputeBackend(config: ComputeBackendConfig = {}): Promise<ComputeBackend> {
  const { prefer } = resolveBackendConfig(config);
  const local = await initBackend({ ...config, prefer });
  const rung = await webGpuRung(prefer, config);
  const reasons: BackendRung[] = [
    { backend: 'webgpu', ok: rung.host != null, why: rung.why },
    ...local.reasons.map((r) =>
      rung.host != null && r.ok
        ? { ...r, why: `${r.why} (the optimizer and decoding; WebGPU runs the model)` }
        : r,
    ),
  ];
  if (prefer === 'webgpu' && rung.host == null)
    throw new Error(`WebGPU was asked for and cannot run: ${rung.why}`);
  return { name: rung.host ? 'webgpu' : local.name, host: rung.host, local, reasons };
}

/** A few lines for `attune info`: where the model computes and why each other rung does not. */
export function describeComputeBackend(b: ComputeBackend): string {
  const local = describeBackend({ ...b.local, reasons: b.reasons });
  if (!b.host) return local;
  return [`Model computes on: WebGPU (${adapterName(b.host)})`, local].join('\n');
}

async function webGpuRung(
  prefer: string,
  config: ComputeBackendConfig,
): Promise<{ host: ComputeHost | null; why: string }> {
  if (prefer !== 'auto' && prefer !== 'webgpu')
    return { host: null, why: `not tried: '${prefer}' was asked for` };
  if (prefer === 'auto' && config.autoWebGpu !== true)
    return {
      host: null,
      why: 'not tried: recognition runs on the CPU unless WebGPU is asked for (--backend webgpu)',
    };
  if (prefer === 'auto' && process.platform === 'linux' && (config.renderNodes ?? renderNodes)().length === 0)
    return { host: null, why: 'webgpu: no GPU device (/dev/dri has no render node)' };
  let host: ComputeHost;
  try {
    host = await ComputeHost.open({ backend: 'webgpu', launcher: config.launcher ?? chromiumLauncher() });
  } catch (err) {
    return { host: null, why: `webgpu: ${(err as Error).message.split('\n')[0]}` };
  }
  if (host.started.adapter?.software && prefer === 'auto') {
    const name = adapterName(host);
    await host.close();
    return {
      host: null,
      why: `webgpu: only a software adapter (${name}, a CPU emulation, slower than the CPU backends); --backend webgpu uses it`,
    };
  }
  return { host, why: `webgpu: ${adapterName(host)}` };
}

function adapterName(host: ComputeHost): string {
  const a = host.started.adapter;
  if (!a) return 'no adapter';
  const parts = [a.vendor, a.architecture, a.description].filter((p) => p !== '');
  return `${parts.join(' ') || 'unnamed adapter'}${a.software ? ', software' : ''}`;
}

function renderNodes(): string[] {
  try {
    return readdirSync('/dev/dri').filter((f) => f.startsWith('renderD'));
  } catch {
    return [];
  }
}
