import { setPriority } from 'node:os';
import { chromiumLauncher } from '../compute/chromium-launcher.js';
import {
  type ComputeBackend,
  describeComputeBackend,
  startComputeBackend,
} from '../compute/compute-backend.js';
import { HostWindowLauncher } from '../compute/host-window-launcher.js';
import { personalize, type PersonalizeResult, readJob } from '../training/personalize.js';
import { trainingThreads } from '../training/shard-workers.js';
import { openParentPort, type ParentPort } from '../process/parent-port.js';
import type { FromTrainer, ToTrainer } from './protocol.js';

/**
 * Entry of the trainer process: runs one personal fine-tuning job and exits. It runs at a lower
 * scheduling priority with one compute thread, and holds between steps while told to pause, so live
 * dictation in the engine process always has the CPU it needs.
 */

type Port = ParentPort<ToTrainer, FromTrainer>;

/** Niceness of the trainer: below normal, so the engine and the window win every contest for a core. */
const NICENESS = 10;

function openPort(): Port {
  // The app is gone (killed, crashed): stop too. The job's checkpoint stays for the next start.
  return openParentPort<ToTrainer, FromTrainer>({ who: 'trainer', exitWithParent: true });
}

export function runTrainer(port: Port = openPort(), exit: (code: number) => void = process.exit): void {
  const controller = new AbortController();
  let paused = false;
  let wake: (() => void) | null = null;
  let running = false;
  const windows = new HostWindowLauncher((m) => port.send(m));

  const gate = async () => {
    while (paused && !controller.signal.aborted) await new Promise<void>((r) => (wake = r));
  };
  const release = () => {
    wake?.();
    wake = null;
  };

  port.onMessage((msg) => {
    switch (msg.type) {
      case 'pause':
        paused = true;
        break;
      case 'resume':
        paused = false;
        release();
        break;
      case 'cancel':
        controller.abort();
        release();
        break;
      case 'hostOpened':
      case 'hostFailed':
      case 'hostClosed':
        windows.onReply(msg);
        break;
      case 'run':
        if (running) return port.send({ type: 'error', message: 'the trainer is already running a job' });
        running = true;
        void (async () => {
          try {
            try {
              setPriority(NICENESS);
            } catch {
              // Not permitted here: run at normal priority, the pauses still protect dictation.
            }
            const backend = await startComputeBackend({
              prefer: (msg.backend ?? 'auto') as 'auto',
              // Training threads share each batch, each on a single-threaded backend.
              wasmThreads: 1,
              autoWebGpu: true,
              launcher: msg.hostWindow ? windows.launch : chromiumLauncher(),
            });
            let result: PersonalizeResult;
            try {
              const threads = trainingThreads(backend.local.name, msg.threads ?? 1);
              port.send({
                type: 'started',
                backend: backend.name,
                threads: startedThreads(backend, threads),
                description: describeComputeBackend(backend),
              });
              const job = readJob(msg.workDir);
              if (!job) throw new Error(`no training job in ${msg.workDir}`);
              result = await personalize(job, {
                threads,
                signal: controller.signal,
                beforeStep: gate,
                onProgress: (p) => port.send({ type: 'progress', ...p }),
                host: backend.host,
                onNotice: (message) => port.send({ type: 'notice', message }),
              });
            } finally {
              // Before the result: the process exits once it is sent, and the browser must not outlive it.
              await backend.host?.close();
            }
            port.send({ type: 'result', result }, () => exit(0));
          } catch (err) {
            port.send({ type: 'error', message: err instanceof Error ? err.message : String(err) }, () =>
              exit(1),
            );
          }
        })();
        break;
    }
  });
}

/** The threads reported to the app: native TensorFlow's cores per op, else the training threads. */
function startedThreads(backend: ComputeBackend, threads: number): number {
  const native = backend.local.name === 'tensorflow' || backend.local.name === 'tensorflow-gpu';
  return backend.host ? 1 : native ? backend.local.threads : threads;
}

// Started as a process entry (not imported by tests): run.
if (process.argv[1] && /trainer-process\.(ts|js)$/.test(process.argv[1])) runTrainer();
