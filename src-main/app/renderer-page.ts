import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The window's page address, and the check that a frame shows that page (the IPC door admits no other
 * sender). The address is built by Node's pathToFileURL, which escapes what a file URL must (an install
 * folder may hold '#', '?', '%' or spaces); the check decodes the frame's address back to a file path and
 * compares paths, so it does not depend on Chromium spelling the address exactly as Node did.
 */
export function rendererPageUrl(file: string, fragment = ''): string {
  return pathToFileURL(resolve(file)).href + fragment;
}

/** The dictation indicator's window loads the same page with this fragment (the page shows the indicator). */
export const INDICATOR_FRAGMENT = '#view=indicator';

/**
 * True when `url` is the page `file` itself: file: scheme, no query, the same path, and exactly the
 * fragment given (none for the main window; each window is checked against its own).
 */
export function isRendererPage(url: string | undefined, file: string, fragment = ''): boolean {
  if (url === undefined) return false;
  let parsed: URL;
  let path: string;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'file:' || parsed.search !== '' || parsed.hash !== fragment) return false;
    path = fileURLToPath(parsed); // throws for a host on Unix and for escaped slashes
  } catch {
    return false;
  }
  // Windows file names ignore case, and Chromium writes the drive letter in capitals.
  const same = (a: string, b: string) =>
    process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
  return same(path, resolve(file));
}
