import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { HostLauncher, LaunchedHost } from './host-server.js';

export interface ChromiumConfig {
  /** The browser to run. Default: $ATTUNE_CHROMIUM, else the first of CHROMIUM_PATHS that exists. */
  executable?: string;
  /** More command-line switches (tests add SwiftShader's). */
  extraArgs?: string[]; // []
}

/** Where Chromium and Chrome install on Linux, most specific first. */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/snap/bin/chromium',
];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.ATTUNE_CHROMIUM) return existsSync(env.ATTUNE_CHROMIUM) ? env.ATTUNE_CHROMIUM : null;
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

/**
 * Runs the compute host page in headless Chromium, for `attune` outside Electron (the desktop app uses a
 * hidden window instead). WebGPU needs two switches on Linux: it is still behind a flag there, and it runs
 * on Vulkan. The profile is a fresh folder, removed when the browser exits.
 */
export function chromiumLauncher(config: ChromiumConfig = {}): HostLauncher {
  return async (url: string): Promise<LaunchedHost> => {
    const executable = config.executable ?? findChromium();
    if (executable == null)
      throw new Error(
        `no Chromium or Chrome found (looked for ${CHROMIUM_PATHS.join(', ')}; or set ATTUNE_CHROMIUM)`,
      );
    const profile = mkdtempSync(join(os.tmpdir(), 'attune-host-'));
    const args = [
      '--headless=new',
      '--no-first-run',
      '--no-default-browser-check',
      // A closed network answers every background fetch with an error; there is nothing to fetch anyway.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      `--user-data-dir=${profile}`,
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      // Chromium refuses to start its sandbox as root.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ...(config.extraArgs ?? []),
      url,
    ];
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const exited = new Promise<string>((resolve) => {
      const done = (why: string) => {
        rmSync(profile, { recursive: true, force: true });
        resolve(why);
      };
      child.on('error', (err) => done(`${executable} failed to start: ${err.message}`));
      child.on('exit', (code, signal) =>
        done(`${executable} exited (${signal ?? `code ${code}`})${lastLine(stderr)}`),
      );
    });
    return {
      exited,
      close: async () => {
        if (child.exitCode == null && child.signalCode == null) child.kill('SIGTERM');
        await exited;
      },
    };
  };
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.length > 0 ? `: ${lines[lines.length - 1].trim()}` : '';
}
