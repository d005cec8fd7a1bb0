import type {
  AttuneApi,
  EnrolmentPrompt,
  EnrolmentStatus,
  EnrolmentTake,
} from '../../../src-main/ipc/contract.js';
import type { EnrolmentItem } from '../../../src-main/store/enrolment.js';
import { messageOf } from './format.js';

export interface EnrolmentConfig {
  /** Level shown when none has arrived, in dB full scale (the meter's floor). */
  floorDb: number; // -60
}

export const DEFAULT_ENROLMENT_VIEW: EnrolmentConfig = { floorDb: -60 };

/**
 * Enrolment's state in the page: the prompt set, where the user stands in it (the app's status), the
 * prompt on screen, the take being recorded with its live level, and the last take of the prompt shown.
 * It lives as long as the page, so a take goes on recording while the user looks at another view.
 */
export class Enrolment {
  prompts = $state.raw<EnrolmentPrompt[]>([]);
  source = $state<string>('');
  status = $state.raw<EnrolmentStatus | null>(null);
  /**
   * The prompt the user chose to stay on (just recorded, to play back or record again); null: the app's
   * next prompt.
   */
  chosen = $state<string | null>(null);
  error = $state<string | null>(null);
  /** An action in flight: its buttons wait. */
  pending = $state<'record' | 'skip' | 'decline' | null>(null);
  /** Stop was pressed and the take is being stored (it runs beside the pending record). */
  stopping = $state(false);
  rmsDb: number;
  peakDb: number;
  readonly cfg: EnrolmentConfig;

  constructor(
    private readonly api: AttuneApi,
    config: Partial<EnrolmentConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_ENROLMENT_VIEW, ...config };
    this.rmsDb = $state(this.cfg.floorDb);
    this.peakDb = $state(this.cfg.floorDb);
  }

  /**
   * Loads the prompts and the status and follows the app's events; returns the unsubscribe. The offer made
   * at launch (status.offer) stands until the user answers it or the page reloads: a banner that vanished
   * when dictation began would move the page under the user's eyes.
   */
  connect(): () => void {
    void this.load();
    const offs = [
      this.api.on('enrolment.status', (s) => {
        this.status = s;
        if (!s.recording) this.rmsDb = this.peakDb = this.cfg.floorDb;
      }),
      this.api.on('enrolment.level', (l) => {
        this.rmsDb = l.rmsDb;
        this.peakDb = l.peakDb;
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  async load(): Promise<void> {
    try {
      const [set, status] = await Promise.all([
        this.api.call('enrolment.prompts', {}),
        this.api.call('enrolment.status', {}),
      ]);
      this.prompts = set.prompts;
      this.source = set.source;
      this.status = status;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** The prompt on screen: the one being recorded, else the one chosen, else the next to read. */
  get shown(): EnrolmentPrompt | null {
    const id = this.status?.recording?.promptId ?? this.chosen ?? this.status?.next ?? null;
    return this.prompts.find((p) => p.id === id) ?? null;
  }

  /** 1-based position of the shown prompt in the set. */
  get position(): number {
    const shown = this.shown;
    return shown ? this.prompts.indexOf(shown) + 1 : 0;
  }

  /** The stored take of the shown prompt, if it has one. */
  get take(): EnrolmentItem | null {
    const id = this.shown?.id;
    return this.status?.items.find((i) => i.promptId === id && i.status === 'recorded') ?? null;
  }

  get recording(): boolean {
    return this.status?.recording != null;
  }

  /** Every prompt is recorded (skipped ones are offered again until then). */
  get finished(): boolean {
    return this.status !== null && this.status.next === null;
  }

  /** Share of the reading the enrolment aims for, from 0 to 1. */
  get progress(): number {
    const s = this.status;
    return s && s.targetMs > 0 ? Math.min(1, s.speechMs / s.targetMs) : 0;
  }

  /** Why "Train on my voice" cannot be pressed yet; null when it can (training may refuse for its own reasons). */
  get trainBlocked(): string | null {
    const s = this.status;
    if (!s) return 'Loading…';
    const missing = s.minTakes - s.recorded;
    if (missing > 0) return `Record ${missing} more sentence${missing === 1 ? '' : 's'} first.`;
    return null;
  }

  /** Records the shown prompt until stop(); stays on it afterwards, to play it back or record it again. */
  async record(device?: string): Promise<EnrolmentTake | null> {
    const prompt = this.shown;
    if (!prompt || this.recording || this.pending !== null) return null;
    this.chosen = prompt.id;
    return this.act('record', async () => {
      const r = await this.api.call('enrolment.record', {
        promptId: prompt.id,
        ...(device ? { device } : {}),
      });
      this.status = r.status;
      return r.take;
    });
  }

  /** Ends the take being recorded (keeping it, unless `discard`). */
  async stop(discard = false): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    try {
      this.status = await this.api.call('enrolment.stop', discard ? { discard } : {});
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.stopping = false;
    }
  }

  /** Passes over the shown prompt for now (it comes back at the end). */
  async skip(): Promise<void> {
    const prompt = this.shown;
    if (!prompt) return;
    await this.act('skip', async () => {
      this.status = await this.api.call('enrolment.skip', { promptId: prompt.id });
      this.chosen = null;
    });
  }

  /** On to the next prompt that is neither recorded nor skipped. */
  next(): void {
    this.chosen = null;
    this.error = null;
  }

  /** Goes back to a recorded prompt, to hear it or record it again. */
  choose(promptId: string): void {
    this.chosen = promptId;
    this.error = null;
  }

  /** The user does not want enrolment offered at launch again (Settings still has it). */
  async decline(): Promise<void> {
    await this.act('decline', async () => {
      await this.api.call('settings.set', { patch: { enrolmentDeclined: true } });
      this.status = await this.api.call('enrolment.status', {});
    });
  }

  /** Where the shown take's clip can be fetched (null when it has none). */
  async audioUrl(): Promise<string | null> {
    const take = this.take;
    if (!take?.segmentId) return null;
    return (await this.api.call('segments.audioUrl', { segmentId: take.segmentId })).url;
  }

  private async act<T>(what: NonNullable<Enrolment['pending']>, work: () => Promise<T>): Promise<T | null> {
    this.pending = what;
    this.error = null;
    try {
      return await work();
    } catch (err) {
      this.error = messageOf(err);
      return null;
    } finally {
      this.pending = null;
    }
  }
}
