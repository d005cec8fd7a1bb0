import {
  app,
  BrowserWindow,
  globalShortcut,
  ipcMain,
  Menu,
  nativeImage,
  session,
  shell,
  Tray,
} from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_NAMES } from '../ipc/contract.js';
import { startApp } from './app.js';
import { GlobalHotkey } from './hotkey.js';
import { RENDERER_DIR, RESOURCES_DIR } from './paths.js';
import { utilityLauncher, utilityTrainerLauncher } from './electron-launcher.js';
import { toRemoteError } from './router.js';

/**
 * Electron main process: window, tray, global hotkey and the IPC door. Everything it does beyond
 * that lives in plain modules (app.ts and below) that also run, and are tested, without Electron.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const RENDERER = join(RENDERER_DIR, 'index.html');
// A sandboxed preload cannot import modules: the build bundles it, with the contract, into one file here.
const PRELOAD = join(here, 'preload.cjs');
// macOS tints a black "Template" image to suit the menu bar; other panels get the coloured icon.
const TRAY_ICON = join(RESOURCES_DIR, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');
const DEFAULT_HOTKEY = 'CommandOrControl+Shift+Space';

if (!app.requestSingleInstanceLock()) {
  // A second launch focuses the first window instead of starting another engine.
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  await app.whenReady();
  const attune = await startApp({
    dataDir: app.getPath('userData'),
    launcher: utilityLauncher,
    trainerLauncher: utilityTrainerLauncher,
  });
  const rendererUrl = new URL(`file://${RENDERER}`).href;

  // Strict content security policy for every response the window loads.
  session.defaultSession.webRequest.onHeadersReceived((details, done) => {
    done({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' attune-audio:; object-src 'none'; base-uri 'none'",
        ],
      },
    });
  });

  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    title: 'Attune',
    show: false,
    webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app, no new windows; links open in the user's browser.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  await win.loadFile(RENDERER);

  // Requests: only from our own window's top frame, only contract methods (the router checks).
  ipcMain.handle('attune:call', async (event, method: unknown, args: unknown) => {
    if (event.sender !== win.webContents || event.senderFrame?.url !== rendererUrl) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'request from an unknown sender' } };
    }
    try {
      return { ok: true, result: await attune.router.call(method, args) };
    } catch (err) {
      return { ok: false, error: toRemoteError(err) };
    }
  });
  for (const name of EVENT_NAMES) {
    attune.router.events.on(name, (payload: unknown) => {
      if (!win.isDestroyed()) win.webContents.send('attune:event', name, payload);
    });
  }

  // Global hotkey toggles dictation; a hotkey another app holds is reported, not silently lost.
  const toggle = () => {
    const s = attune.dictation.getStatus();
    if (s.state === 'listening') void attune.dictation.stop();
    else {
      // An enrolment take uses the engine dictation needs, and the microphone test the device: they give way.
      void (async () => {
        await attune.micTest.stop();
        await attune.enrolment.stop(true);
        await attune.dictation.start();
      })();
    }
  };
  const hotkey = new GlobalHotkey(globalShortcut, toggle);
  attune.hotkey = hotkey; // Settings switches it through settings.set
  const problem = hotkey.use(attune.store.settings.get('hotkey') || DEFAULT_HOTKEY);
  if (problem !== null) {
    attune.router.emit('dictation.state', {
      ...attune.dictation.getStatus(),
      error: problem,
    });
  }

  const tray = new Tray(nativeImage.createFromPath(TRAY_ICON));
  tray.setToolTip('Attune');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Start / stop dictation', click: toggle },
      { label: 'Show Attune', click: () => win.show() },
      { type: 'separator' },
      { label: 'Quit', click: () => app.quit() },
    ]),
  );

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  app.on('will-quit', () => {
    hotkey.release();
    void attune.close();
  });
}
