// The main-side build (scripts/build-main.mjs): what Electron would load must run on plain Node, without the
// TypeScript loader used in development. The compiled CLI, the compiled app with its engine process, tfjs
// gradients in the compiled code, and the bundled preload are each exercised. Electron itself cannot run
// here; the preload gets a stand-in for its two Electron objects, and nothing else.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAttune } from '../../src-main/app/web-client.js';
import { saveTinyModel } from '../app/app-helpers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const built = (p: string) => join(root, 'dist', 'src-main', p);
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-build-'));
  await run(process.execPath, ['scripts/build-main.mjs'], { cwd: root });
  await saveTinyModel(join(dir, 'model'), 1);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/build-main.mjs', () => {
  it('compiles the CLI so plain Node runs it', async () => {
    const { stdout } = await run(
      process.execPath,
      [built('cli/main.js'), 'info', '--model', join(dir, 'model')],
      {
        cwd: tmpdir(), // shipped files are found from the package, not the working folder
      },
    );
    expect(stdout).toMatch(/TensorFlow\.js backend: wasm/);
    expect(stdout).toContain(join(dir, 'model'));
  });

  it('gives the compiled code tfjs gradients, equal to the reference backend’s', async () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import { initBackend } from ${JSON.stringify(built('model/backend.js'))};
      import { registerCoreGradients } from ${JSON.stringify(built('model/core-gradients.js'))};
      const grads = () => {
        const x = tf.tensor4d([...Array(2 * 7 * 3 * 4).keys()].map((i) => Math.sin(i)), [2, 7, 3, 4]);
        const w = tf.tensor4d([...Array(3 * 1 * 4 * 5).keys()].map((i) => Math.cos(i)), [3, 1, 4, 5]);
        const g = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same'))))([x, w]);
        return g.map((t) => Array.from(t.dataSync()));
      };
      await initBackend({ prefer: 'wasm' });
      const via = (await registerCoreGradients()).via;
      const wasm = grads();
      await tf.setBackend('cpu');
      const cpu = grads();
      let worst = 0;
      wasm.forEach((g, k) => g.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - cpu[k][i]) / (1 + Math.abs(cpu[k][i]))))));
      console.log(JSON.stringify({ via, backend: 'wasm', worst }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { via: string; worst: number };
    expect(r.via).toBe('built');
    expect(r.worst).toBeLessThan(1e-4);
  });

  it('runs the compiled app, its engine process from compiled JavaScript', async () => {
    const server = spawn(
      process.execPath,
      [built('cli/main.js'), 'serve', '--model', join(dir, 'model'), '--data', join(dir, 'data')].concat([
        '--backend',
        'wasm',
        '--no-open',
      ]),
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    server.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const link = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/;
      await expect.poll(() => link.exec(stdout), { timeout: 45_000, interval: 200 }).not.toBeNull();
      const url = new URL(link.exec(stdout)![0]);
      const api = await connectAttune(url.href, url.hash.slice('#token='.length), {
        createSocket: (u) => new WebSocket(u, { origin: url.origin }),
      });
      expect(await api.call('system.info', {})).toMatchObject({ backend: { name: 'wasm' } });
      const engine = execFileSync('pgrep', ['-a', '-P', String(server.pid)], { encoding: 'utf8' });
      expect(engine).toContain(built('engine/engine-process.js'));
      expect(engine).not.toContain('tsx');
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });

  it('starts the compiled trainer process from compiled JavaScript', async () => {
    // The app's trainer client, compiled, starts its process entry the way the app does (Node's fork
    // outside Electron); a job folder without a job gets the trainer's own answer after its backend is up.
    const script = `
      import { TrainerRun, trainerEntry } from ${JSON.stringify(built('personal/trainer-client.js'))};
      const run = TrainerRun.start(${JSON.stringify(join(dir, 'no-job'))}, { backend: 'wasm' });
      const events = [];
      run.on('started', (s) => events.push(['started', s.backend]));
      run.on('error', (m) => events.push(['error', m]));
      run.on('exit', (code) => {
        events.push(['exit', code]);
        console.log(JSON.stringify({ entry: trainerEntry(), pid: run.pid, events }));
      });
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir() });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      entry: string;
      pid: number;
      events: unknown[];
    };
    expect(r.entry).toBe(built('personal/trainer-process.js'));
    expect(r.pid).toBeGreaterThan(0);
    expect(r.events).toEqual([
      ['started', 'wasm'],
      ['error', `no training job in ${join(dir, 'no-job')}`],
      ['exit', 1],
    ]);
  });

  it('bundles the preload into one file that needs nothing but electron', async () => {
    const code = readFileSync(built('app/preload.cjs'), 'utf8');
    expect([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);

    // Electron's two objects, as far as the preload uses them.
    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (exposed[name] = api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return args[1] === 'system.info'
            ? { ok: true, result: { version: '1' } }
            : { ok: false, error: { code: 'NOT_FOUND', message: 'session 9 does not exist' } };
        },
        on: () => {},
        removeListener: () => {},
      },
    };
    const module = { exports: {} };
    runInNewContext(code, {
      require: (m: string) => (m === 'electron' ? electron : undefined),
      module,
      exports: module.exports,
    });
    const api = exposed.attune as {
      call(m: string, a: unknown): Promise<unknown>;
      on(e: string, l: () => void): () => void;
    };
    expect(Object.keys(api).sort()).toEqual(['call', 'on']);
    expect(await api.call('system.info', {})).toEqual({ version: '1' });
    await expect(api.call('sessions.get', { id: 9 })).rejects.toMatchObject({
      message: 'session 9 does not exist',
      code: 'NOT_FOUND',
    });
    await expect(api.call('shell.openExternal', {})).rejects.toThrow('unknown method shell.openExternal');
    expect(() => api.on('ipc.raw', () => {})).toThrow('unknown event ipc.raw');
    expect(invoked.map((a) => a.slice(0, 2))).toEqual([
      ['attune:call', 'system.info'],
      ['attune:call', 'sessions.get'],
    ]);
  });
});
