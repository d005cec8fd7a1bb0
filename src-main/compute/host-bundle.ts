import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The compute host page's script (host-page.ts bundled for the browser, with tfjs and its WebGPU
 * backend). The built app carries it beside this module as host-page.bundle.js (scripts/build-main.mjs; the
 * plain host-page.js there is tsc's unbundled output, which no browser can load); run from source, it is
 * bundled in memory by esbuild (a development dependency) the first time it is asked for.
 */
const BUILT = new URL('./host-page.bundle.js', import.meta.url);
const SOURCE = new URL('./host-page.ts', import.meta.url);

let bundled: Promise<Uint8Array> | null = null;

export function hostPageScript(): Promise<Uint8Array> {
  bundled ??= load().catch((err: unknown) => {
    bundled = null;
    throw err;
  });
  return bundled;
}

async function load(): Promise<Uint8Array> {
  const built = fileURLToPath(BUILT);
  if (existsSync(built)) return readFile(built);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(`the compute host page is not built (${built}) and esbuild is not installed to build it`);
  }
  const result = await esbuild.build({
    ...HOST_PAGE_BUILD,
    entryPoints: [fileURLToPath(SOURCE)],
    write: false,
  });
  return result.outputFiles[0].contents;
}

/** How the page is bundled, here and by scripts/build-main.mjs. */
export const HOST_PAGE_BUILD = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Chromium 113 is the first with WebGPU; Electron's is newer.
  target: 'chrome113',
  logLevel: 'warning',
} as const;

/** The page itself: no inline script, so a strict Content-Security-Policy holds. */
export const HOST_PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Attune compute host</title>
<script type="module" src="host-page.js"></script></head><body></body></html>
`;
