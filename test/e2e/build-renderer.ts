// Global set-up of the browser tests: they load the built renderer from `attune serve`, so build it when
// it is missing or older than its sources (`npm test` has usually just built it: then this is a no-op).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = [
  join(root, 'src-renderer/src'),
  join(root, 'src-renderer/index.html'),
  join(root, 'src-main/ipc'),
  join(root, 'src-main/app/web-client.ts'),
];
const BUILT = join(root, 'src-renderer/dist/index.html');

function newestMtimeMs(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestMtimeMs(join(path, name))));
}

export default async function setup(): Promise<void> {
  let builtAt = 0;
  try {
    builtAt = statSync(BUILT).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (builtAt > Math.max(...SOURCES.map(newestMtimeMs))) return;
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}
