#!/usr/bin/env node
// `npm start`: the Electron app when it can run here, else the same app in the browser (`attune serve`).
// Arguments after `npm start --` go to `attune serve` (e.g. `npm start -- --port 8080 --no-open`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Electron executable, or why there is none. This follows what require('electron') does to find it,
 * without calling it: when the binary is missing, require('electron') tries to download it (minutes of
 * waiting where downloads are blocked, then an exception).
 */
function findElectron() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = dist ? join(dist, executable || 'electron') : executable && join(pkgDir, 'dist', executable);
  if (!binary || !existsSync(binary)) {
    return { why: 'Electron binary not installed (its download is not available here)' };
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'no display to open a window on ($DISPLAY is not set)' };
  }
  return { binary };
}

const electron = findElectron();
if (electron.binary) {
  // Electron runs what it would run installed: the compiled main side (package.json "main") and the built
  // renderer, both rebuilt first so a change in the source shows at the next start.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const script of ['build:main', 'build:renderer']) {
    execFileSync(npm, ['run', '-s', script], { cwd: root, stdio: 'inherit' });
  }
  const child = spawn(electron.binary, [root], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.error(`${electron.why}; starting the browser shell instead`);
  // Run `attune serve` in this process: no second process to pass signals and exit codes through.
  const { register } = await import('tsx/esm/api');
  register();
  const { buildProgram } = await import(pathToFileURL(join(root, 'src-main/cli/main.ts')).href);
  try {
    await buildProgram()
      .exitOverride()
      .parseAsync(['serve', ...process.argv.slice(2)], { from: 'user' });
  } catch (err) {
    if (err?.code?.startsWith?.('commander.')) process.exit(err.exitCode ?? 1);
    console.error(`attune: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
