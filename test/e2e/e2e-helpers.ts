// Shared set-up of the browser tests: the real `attune serve` (real engine, shipped model, a FIFO
// microphone) in a child process, and Debian's Chromium driven by playwright-core.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

/** Screenshots of each view, kept as test artefacts. */
export const SCREENSHOT_DIR = join(root, 'test-results/screenshots');

export interface ServeOptions {
  dataDir: string;
  /** Extra environment (the FIFO microphone's ALSA configuration). */
  env?: Record<string, string>;
  backend?: string; // 'wasm'
  /** How long loading the model may take, in ms. */
  startTimeoutMs?: number; // 90_000
}

export interface Served {
  /** The address with its #token, as `attune serve` printed it. */
  url: string;
  origin: string;
  child: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user would stop it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(opts: ServeOptions): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      tsx,
      'src-main/cli/main.ts',
      'serve',
      '--data',
      opts.dataDir,
      '--backend',
      opts.backend ?? 'wasm',
      '--no-open',
    ],
    // No desktop session: dictated phrases are never typed into the desktop of whoever runs the tests.
    {
      cwd: root,
      env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`attune serve printed no address within the time:\n${out}`)),
      opts.startTimeoutMs ?? 90_000,
    );
    const check = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`attune serve exited (code ${code}) before serving:\n${out}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Chromium {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page (a CSP violation shows here). */
  errors: string[];
  close(): Promise<void>;
}

/** Debian's Chromium, headless; never a downloaded browser. */
export async function launchChromium(opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<Chromium> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({
    acceptDownloads: true,
    colorScheme: opts.colorScheme ?? 'light',
    viewport: { width: 1100, height: 800 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { browser, context, page, errors, close: () => browser.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Text of the first element with this data-testid ('' when there is none), for expect.poll. */
export function textOf(page: Page, testId: string): Promise<string> {
  return page.evaluate(
    (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '',
    testId,
  );
}

/** How many elements have this data-testid. */
export function countOf(page: Page, testId: string): Promise<number> {
  return page.evaluate((id) => document.querySelectorAll(`[data-testid="${id}"]`).length, testId);
}
