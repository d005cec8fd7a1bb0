import type { AttuneApi, MicTestResult } from '../../../src-main/ipc/contract.js';
import { messageOf } from './format.js';

export interface MicCheckConfig {
  /** How long a test records, in seconds. */
  seconds: number; // 5
  /** Level shown when none has arrived, in dB full scale (the meter's floor). */
  floorDb: number; // -60
  /** Below this loudest level the test says nothing was heard, in dB full scale. */
  silentDb: number; // -50
}

export const DEFAULT_MIC_CHECK: MicCheckConfig = { seconds: 5, floorDb: -60, silentDb: -50 };

/** The microphone test of Settings: records a few seconds from a device and shows its live level. */
export class MicCheck {
  running = $state(false);
  rmsDb: number;
  peakDb: number;
  result = $state.raw<MicTestResult | null>(null);
  error = $state<string | null>(null);
  readonly cfg: MicCheckConfig;

  constructor(
    private readonly api: AttuneApi,
    config: Partial<MicCheckConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_MIC_CHECK, ...config };
    this.rmsDb = $state(this.cfg.floorDb);
    this.peakDb = $state(this.cfg.floorDb);
  }

  /** What the finished test found, in words; null before the first test. */
  get verdict(): string | null {
    const r = this.result;
    if (!r) return null;
    if (r.seconds === 0) return 'The test was ended before the microphone delivered sound.';
    const loudest = `loudest ${Math.round(r.maxRmsDb)} dB`;
    return r.maxRmsDb < this.cfg.silentDb
      ? `Almost nothing was heard (${loudest}): check that the microphone is on and not muted.`
      : `The microphone works (${loudest}).`;
  }

  /** Tests `device`; resolves when the test is over. */
  async run(device: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.error = null;
    this.result = null;
    const off = this.api.on('devices.level', (l) => {
      if (l.device !== device) return;
      this.rmsDb = l.rmsDb;
      this.peakDb = l.peakDb;
    });
    try {
      this.result = await this.api.call('devices.test', { device, seconds: this.cfg.seconds });
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      off();
      this.running = false;
      this.rmsDb = this.peakDb = this.cfg.floorDb;
    }
  }
}
