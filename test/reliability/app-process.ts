// Attune as a process of its own, for tests that kill it: the real `attune serve`, or the stand-in app
// (app-child.ts: the same startApp and web shell, with settings a test needs, such as a small training
// recipe). Either prints the address with its token; the test connects as the page does (connectAttune over
// a WebSocket from the shell's origin), drives it, and SIGKILLs it whenever it likes.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connectAttune } from '../../src-main/app/web-client.js';
import type { AttuneApi, EventName, EventPayloads } from '../../src-main/ipc/contract.js';
import { KILL_POINT_ENV } from '../../src-main/model/kill-point.js';
import { attuneCommand } from '../cli/cli-helpers.js';
import type { StandInConfig } from './app-child.js';
import { type ProcessInfo, processTree, waitGone } from './process-tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAND_IN = fileURLToPath(new URL('./app-child.ts', import.meta.url));
const LINK = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/;

export interface LaunchOptions {
  dataDir: string;
  /** Extra environment (the FIFO microphone's ALSA configuration, …). */
  env?: Record<string, string>;
  /** Run the stand-in app with this configuration instead of `attune serve`. */
  standIn?: Omit<StandInConfig, 'dataDir'>;
  /** Stop at this named kill point (model/kill-point.ts) when a process of the app reaches it. */
  killPoint?: string;
  /** How long loading may take before the launch fails, in ms. */
  startTimeoutMs?: number; // 60_000
  /** Compute backend of `attune serve`. */
  backend?: string; // 'wasm'
}

export interface Killed {
  /** The processes that ran below the app when it was killed. */
  below: ProcessInfo[];
  /** Those still running a while after it died (killed by then, so they cannot outlive the test). */
  orphans: ProcessInfo[];
}

export interface RunningApp {
  pid: number;
  /** The address it printed: http://127.0.0.1:PORT/#token=… */
  url: URL;
  api: AttuneApi;
  /** What the app printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when a process of the app reports reaching the launch's kill point. */
  reachedKillPoint: Promise<void>;
  /**
   * SIGKILLs the app. With `powerCut`, every process below it too, at once; otherwise they are left to notice
   * and must be gone within `orphanWaitMs`.
   */
  kill(opts?: { powerCut?: boolean; orphanWaitMs?: number }): Promise<Killed>;
  /** Stops it as Ctrl-C does (SIGTERM) and waits for it; what was below it must be gone too. */
  stop(orphanWaitMs?: number): Promise<Killed>;
}

/** The command line: `attune serve`, or the stand-in with its configuration. */
function commandFor(opts: LaunchOptions): { command: string; args: string[]; cwd: string } {
  if (!opts.standIn)
    return attuneCommand(['serve', '--data', opts.dataDir, '--backend', opts.backend ?? 'wasm', '--no-open']);
  const config = JSON.stringify({ ...opts.standIn, dataDir: opts.dataDir });
  return { command: process.execPath, args: ['--import', 'tsx', STAND_IN, config], cwd: ROOT };
}

/** What a child prints (stdout and stderr together), with a way to wait for something in it. */
class Output {
  text = '';
  private readonly watchers = new Set<() => void>();

  constructor(child: { stdout: Readable; stderr: Readable }) {
    const take = (c: Buffer) => {
      this.text += c.toString();
      for (const w of this.watchers) w();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
  }

  /** Resolves with what `find` finds in the output (null: not yet), as soon as it has been printed. */
  until<T>(find: (text: string) => T | null): Promise<T> {
    return new Promise((resolve) => {
      const watch = () => {
        const found = find(this.text);
        if (found === null) return;
        this.watchers.delete(watch);
        resolve(found);
      };
      this.watchers.add(watch);
      watch();
    });
  }
}

/** The address the app prints once it runs; fails if it ends or takes too long first (and then kills it). */
async function address(child: ChildProcess, output: Output, timeoutMs: number): Promise<URL> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (code: number | null, signal: string | null) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the app did not print its address:\n${output.text}`)),
      timeoutMs,
    );
    onClose = (code, signal) =>
      reject(new Error(`the app ended while starting (code ${code}, signal ${signal}):\n${output.text}`));
    child.on('close', onClose);
  });
  try {
    return await Promise.race([
      output.until((text) => LINK.exec(text)?.[0] ?? null).then((u) => new URL(u)),
      failed,
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
    child.off('close', onClose);
  }
}

/** Starts the app and connects to it. */
export async function launchApp(opts: LaunchOptions): Promise<RunningApp> {
  const { command, args, cwd } = commandFor(opts);
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No desktop session: phrases are never typed into the desktop of whoever runs the test.
    env: {
      ...process.env,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
      ...(opts.killPoint ? { [KILL_POINT_ENV]: opts.killPoint } : {}),
      ...opts.env,
    },
  });
  const output = new Output(child);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const line = `kill point ${opts.killPoint}\n`;
  const reachedKillPoint = opts.killPoint
    ? output.until((text) => (text.includes(line) ? true : null)).then(() => {})
    : new Promise<void>(() => {});
  const url = await address(child, output, opts.startTimeoutMs ?? 60_000);
  let api: AttuneApi;
  try {
    api = await connectAttune(url.href, url.hash.slice('#token='.length), {
      createSocket: (u) => new WebSocket(u, { origin: url.origin }),
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid!;
  const end = async (signal: NodeJS.Signals, powerCut: boolean, orphanWaitMs: number) => {
    const below = processTree(pid).slice(1);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    if (powerCut) for (const p of below) killQuietly(p.pid);
    await exited;
    return {
      below,
      orphans: await waitGone(
        below.map((p) => p.pid),
        orphanWaitMs,
      ),
    };
  };
  return {
    pid,
    url,
    api,
    output: () => output.text,
    reachedKillPoint,
    kill: ({ powerCut = false, orphanWaitMs = 10_000 } = {}) => end('SIGKILL', powerCut, orphanWaitMs),
    stop: (orphanWaitMs = 10_000) => end('SIGTERM', false, orphanWaitMs),
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs `work` with the app; if it throws, the app and everything below it are killed before the error goes on,
 * so that a failed step never leaves an app running on a data folder the next step starts another one on.
 */
export async function withApp<T>(app: RunningApp, work: (app: RunningApp) => Promise<T>): Promise<T> {
  try {
    return await work(app);
  } catch (err) {
    await app.kill({ powerCut: true, orphanWaitMs: 0 });
    throw err;
  }
}

/** The problems an app's end left: processes that outlived it. */
export function orphanProblems(killed: Killed): string[] {
  return killed.orphans.map(
    (p) => `a ${p.role} process (pid ${p.pid}: ${p.command.slice(0, 120)}) outlived the app`,
  );
}

/**
 * The next `event` from the app that satisfies `accept`; fails after `timeoutMs`. A promise that loses a race
 * may fail later unobserved: that is not an error (the timer does not keep the process alive either).
 */
export function nextEvent<E extends EventName>(
  api: AttuneApi,
  event: E,
  accept: (payload: EventPayloads[E]) => boolean,
  timeoutMs = 10_000,
): Promise<EventPayloads[E]> {
  const next = new Promise<EventPayloads[E]>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs).unref();
    const off = api.on(event, (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
  next.catch(() => {});
  return next;
}
