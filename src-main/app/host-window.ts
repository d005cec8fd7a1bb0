import { BrowserWindow } from 'electron';
import { guardWindow } from './window-guards.js';

/**
 * The compute host in the desktop app: a hidden window that loads the host page from the trainer's
 * loopback server (src-main/compute/host-server.ts). Electron's Chromium has WebGPU on every platform it
 * supports, so the same page runs the model on the user's GPU. Only a loopback http address is opened; the
 * window never navigates away, opens nothing, and is not throttled while hidden (training would stall).
 */
export interface HostWindow {
  close(): void;
}

export function openHostWindow(url: string, onGone: (reason: string) => void): HostWindow {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || parsed.hostname !== '127.0.0.1')
    throw new Error(`a compute host page must be on http://127.0.0.1, not ${parsed.origin}`);
  const win = new BrowserWindow({
    show: false,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      backgroundThrottling: false,
    },
  });
  guardWindow(win.webContents);
  let gone = false;
  const done = (reason: string) => {
    if (gone) return;
    gone = true;
    onGone(reason);
  };
  win.on('closed', () => done('the window was closed'));
  win.webContents.on('render-process-gone', (_e, details) => done(`its page ended (${details.reason})`));
  void win.loadURL(url).catch((err: unknown) => done(`its page did not load: ${(err as Error).message}`));
  return {
    close: () => {
      if (!win.isDestroyed()) win.destroy();
    },
  };
}
