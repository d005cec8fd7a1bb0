import { utilityProcess } from 'electron';
import type { ChildLink } from '../process/child-process.js';
import type { EngineLauncher } from '../engine/engine-client.js';
import type { FromEngine, ToEngine } from '../engine/protocol.js';
import type { TrainerLauncher } from '../personal/trainer-client.js';
import type { FromTrainer, ToTrainer } from '../personal/protocol.js';
import { type HostWindow, openHostWindow } from './host-window.js';

/**
 * Runs the model processes (the speech engine, the personal trainer) as Electron utility processes
 * (Chromium's sandboxed helper process with Node), the Electron counterpart of child_process.fork used
 * outside Electron. Both entries talk over process.parentPort there (see their openPort()).
 */

function forkUtility<To, From>(entry: string, serviceName: string): ChildLink<To, From> {
  const child = utilityProcess.fork(entry, [], { serviceName, stdio: 'inherit' });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (msg) => {
      if (!exited) child.postMessage(msg);
    },
    onMessage: (h) => child.on('message', (m: unknown) => h(m as From)),
    onExit: (h) => child.on('exit', (code) => h(code)),
    kill: () => {
      child.kill();
    },
  };
}

export const utilityLauncher: EngineLauncher = (entry) =>
  forkUtility<ToEngine, FromEngine>(entry, 'Attune speech engine');

/**
 * The trainer as a utility process that may ask for compute host windows (it cannot make windows itself):
 * its run message says so, and its openHost and closeHost requests are served here, never passed on.
 */
export const utilityTrainerLauncher: TrainerLauncher = (entry) => {
  const link = forkUtility<ToTrainer, FromTrainer>(entry, 'Attune personal trainer');
  let host: HostWindow | null = null;
  const serve = (msg: FromTrainer): boolean => {
    if (msg.type === 'openHost') {
      try {
        host?.close();
        host = openHostWindow(msg.url, (reason) => {
          host = null;
          link.send({ type: 'hostClosed', reason });
        });
        link.send({ type: 'hostOpened' });
      } catch (err) {
        link.send({ type: 'hostFailed', reason: (err as Error).message });
      }
      return true;
    }
    if (msg.type === 'closeHost') {
      host?.close();
      return true;
    }
    return false;
  };
  link.onExit(() => host?.close());
  return {
    get pid() {
      return link.pid;
    },
    send: (msg) => link.send(msg.type === 'run' ? { ...msg, hostWindow: true } : msg),
    onMessage: (h) => link.onMessage((m) => serve(m) || h(m)),
    onExit: (h) => link.onExit(h),
    kill: () => link.kill(),
  };
};
