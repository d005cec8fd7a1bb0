#!/usr/bin/env node
// Builds what Electron runs into dist/src-main/: TypeScript compiled file for file (so the engine process
// entry stays next to its client, and shipped files are found from the package root as from source), and
// the preload bundled with the contract into one CommonJS file, because a sandboxed preload has no module
// system beyond `require('electron')`.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
// tfjs-core's gradients exist only as ES modules whose imports lack file extensions, which plain Node
// cannot resolve: one bundle of them, loaded by src-main/model/core-gradients.ts when present.
await build({
  absWorkingDir: root,
  entryPoints: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'],
  outfile: 'dist/src-main/model/tfjs-gradients.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
await build({
  absWorkingDir: root,
  entryPoints: ['src-main/app/preload.ts'],
  outfile: 'dist/src-main/app/preload.cjs',
  bundle: true,
  format: 'cjs',
  // Browser platform: the bundle must not reach for Node built-ins a sandboxed preload does not have.
  platform: 'browser',
  target: 'chrome130',
  external: ['electron'],
  logLevel: 'warning',
});
// The compute host page runs in a browser: one bundle with tfjs and its WebGPU backend, built as
// src-main/compute/host-bundle.ts builds it from source.
await build({
  absWorkingDir: root,
  entryPoints: ['src-main/compute/host-page.ts'],
  outfile: 'dist/src-main/compute/host-page.bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome113',
  logLevel: 'warning',
});
