import { utilityProcess } from 'electron';
import type { ChildLink } from '../process/child-process.js';
import type { EngineLauncher } from '../engine/engine-client.js';
import type { FromEngine, ToEngine } from '../engine/protocol.js';
import type { TrainerLauncher } from '../personal/trainer-client.js';
import type { FromTrainer, ToTrainer } from '../personal/protocol.js';

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

export const utilityTrainerLauncher: TrainerLauncher = (entry) =>
  forkUtility<ToTrainer, FromTrainer>(entry, 'Attune personal trainer');
