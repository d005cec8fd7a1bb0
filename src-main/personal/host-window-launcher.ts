import type { HostLauncher, LaunchedHost } from '../compute/host-server.js';
import type { FromTrainer, ToTrainer } from './protocol.js';

type HostReply = Extract<ToTrainer, { type: 'hostOpened' | 'hostFailed' | 'hostClosed' }>;

/**
 * Opens compute host pages through the parent process: in the desktop app, only the main process can make a
 * window, so the trainer asks it for a hidden one at the page's address (openHost) and hears back when it is
 * open, failed or gone. One page at a time.
 */
export class HostWindowLauncher {
  private waiting: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private gone: ((reason: string) => void) | null = null;

  constructor(private readonly send: (msg: FromTrainer) => void) {}

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

  /** The parent's answers, passed on from the trainer's port. */
  onReply(msg: HostReply): void {
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
