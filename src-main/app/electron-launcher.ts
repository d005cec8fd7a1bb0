import { utilityProcess } from 'electron';
import type { EngineLauncher } from '../engine/engine-client.js';
import type { FromEngine } from '../engine/protocol.js';

/**
 * Runs the engine process as an Electron utility process (Chromium's sandboxed helper process
 * with Node), the Electron counterpart of child_process.fork used outside Electron.
 */
export const utilityLauncher: EngineLauncher = (entry) => {
  const child = utilityProcess.fork(entry, [], { serviceName: 'Attune speech engine', stdio: 'inherit' });
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
    onMessage: (h) => child.on('message', (m: unknown) => h(m as FromEngine)),
    onExit: (h) => child.on('exit', (code) => h(code)),
    kill: () => {
      child.kill();
    },
  };
};
