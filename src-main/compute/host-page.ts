// The compute host's page: runs in a hidden Electron window or headless Chromium, loaded from the
// loopback server of the process that drives it (host-server.ts), and answers its requests over one
// WebSocket. Bundled for the browser by host-bundle.ts; nothing here runs in Node.
import * as tf from '@tensorflow/tfjs-core';
// @ts-expect-error: a side-effect module of tfjs-core's ES build, without type declarations.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { prodGradConfig } from '../model/prod-gradient.js';
import type { AdapterInfo, HostHello, HostReplyHeader, HostRequestHeader } from './contract.js';
import { ComputeHostHandler } from './host-handler.js';
import { decodeWire, encodeWire } from './wire.js';

// The few browser APIs this page uses, typed here: the main process's TypeScript has no DOM library.
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface PageSocket {
  binaryType: string;
  onopen: (() => void) | null;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null;
  onclose: (() => void) | null;
  send(data: Uint8Array): void;
}
interface Page {
  navigator: { gpu?: GpuLike; userAgent: string };
  location: { hash: string; host: string };
  WebSocket: new (url: string) => PageSocket;
  close(): void;
}
const page = globalThis as unknown as Page;

/** Set once the device tfjs computes on is lost: every later failure is reported as a lost device. */
let deviceLost = false;

async function probeAdapter(): Promise<AdapterInfo | null> {
  const gpu = page.navigator.gpu;
  if (!gpu) return null;
  // The same preference tfjs-backend-webgpu asks for, so this is the adapter it will compute on.
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    description: info.description ?? '',
    software:
      info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || architecture === 'swiftshader',
  };
}

interface DeviceLike {
  lost?: Promise<unknown>;
  destroy(): void;
  createBuffer(descriptor: { size: number; usage: number }): unknown;
  limits: { maxBufferSize: number };
  addEventListener?(type: 'uncapturederror', listener: (e: { error?: { message?: string } }) => void): void;
}

/**
 * A GPU error nobody caught (out of memory above all): tfjs does not watch for them, and the work it spoils
 * would come back as wrong numbers, so the request it happened in fails instead, and the job moves on.
 */
let gpuError: string | null = null;

function webGpuDevice(): DeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: DeviceLike }).device ?? null;
}

function watchDevice(): void {
  const device = webGpuDevice();
  void device?.lost?.then(() => (deviceLost = true));
  device?.addEventListener?.(
    'uncapturederror',
    (e) => (gpuError ??= e.error?.message ?? 'unknown GPU error'),
  );
}

/** GPUBufferUsage.STORAGE. */
const STORAGE_USAGE = 0x80;

function drill(fault: 'deviceLost' | 'gpuError'): void {
  const device = webGpuDevice();
  if (!device) throw new Error('the webgpu backend is not running');
  if (fault === 'deviceLost') device.destroy();
  // A buffer larger than the device allows: an error outside any error scope, reported as out of memory is.
  else device.createBuffer({ size: device.limits.maxBufferSize * 2, usage: STORAGE_USAGE });
}

function connect(): void {
  const token = new URLSearchParams(page.location.hash.slice(1)).get('token') ?? '';
  const socket = new page.WebSocket(`ws://${page.location.host}/host?token=${encodeURIComponent(token)}`);
  socket.binaryType = 'arraybuffer';
  const handler = new ComputeHostHandler({ probeAdapter, drill });
  // One request at a time, in order: the model and its streams are shared state.
  let queue = Promise.resolve();
  socket.onopen = () => {
    const hello: HostHello = { hello: 'attune-compute-host', userAgent: page.navigator.userAgent };
    socket.send(encodeWire(hello));
  };
  socket.onmessage = (event) => {
    queue = queue.then(async () => {
      let id = -1;
      try {
        const { header, arrays } = decodeWire<HostRequestHeader>(new Uint8Array(event.data));
        id = header.id;
        // A lost device answers nothing again (a later read could wait forever): fail at once.
        if (deviceLost) throw new Error('the GPU device was lost');
        const out = await handler.handle(header, arrays);
        if (header.op === 'start') watchDevice();
        if (gpuError != null) {
          // The device is not to be trusted after this: every later request fails too.
          deviceLost = true;
          throw new Error(`the GPU reported an error: ${gpuError}`);
        }
        const ok: HostReplyHeader = { id, ok: true, ...out.fields };
        socket.send(encodeWire(ok, out.arrays));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const failed: HostReplyHeader = { id, ok: false, error: message, deviceLost };
        socket.send(encodeWire(failed));
      }
    });
  };
  // The driving process is gone: so is the reason for this page.
  socket.onclose = () => page.close();
}

tf.registerGradient(prodGradConfig);
connect();
