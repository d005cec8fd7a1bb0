// A model process's side of compute host windows: it asks its parent for a window at the page's address and
// follows the answers. The parent here does what the desktop app's main process does, with a real browser:
// headless Chromium stands in for Electron's hidden window.
import { describe, expect, it } from 'vitest';
import { chromiumLauncher, findChromium } from '../../src-main/compute/chromium-launcher.js';
import { ComputeHost, type LaunchedHost } from '../../src-main/compute/host-server.js';
import type { HostWindowRequest } from '../../src-main/compute/contract.js';
import { HostWindowLauncher } from '../../src-main/compute/host-window-launcher.js';

describe('HostWindowLauncher', () => {
  it.skipIf(findChromium() == null)(
    'opens the host page through the parent, computes there, and closes it through the parent',
    async () => {
      const asked: HostWindowRequest[] = [];
      let browser: LaunchedHost | null = null;
      const windows: HostWindowLauncher = new HostWindowLauncher((msg) => {
        asked.push(msg);
        // The parent: a window per openHost, closed on closeHost, and word back either way.
        if (msg.type === 'openHost')
          void chromiumLauncher()(msg.url).then((b) => {
            browser = b;
            void b.exited.then(() =>
              windows.onReply({ type: 'hostClosed', reason: 'the window was closed' }),
            );
            windows.onReply({ type: 'hostOpened' });
          });
        if (msg.type === 'closeHost') void browser?.close();
      });
      const host = await ComputeHost.open({ backend: 'cpu', launcher: windows.launch });
      expect(asked[0]).toMatchObject({
        type: 'openHost',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/#token=/),
      });
      expect(host.started.backend).toBe('cpu');
      await host.close();
      expect(asked.map((m) => m.type)).toEqual(['openHost', 'closeHost']);
    },
    60_000,
  );

  it('fails the launch with the parent’s reason, and refuses a second window', async () => {
    const windows = new HostWindowLauncher(() => {});
    const first = windows.launch('http://127.0.0.1:1/');
    await expect(windows.launch('http://127.0.0.1:2/')).rejects.toThrow(
      'a compute host window is already open',
    );
    windows.onReply({ type: 'hostFailed', reason: 'no display' });
    await expect(first).rejects.toThrow('no host window: no display');
  });

  it('tells the host when the window goes after it opened', async () => {
    const windows = new HostWindowLauncher(() => {});
    const launching = windows.launch('http://127.0.0.1:1/');
    windows.onReply({ type: 'hostOpened' });
    const launched = await launching;
    windows.onReply({ type: 'hostClosed', reason: 'its page ended (crashed)' });
    expect(await launched.exited).toBe('the host window closed: its page ended (crashed)');
  });
});
