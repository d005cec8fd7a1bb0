import {
  app,
  BrowserWindow,
  dialog,
  globalShortcut,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  session,
  systemPreferences,
  Tray,
} from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_NAMES } from '../ipc/contract.js';
import { startApp } from './app.js';
import { answerClipRequest, AUDIO_SCHEME, AUDIO_SCHEME_PRIVILEGES, clipUrl } from './audio-protocol.js';
import { closeBeforeQuit } from './close-before-quit.js';
import { RENDERER_CSP } from './content-security-policy.js';
import { dialogExportSaver } from './export-saver.js';
import { GlobalHotkey } from './hotkey.js';
import { Indicator } from './indicator.js';
import { createIndicatorWindow } from './indicator-window.js';
import { RENDERER_DIR, RESOURCES_DIR } from './paths.js';
import { permissionGranted } from './permissions.js';
import { INDICATOR_FRAGMENT, isRendererPage, rendererPageUrl } from './renderer-page.js';
import { utilityLauncher, utilityTrainerLauncher } from './electron-launcher.js';
import { toRemoteError } from './router.js';
import { guardWindow } from './window-guards.js';

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
// Quitting waits this long for the app to close: dictation stores its last phrase, then the engine gets 3 s to
// exit before it is killed (app.ts).
const QUIT_WAIT_MS = 15_000;

// Chromium learns of custom schemes only before the app is ready.
protocol.registerSchemesAsPrivileged([AUDIO_SCHEME_PRIVILEGES]);
// On Linux, Chromium's WebGPU (the compute host's GPU path, app/host-window.ts) is still behind a switch and
// runs on Vulkan; macOS and Windows have it on by default.
if (process.platform === 'linux') {
  app.commandLine.appendSwitch('enable-unsafe-webgpu');
  app.commandLine.appendSwitch('enable-features', 'Vulkan');
}

if (!app.requestSingleInstanceLock()) {
  // A second launch focuses the first window instead of starting another engine.
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  await app.whenReady();
  const attune = await startAttune();
  const win = await createMainWindow(attune);
  const { indicatorWin, indicator } = createIndicator(attune, win);
  serveRenderers(attune, win, indicatorWin);
  const { hotkey, toggle } = useHotkey(attune);
  // Held here, and destroyed at quit: a tray nothing refers to can be garbage-collected off the panel.
  const tray = createTray(win, toggle);
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  const closeThenQuit = closeBeforeQuit(app, () => attune.close(), {
    timeoutMs: QUIT_WAIT_MS,
    warn: (message) => console.error(`attune: ${message}`),
  });
  app.on('will-quit', (event) => {
    hotkey.release();
    indicator.dispose();
    if (!tray.isDestroyed()) tray.destroy();
    closeThenQuit(event);
  });
}

type Attune = Awaited<ReturnType<typeof startApp>>;

/** The app on the user's data folder, its engine and trainer in utility processes, clips on our protocol. */
async function startAttune(): Promise<Attune> {
  const attune = await startApp({
    dataDir: app.getPath('userData'),
    launcher: utilityLauncher,
    trainerLauncher: utilityTrainerLauncher,
    audioUrl: clipUrl,
    // Typing into other apps needs the Accessibility permission on macOS; the system's own dialog asks for it.
    output:
      process.platform === 'darwin'
        ? {
            accessibility: {
              trusted: () => systemPreferences.isTrustedAccessibilityClient(false),
              ask: () => void systemPreferences.isTrustedAccessibilityClient(true),
            },
          }
        : {},
  });
  protocol.handle(AUDIO_SCHEME, (request) =>
    answerClipRequest(request, (id) => attune.store.segmentAudio(id)),
  );
  // The policy for every response that has headers; the file:// page has none and carries it in a <meta>.
  session.defaultSession.webRequest.onHeadersReceived((details, done) => {
    done({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] },
    });
  });
  return attune;
}

/** The main window: the renderer page, its guards and permissions, and the save dialog exports go through. */
async function createMainWindow(attune: Attune): Promise<BrowserWindow> {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    title: 'Attune',
    show: false,
    webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  win.once('ready-to-show', () => win.show());
  // While Attune's own window has the focus, phrases are not typed into it (they would press its buttons).
  win.on('focus', () => attune.output.setAttuneFocused(true));
  win.on('blur', () => attune.output.setAttuneFocused(false));
  guardWindow(win.webContents);
  // Exports go where the user chooses in the system's save dialog, which opens in their Documents folder.
  attune.exportSaver = dialogExportSaver(async (fileName) => {
    const r = await dialog.showSaveDialog(win, { defaultPath: join(app.getPath('documents'), fileName) });
    return r.canceled ? null : (r.filePath ?? null);
  });
  // Every permission the page asks for or is checked for, decided in one place.
  const allowed = (
    contents: Electron.WebContents | null,
    permission: string,
    { requestingUrl, isMainFrame }: { requestingUrl?: string; isMainFrame: boolean },
  ) =>
    contents === win.webContents && permissionGranted({ permission, requestingUrl, isMainFrame }, RENDERER);
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback, details) =>
    callback(allowed(contents, permission, details)),
  );
  session.defaultSession.setPermissionCheckHandler((contents, permission, _origin, details) =>
    allowed(contents, permission, details),
  );
  // Not loadFile: it leaves a '%' in the install path unescaped, which Chromium then reads as an escape.
  await win.loadURL(rendererPageUrl(RENDERER));
  return win;
}

/** The dictation indicator: shown while dictating, above every window, never taking the focus. */
function createIndicator(attune: Attune, win: BrowserWindow) {
  const indicatorWin = createIndicatorWindow(RENDERER, PRELOAD);
  const indicator = new Indicator({
    show: () => {
      if (!indicatorWin.isDestroyed()) indicatorWin.showInactive();
    },
    hide: () => {
      if (!indicatorWin.isDestroyed()) indicatorWin.hide();
    },
  });
  // It goes with the main window: closing that still quits Attune as before (no hidden window keeps it up).
  win.on('closed', () => {
    if (!indicatorWin.isDestroyed()) indicatorWin.destroy();
  });
  attune.router.events.on('dictation.state', (s) => indicator.dictation(s));
  attune.router.events.on('output.status', (s) => indicator.output(s));
  return { indicatorWin, indicator };
}

/** The IPC door: requests only from our own windows' top frames, only contract methods (the router checks). */
function serveRenderers(attune: Attune, win: BrowserWindow, indicatorWin: BrowserWindow): void {
  const fromOurPage = (sender: Electron.WebContents, url: string | undefined) =>
    (sender === win.webContents && isRendererPage(url, RENDERER)) ||
    (!indicatorWin.isDestroyed() &&
      sender === indicatorWin.webContents &&
      isRendererPage(url, RENDERER, INDICATOR_FRAGMENT));
  ipcMain.handle('attune:call', async (event, method: unknown, args: unknown) => {
    if (!fromOurPage(event.sender, event.senderFrame?.url)) {
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
      for (const w of [win, indicatorWin])
        if (!w.isDestroyed()) w.webContents.send('attune:event', name, payload);
    });
  }
}

/** The global hotkey toggles dictation; a hotkey another app holds is reported, not silently lost. */
function useHotkey(attune: Attune): { hotkey: GlobalHotkey; toggle: () => void } {
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
  return { hotkey, toggle };
}

function createTray(win: BrowserWindow, toggle: () => void): Tray {
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
  return tray;
}
