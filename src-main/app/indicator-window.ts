import { BrowserWindow, screen } from 'electron';
import { INDICATOR_FRAGMENT, rendererPageUrl } from './renderer-page.js';
import { guardWindow } from './window-guards.js';

/** Size of the indicator and its distance from the top of the screen, in pixels. */
const WIDTH = 440;
const HEIGHT = 96;
const TOP_MARGIN = 12;

/**
 * The dictation indicator's window: small, frameless, above every other window, on every workspace, and
 * never focusable, so the app the user dictates into keeps the keyboard (typed phrases land there). It
 * loads the app's own page with the indicator's fragment, through the same preload and contract.
 */
export function createIndicatorWindow(rendererFile: string, preload: string): BrowserWindow {
  const area = screen.getPrimaryDisplay().workArea;
  const win = new BrowserWindow({
    width: WIDTH,
    height: HEIGHT,
    x: Math.round(area.x + (area.width - WIDTH) / 2),
    y: area.y + TOP_MARGIN,
    title: 'Attune dictation',
    show: false,
    frame: false,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    focusable: false,
    alwaysOnTop: true,
    webPreferences: { preload, contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
  // Above full-screen apps too (macOS needs the higher level and the workspace flag for that).
  win.setAlwaysOnTop(true, 'screen-saver');
  win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
  guardWindow(win.webContents);
  void win.loadURL(rendererPageUrl(rendererFile, INDICATOR_FRAGMENT));
  return win;
}
