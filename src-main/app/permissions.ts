import { isRendererPage } from './renderer-page.js';

/**
 * What the window's page may use of the browser's guarded features (Electron grants every one of them when
 * no handler says otherwise). The page records nothing itself: the main process captures the microphone
 * (engine/capture.ts), so the page is refused camera and microphone ('media'), notifications, geolocation,
 * devices and all the rest. It needs one thing: to write the transcript to the clipboard (Dictate's copy
 * button), and only its own top frame may.
 */
const GRANTED: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export interface PermissionAsk {
  permission: string;
  /** The address of the frame asking (Electron leaves it out for some checks: those are refused). */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
}

/** The decision for both a permission request and a permission check. */
export function permissionGranted(ask: PermissionAsk, rendererFile: string): boolean {
  return GRANTED.has(ask.permission) && ask.isMainFrame && isRendererPage(ask.requestingUrl, rendererFile);
}
