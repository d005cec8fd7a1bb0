import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { appRoot } from '../app-root.js';

/** The built Svelte renderer (what the web shell and the window load). */
export const RENDERER_DIR = join(appRoot(), 'src-renderer', 'dist');

/** Icons and other files the main process shows (the tray icon). */
export const RESOURCES_DIR = join(appRoot(), 'resources');

/** The app's package.json, for its version. */
export const PACKAGE_JSON = join(appRoot(), 'package.json');

/**
 * Where Attune keeps what it can make again (language-model snapshots), following each system's
 * convention: $XDG_CACHE_HOME/attune (else ~/.cache/attune) on Linux and other Unixes,
 * ~/Library/Caches/Attune on macOS, %LOCALAPPDATA%\Attune\Cache on Windows.
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32')
    return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), 'Attune', 'Cache');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Caches', 'Attune');
  const xdg = env.XDG_CACHE_HOME;
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.cache'), 'attune');
}

/**
 * Where Attune keeps its database and audio clips when no folder is given, following each system's
 * convention: $XDG_DATA_HOME/attune (else ~/.local/share/attune) on Linux and other Unixes,
 * ~/Library/Application Support/Attune on macOS, %APPDATA%\Attune on Windows.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32')
    return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), 'Attune');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'Attune');
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), 'attune');
}
