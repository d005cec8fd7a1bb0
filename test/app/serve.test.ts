import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connectAttune } from '../../src-main/app/web-client.js';
import { saveTinyModel } from './app-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-serve-'));
  await saveTinyModel(join(dir, 'model'), 1);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A server process with its output collected as it comes, and its exit. */
function serving(command: string[]) {
  const child = spawn(process.execPath, command, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

/** The engine processes a server started. */
function enginesOf(pid: number): number[] {
  return execFileSync('pgrep', ['-P', String(pid), '-f', 'engine-process'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
}

describe('npm start / attune serve', () => {
  it('starts the browser shell when Electron cannot run, serves the app, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    const { child, out, exited } = serving([
      'scripts/start.mjs',
      ...['--model', join(dir, 'model'), '--data', dataDir, '--backend', 'wasm', '--no-open'],
    ]);
    try {
      await expect
        .poll(() => /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(out.stdout), {
          timeout: 45_000,
          interval: 200,
        })
        .not.toBeNull();
      // One line says why there is no window.
      expect(out.stderr.split('\n')[0]).toMatch(/^.+; starting the browser shell instead$/);
      const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(out.stdout)![0]);
      const token = url.hash.slice('#token='.length);

      const page = await fetch(url.origin + '/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://${url.host}`);
      const api = await connectAttune(url.href, token, {
        createSocket: (u) => new WebSocket(u, { origin: url.origin }),
      });
      const info = await api.call('system.info', {});
      expect(info).toMatchObject({ dataDir, model: { dir: join(dir, 'model') }, backend: { name: 'wasm' } });

      // The engine runs in a child process of the server; stopping the server ends it too.
      const engines = enginesOf(child.pid!);
      expect(engines).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.stderr).toContain('Attune stopped');
      for (const pid of engines) expect(alive(pid), `process ${pid}`).toBe(false);
      expect(existsSync(join(dataDir, 'attune.db'))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it.each(['SIGINT', 'SIGHUP'] as const)(
    'stops cleanly on %s too (Ctrl-C, a closed terminal), storing what it has and ending its engine',
    async (signal) => {
      const dataDir = join(dir, `data-${signal}`);
      const { child, out, exited } = serving([
        ...['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--model', join(dir, 'model')],
        ...['--data', dataDir, '--backend', 'wasm', '--no-open'],
      ]);
      try {
        await expect.poll(() => /#token=/.test(out.stdout), { timeout: 45_000, interval: 200 }).toBe(true);
        const engines = enginesOf(child.pid!);
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(out.stderr).toContain(`${signal}: stopping Attune`);
        expect(out.stderr).toContain('Attune stopped');
        for (const pid of engines) expect(alive(pid), `engine ${pid}`).toBe(false);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );

  it('refuses a bad --port before loading anything', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['scripts/start.mjs', '--port', '70000', '--data', join(dir, 'unused'), '--no-open'],
        { cwd: root },
        (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('attune: --port must be a whole number from 0 to 65535, got "70000"');
    expect(existsSync(join(dir, 'unused'))).toBe(false);
  });
});
