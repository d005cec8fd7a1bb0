/**
 * Quitting waits for the app to close: dictation stores its last phrase and the engine and trainer
 * processes end before Electron exits. Electron does not wait for a promise in 'will-quit', so the first
 * quit is held back (preventDefault), the app closed, and quit asked again, which then goes through. A close
 * that hangs is given up on after a time limit: quitting must not leave an invisible app running.
 */
export interface QuittingApp {
  quit(): void;
}

export interface CloseBeforeQuitOptions {
  /** The longest quitting waits for close(). */
  timeoutMs: number;
  /** Told when close() failed or ran out of time (the app quits anyway). */
  warn: (message: string) => void;
}

/** Returns the 'will-quit' listener. */
export function closeBeforeQuit(
  app: QuittingApp,
  close: () => Promise<void>,
  opts: CloseBeforeQuitOptions,
): (event: { preventDefault(): void }) => void {
  let state: 'running' | 'closing' | 'closed' = 'running';
  return (event) => {
    if (state === 'closed') return;
    event.preventDefault();
    if (state === 'closing') return; // a second quit while closing: the first one finishes it
    state = 'closing';
    void closeWithin(close, opts).finally(() => {
      state = 'closed';
      app.quit();
    });
  };
}

async function closeWithin(close: () => Promise<void>, opts: CloseBeforeQuitOptions): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), opts.timeoutMs);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(close), timedOut]);
    if (outcome === 'timeout') {
      opts.warn(`closing took longer than ${opts.timeoutMs / 1000} s; quitting without waiting for it`);
    }
  } catch (err) {
    opts.warn(`closing failed, quitting anyway: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
