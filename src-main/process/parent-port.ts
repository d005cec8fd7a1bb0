/**
 * The channel a child process (the engine, the trainer) talks to the app over. Electron's utilityProcess
 * gives process.parentPort; a Node child process (fork) gives process.send. The two differ only in how
 * messages are carried, so each child opens this and never asks which it is.
 */
export interface ParentPort<In, Out> {
  /** Sends a message; `sent` runs once it has left this process (so exiting after it loses nothing). */
  send(msg: Out, sent?: () => void): void;
  onMessage(handler: (msg: In) => void): void;
}

export interface ParentPortConfig {
  /** The child's name, for the error when it was started without a parent. */
  who: string;
  /**
   * Exit when the parent's channel closes (the app was killed or crashed). A child whose work outlives a
   * message (the trainer's job) would otherwise keep the CPU with no one to report to.
   */
  exitWithParent: boolean;
}

export function openParentPort<In, Out>(cfg: ParentPortConfig): ParentPort<In, Out> {
  const parentPort = (
    process as unknown as {
      parentPort?: {
        postMessage(m: unknown): void;
        on(e: 'message', h: (ev: { data: unknown }) => void): void;
      };
    }
  ).parentPort;
  if (parentPort) {
    return {
      send: (msg, sent) => {
        parentPort.postMessage(msg);
        if (sent) setImmediate(sent);
      },
      onMessage: (h) => parentPort.on('message', (ev) => h(ev.data as In)),
    };
  }
  if (process.send) {
    if (cfg.exitWithParent) process.on('disconnect', () => process.exit(0));
    return {
      send: (msg, sent) => process.send!(msg, undefined, undefined, () => sent?.()),
      onMessage: (h) => process.on('message', (m) => h(m as In)),
    };
  }
  throw new Error(`${cfg.who} process started without a parent to talk to`);
}
