import { describe, expect, it } from 'vitest';
import { permissionGranted } from '../../src-main/app/permissions.js';
import { rendererPageUrl } from '../../src-main/app/renderer-page.js';

const RENDERER = '/opt/Attune #1/dist/index.html';
const PAGE = rendererPageUrl(RENDERER);

describe('permissions of the window page', () => {
  it("lets the app's own top frame write to the clipboard (the copy button)", () => {
    const ask = { permission: 'clipboard-sanitized-write', requestingUrl: PAGE, isMainFrame: true };
    expect(permissionGranted(ask, RENDERER)).toBe(true);
  });

  it('refuses the clipboard to frames and pages that are not the app page itself', () => {
    const write = (requestingUrl: string | undefined, isMainFrame = true) =>
      permissionGranted({ permission: 'clipboard-sanitized-write', requestingUrl, isMainFrame }, RENDERER);
    expect(write(PAGE, false)).toBe(false);
    expect(write(undefined)).toBe(false);
    expect(write('https://example.com/')).toBe(false);
    expect(write(rendererPageUrl('/opt/Attune #1/dist/other.html'))).toBe(false);
    expect(write(`${PAGE}?x`)).toBe(false);
  });

  // The page records nothing (the main process captures the microphone) and needs no other feature.
  it.each([
    'media',
    'display-capture',
    'clipboard-read',
    'deprecated-sync-clipboard-read',
    'notifications',
    'geolocation',
    'fullscreen',
    'pointerLock',
    'openExternal',
    'fileSystem',
    'hid',
    'usb',
    'serial',
    'midiSysex',
    'storage-access',
    'local-network-access',
    'unknown',
  ])('refuses %s even to the app page', (permission) => {
    expect(permissionGranted({ permission, requestingUrl: PAGE, isMainFrame: true }, RENDERER)).toBe(false);
  });
});
