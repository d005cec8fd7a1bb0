import { describe, expect, it } from 'vitest';
import { closeBeforeQuit } from '../../src-main/app/close-before-quit.js';

/**
 * Electron's quitting as the listener sees it: quit() emits 'will-quit', and the app exits unless a
 * listener prevented it.
 */
function fakeApp() {
  const fake = {
    listener: (_event: { preventDefault(): void }) => {},
    exited: false,
    quits: 0,
    quit() {
      fake.quits++;
      let prevented = false;
      fake.listener({ preventDefault: () => (prevented = true) });
      if (!prevented) fake.exited = true;
    },
  };
  return fake;
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((done) => setTimeout(done, 0));

describe('closing before quitting', () => {
  it('holds the quit until close has finished, then quits once', async () => {
    const app = fakeApp();
    const closing = deferred();
    let closes = 0;
    const warnings: string[] = [];
    app.listener = closeBeforeQuit(
      app,
      () => {
        closes++;
        return closing.promise;
      },
      { timeoutMs: 60_000, warn: (m) => warnings.push(m) },
    );

    app.quit();
    await tick();
    expect(app.exited).toBe(false);
    // Quitting again while closing (the tray's Quit twice) neither closes twice nor exits early.
    app.quit();
    await tick();
    expect(app.exited).toBe(false);
    expect(closes).toBe(1);

    closing.resolve();
    await tick();
    expect(app.exited).toBe(true);
    expect(app.quits).toBe(3);
    expect(closes).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('quits anyway when close hangs past the time limit, and says so', async () => {
    const app = fakeApp();
    const warnings: string[] = [];
    app.listener = closeBeforeQuit(app, () => new Promise<void>(() => {}), {
      timeoutMs: 30,
      warn: (m) => warnings.push(m),
    });
    app.quit();
    await tick();
    expect(app.exited).toBe(false);
    await new Promise((done) => setTimeout(done, 60));
    expect(app.exited).toBe(true);
    expect(warnings).toEqual(['closing took longer than 0.03 s; quitting without waiting for it']);
  });

  it('quits anyway when close fails, and says why', async () => {
    for (const close of [
      () => Promise.reject(new Error('the store is locked')),
      () => {
        throw new Error('the store is locked');
      },
    ]) {
      const app = fakeApp();
      const warnings: string[] = [];
      app.listener = closeBeforeQuit(app, close, { timeoutMs: 60_000, warn: (m) => warnings.push(m) });
      app.quit();
      await tick();
      expect(app.exited).toBe(true);
      expect(warnings).toEqual(['closing failed, quitting anyway: the store is locked']);
    }
  });
});
