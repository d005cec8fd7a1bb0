import { Capture, CaptureError, type CaptureConfig, MIN_DBFS } from '../engine/capture.js';
import type { EventPayloads, MicTestResult } from '../ipc/contract.js';

/**
 * The microphone test of Settings: a short capture from one device whose level readings go to the
 * renderer, with no session, no engine and nothing stored. One test at a time; a new one, or dictation
 * starting, ends the one going on.
 */
export interface MicTestConfig {
  /** How long a test runs when the request names no length, in seconds. */
  defaultSeconds: number; // 5
  /** Level events to the renderer at most this often, in ms (the meter animates between them). */
  levelIntervalMs: number; // 100
  /** Microphone settings shared with dictation (recorder, environment); the device comes per test. */
  capture: Partial<CaptureConfig>;
}

export const DEFAULT_MIC_TEST: MicTestConfig = { defaultSeconds: 5, levelIntervalMs: 100, capture: {} };

export class MicTest {
  private readonly cfg: MicTestConfig;
  private capture: Capture | null = null;
  /** Ends the running test early (stop(), or a new test). */
  private endEarly: (() => void) | null = null;
  /** stop() was asked for: a capture that had not started yet is no failure then. */
  private stopping = false;

  constructor(
    private readonly emitLevel: (level: EventPayloads['devices.level']) => void,
    config: Partial<MicTestConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_MIC_TEST, ...config };
  }

  get running(): boolean {
    return this.capture !== null;
  }

  /**
   * Records from `device` for `seconds`, emitting its level; resolves when the test is over with the
   * loudest readings. Rejects with the capture's error when the device cannot be opened.
   */
  async run(device: string, seconds = this.cfg.defaultSeconds): Promise<MicTestResult> {
    await this.stop();
    this.stopping = false;
    const capture = new Capture({ ...this.cfg.capture, device });
    this.capture = capture;
    let maxRmsDb = MIN_DBFS;
    let maxPeakDb = MIN_DBFS;
    let readings = 0;
    let lastEmit = 0;
    let failure: CaptureError | null = null;
    capture.on('level', (l) => {
      maxRmsDb = Math.max(maxRmsDb, l.rms);
      maxPeakDb = Math.max(maxPeakDb, l.peak);
      const now = Date.now();
      if (now - lastEmit < this.cfg.levelIntervalMs) return;
      lastEmit = now;
      readings++;
      this.emitLevel({ device, rmsDb: l.rms, peakDb: l.peak });
    });
    // A recorder that dies for good ends the test with its error; one that restarts is only a hiccup.
    capture.on('error', (e) => {
      if (!e.details.willRestart) failure = e;
    });
    try {
      try {
        await capture.start();
      } catch (err) {
        // Stopped before the first audio: nothing was measured, nothing went wrong.
        if (this.stopping && err instanceof CaptureError && err.code === 'STOPPED')
          return { device, seconds: 0, maxRmsDb, maxPeakDb, readings };
        throw err;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        const stopped = () => resolve();
        capture.once('stopped', stopped);
        this.endEarly = () => {
          clearTimeout(timer);
          capture.off('stopped', stopped);
          resolve();
        };
      });
    } finally {
      this.endEarly = null;
      await capture.stop();
      if (this.capture === capture) this.capture = null;
    }
    if (failure) throw failure;
    return { device, seconds: capture.stats().seconds, maxRmsDb, maxPeakDb, readings };
  }

  /** Ends the running test (its run() resolves with what was measured); resolves once the device is free. */
  async stop(): Promise<void> {
    const capture = this.capture;
    if (!capture) return;
    this.stopping = true;
    this.endEarly?.();
    await capture.stop();
  }
}
