import { describe, expect, it } from 'vitest';
import { guardWindow } from '../../src-main/app/window-guards.js';

/** The two hooks of Electron's webContents the guards use, recording what is set on them. */
function fakeContents() {
  const fake = {
    navigate: null as ((event: { preventDefault(): void }) => void) | null,
    open: null as ((details: { url: string }) => { action: 'deny' }) | null,
    on(event: 'will-navigate', listener: (event: { preventDefault(): void }) => void) {
      expect(event).toBe('will-navigate');
      fake.navigate = listener;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }) {
      fake.open = handler;
    },
  };
  return fake;
}

describe('window guards', () => {
  it('stops every navigation away from the page', () => {
    const contents = fakeContents();
    guardWindow(contents);
    let prevented = 0;
    contents.navigate!({ preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
  });

  it.each([
    'https://example.com/',
    'http://127.0.0.1:8080/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'mailto:someone@example.com',
    'attune-audio://clip/1.wav',
    'ms-settings:privacy',
  ])('opens no window and hands nothing to the system for %s', (url) => {
    const contents = fakeContents();
    guardWindow(contents);
    expect(contents.open!({ url })).toEqual({ action: 'deny' });
  });
});
