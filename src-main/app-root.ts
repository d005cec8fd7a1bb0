import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Attune's package.json: the repository when run from source, the app folder (or its
 * asar archive) when installed. Shipped files (models/, resources/, the built renderer) are found from
 * here, so their paths hold whether the code runs from src-main/ through tsx or from the compiled dist/.
 */
export function appRoot(from: string = import.meta.url): string {
  // The shipped-file paths ask for this module's own root several times as they load: find it once.
  if (from === import.meta.url) return (ownRoot ??= findRoot(from));
  return findRoot(from);
}

let ownRoot: string | undefined;

function findRoot(from: string): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && isAttune(pkg)) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no Attune package.json above ${from}: the installation is incomplete`);
    dir = up;
  }
}

function isAttune(pkg: string): boolean {
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'attune';
  } catch {
    return false;
  }
}
