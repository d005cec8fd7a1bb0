import { attuneFromLocation } from '../../../src-main/app/web-client.js';
import type { AttuneApi } from '../../../src-main/ipc/contract.js';

declare global {
  interface Window {
    /** The preload's API inside Electron; absent in the browser shell until connected. */
    attune?: AttuneApi;
  }
}

/**
 * The app's API for this page: Electron's preload provides `window.attune`; in the browser shell the page
 * connects to the server that served it over a WebSocket, with the token from the address's fragment.
 * `onLost` is called once if that connection closes (Electron's IPC does not close under a live page).
 */
export async function openAttune(onLost: (reason: string) => void): Promise<AttuneApi> {
  if (window.attune) return window.attune;
  return attuneFromLocation(window.location, {
    createSocket: (url) => {
      const socket = new WebSocket(url);
      socket.addEventListener('close', (ev) => onLost(ev.reason || `code ${ev.code}`));
      return socket;
    },
  });
}
