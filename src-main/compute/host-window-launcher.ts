import type { HostWindowReply, HostWindowRequest } from './contract.js';
import type { HostLauncher, LaunchedHost } from './host-server.js';

/**
 * Opens compute host pages through the parent process: in the desktop app, only the main process can make a
 * window, so a model process (the trainer, the engine) asks it for a hidden one at the page's address (openHost) and hears back when it is
 * open, failed or gone. One page at a time.
 */
export class HostWindowLauncher {
  private waiting: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private gone: ((reason: string) => void) | null = null;

  constructor(private readonly send: (msg: HostWindowRequest) => void) {}

  readonly launch: HostLauncher = (url: string): Promise<LaunchedHost> =>
    new Promise<void>((resolve, reject) => {
      if (this.waiting || this.gone) return reject(new Error('a compute host window is already open'));
      this.waiting = { resolve, reject };
      this.send({ type: 'openHost', url });
    }).then(() => {
      const exited = new Promise<string>((resolve) => (this.gone = resolve));
      return {
        exited,
        close: async () => {
          if (this.gone) this.send({ type: 'closeHost' });
          await exited;
        },
      };
    });

  /** The parent's answers, passed on from the process's port. */
  onReply(msg: HostWindowReply): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (msg.type === 'hostOpened') return waiting?.resolve();
    if (msg.type === 'hostFailed') return waiting?.reject(new Error(`no host window: ${msg.reason}`));
    waiting?.reject(new Error(`the host window closed: ${msg.reason}`));
    const gone = this.gone;
    this.gone = null;
    gone?.(`the host window closed: ${msg.reason}`);
  }
}
