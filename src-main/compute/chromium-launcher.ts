import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../process/process-alive.js';
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

/** Profiles are named after the process that started the browser, so a dead one's can be found. */
const PROFILE_PREFIX = 'attune-host-';

/**
 * Runs the compute host page in headless Chromium, for `attune` outside Electron (the desktop app uses a
 * hidden window instead). WebGPU needs two switches on Linux: it is still behind a flag there, and it runs
 * on Vulkan. The browser is tied to this process by its DevTools pipe: Chromium exits when the pipe's
 * other end closes, so it never outlives a killed trainer (with a plain launch it would run on, orphaned).
 * The profile is a fresh folder, removed when the browser exits; a killed process's is removed by the next.
 */
export function chromiumLauncher(config: ChromiumConfig = {}): HostLauncher {
  return async (url: string): Promise<LaunchedHost> => {
    const executable = config.executable ?? findChromium();
    const named = process.env.ATTUNE_CHROMIUM;
    if (executable == null)
      throw new Error(
        named
          ? `ATTUNE_CHROMIUM names ${named}, which does not exist`
          : `no Chromium or Chrome found (looked for ${CHROMIUM_PATHS.join(', ')}; or set ATTUNE_CHROMIUM)`,
      );
    removeDeadProfiles();
    const profile = mkdtempSync(join(os.tmpdir(), `${PROFILE_PREFIX}${process.pid}-`));
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
      '--remote-debugging-pipe',
      // Chromium refuses to start its sandbox as root.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ...(config.extraArgs ?? []),
      url,
    ];
    // fds 3 and 4: the DevTools pipe (nothing is sent on it; it only ties the browser's life to this one's).
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const exited = new Promise<string>((resolve) => {
      const done = (why: string) => {
        removeProfile(profile);
        resolve(why);
      };
      child.on('error', (err) => done(`${executable} failed to start: ${err.message}`));
      child.on('exit', (code, signal) =>
        done(`${executable} exited (${signal ?? `code ${code}`})${lastLine(stderr)}`),
      );
    });
    return {
      pid: child.pid,
      exited,
      close: async () => {
        // Killed, not asked: the throwaway profile holds nothing worth a graceful shutdown, which took 5 s
        // here (D-Bus calls timing out); its helper processes follow it within a second.
        if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL');
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

function removeDeadProfiles(): void {
  let names: string[];
  try {
    names = readdirSync(os.tmpdir()).filter((n) => n.startsWith(PROFILE_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^attune-host-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) removeProfile(join(os.tmpdir(), name));
  }
}

/**
 * Chromium's helper processes may still be writing for a moment after the browser has exited: retry, and
 * leave what cannot go yet to the sweep of the next launch.
 */
function removeProfile(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {
    // Swept by removeDeadProfiles once this process has ended.
  }
}
