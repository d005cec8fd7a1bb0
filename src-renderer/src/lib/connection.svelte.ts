import type { AttuneApi } from '../../../src-main/ipc/contract.js';

export type ConnectionState = 'connecting' | 'ready' | 'lost' | 'failed';

/** Whether the page can talk to the app: connecting, ready, lost (reload to reconnect), or failed to connect. */
export class Connection {
  state = $state<ConnectionState>('connecting');
  /** Why it failed or was lost, as the client said it. */
  error = $state<string | null>(null);
  api = $state.raw<AttuneApi | null>(null);

  /** Connects through `open`, which reports a later loss through its callback. */
  async open(open: (onLost: (reason: string) => void) => Promise<AttuneApi>): Promise<void> {
    this.state = 'connecting';
    try {
      this.api = await open((reason) => this.lose(reason));
      if (this.state === 'connecting') this.state = 'ready';
    } catch (err) {
      this.state = 'failed';
      this.error = (err as Error).message;
    }
  }

  lose(reason: string): void {
    if (this.state === 'failed') return;
    this.state = 'lost';
    this.error = reason;
  }
}
