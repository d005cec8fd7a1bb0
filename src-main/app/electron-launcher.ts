import { utilityProcess } from 'electron';
import type { ChildLink } from '../process/child-process.js';
import type { EngineLauncher } from '../engine/engine-client.js';
import type { FromEngine, ToEngine } from '../engine/protocol.js';
import type { TrainerLauncher } from '../personal/trainer-client.js';
import type { FromTrainer, ToTrainer } from '../personal/protocol.js';
import type { HostWindowReply, HostWindowRequest } from '../compute/contract.js';
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

/**
 * A model process that may ask for compute host windows (it cannot make windows itself): its start message
 * says so (`hostWindow`), and its openHost and closeHost requests are served here, never passed on.
 */
function withHostWindows<To extends { type: string }, From extends { type: string }>(
  link: ChildLink<To, From>,
  startType: string,
): ChildLink<To, From> {
  let host: HostWindow | null = null;
  const reply = (msg: HostWindowReply) => link.send(msg as unknown as To);
  const serve = (msg: From): boolean => {
    const m = msg as unknown as HostWindowRequest | { type: string };
    if (m.type === 'openHost' && 'url' in m) {
      try {
        host?.close();
        host = openHostWindow(m.url, (reason) => {
          host = null;
          reply({ type: 'hostClosed', reason });
        });
        reply({ type: 'hostOpened' });
      } catch (err) {
        reply({ type: 'hostFailed', reason: (err as Error).message });
      }
      return true;
    }
    if (m.type === 'closeHost') {
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
    send: (msg) => link.send(msg.type === startType ? { ...msg, hostWindow: true } : msg),
    onMessage: (h) => link.onMessage((m) => serve(m) || h(m)),
    onExit: (h) => link.onExit(h),
    kill: () => link.kill(),
  };
}

export const utilityLauncher: EngineLauncher = (entry) =>
  withHostWindows(forkUtility<ToEngine, FromEngine>(entry, 'Attune speech engine'), 'init');

export const utilityTrainerLauncher: TrainerLauncher = (entry) =>
  withHostWindows(forkUtility<ToTrainer, FromTrainer>(entry, 'Attune personal trainer'), 'run');
