import type { AttuneApi, LossPoint, Settings, TrainingStatus } from '../../../src-main/ipc/contract.js';
import type { ModelVersion } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

/** Automatic training as the store keeps it (see SETTING_SCHEMAS). */
export interface AutoTrain {
  on: boolean;
  /** New corrections that start a run. */
  after: number;
}

/** Word error rates of a version against the one it was measured with (0.12 = 12%). */
export interface VersionScores {
  user: { before: number; after: number; utterances: number } | null;
  replay: { before: number; after: number } | null;
}

/** Label of the shipped model's row (as the main process names it). */
export const BASE_LABEL = 'base';

/** The trainer's states, as the user reads them. */
export const TRAINING_STATES: Readonly<Record<TrainingStatus['state'], string>> = {
  idle: 'Idle',
  waiting: 'Waiting — paused while you dictate',
  training: 'Training',
  evaluating: 'Measuring the new model',
  cancelling: 'Cancelling…',
  error: 'Error',
};

const BUSY: readonly TrainingStatus['state'][] = ['training', 'evaluating', 'waiting', 'cancelling'];

/** Reads the guard's numbers from a version's metrics; null parts where it was not measured. */
export function scoresOf(version: ModelVersion): VersionScores {
  const m = version.metrics as {
    user?: { before?: { wer?: unknown; utterances?: unknown }; after?: { wer?: unknown } };
    replay?: { before?: { wer?: unknown }; after?: { wer?: unknown } } | null;
  };
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const ub = m.user?.before?.wer;
  const ua = m.user?.after?.wer;
  const n = m.user?.before?.utterances;
  const rb = m.replay?.before?.wer;
  const ra = m.replay?.after?.wer;
  return {
    user: num(ub) && num(ua) && num(n) && n > 0 ? { before: ub, after: ua, utterances: n } : null,
    replay: num(rb) && num(ra) ? { before: rb, after: ra } : null,
  };
}

/** A version's loss curve, when its run recorded one. */
export function lossCurveOf(version: ModelVersion): LossPoint[] {
  const curve = version.metrics.lossCurve;
  return Array.isArray(curve)
    ? curve.filter(
        (p): p is LossPoint =>
          typeof p === 'object' && p !== null && typeof p.step === 'number' && typeof p.loss === 'number',
      )
    : [];
}

/**
 * The training screen's state: the trainer's status as the app reports it (pending corrections,
 * progress, loss curve, last result), the model versions, and automatic training's setting.
 */
export class Training {
  status = $state.raw<TrainingStatus | null>(null);
  /** Newest first, as the app lists them. */
  versions = $state.raw<ModelVersion[]>([]);
  auto = $state.raw<AutoTrain | null>(null);
  error = $state<string | null>(null);
  /** What the last action did, for a status line. */
  notice = $state<string | null>(null);
  /** An action in flight (start, cancel, a version being activated): its buttons wait. */
  pending = $state<string | null>(null);

  constructor(private readonly api: AttuneApi) {}

  /** Loads everything and follows the app's events; returns the unsubscribe. */
  connect(): () => void {
    void this.load();
    const offs = [
      this.api.on('training.status', (s) => {
        const wasBusy = this.running;
        this.status = s;
        // A run that ended added a version (promoted or rejected): list it. The result replaces "started".
        if (wasBusy && !this.running) {
          this.notice = null;
          void this.loadVersions();
        }
      }),
      this.api.on('models.changed', () => void this.loadVersions()),
    ];
    return () => offs.forEach((off) => off());
  }

  async load(): Promise<void> {
    try {
      const [status, versions, settings] = await Promise.all([
        this.api.call('training.status', {}),
        this.api.call('models.list', {}),
        this.api.call('settings.get', {}),
      ]);
      this.status = status;
      this.versions = versions;
      this.auto = pickAuto(settings);
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async loadVersions(): Promise<void> {
    try {
      this.versions = await this.api.call('models.list', {});
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  get running(): boolean {
    return this.status !== null && BUSY.includes(this.status.state);
  }

  get active(): ModelVersion | null {
    return this.versions.find((v) => v.status === 'active') ?? null;
  }

  /** The shipped model runs: it is the active version, or no version was ever made active. */
  get onBase(): boolean {
    const active = this.active;
    return active === null || active.label === BASE_LABEL;
  }

  /** Why "Train now" cannot be pressed now; null when it can. */
  get startBlocked(): string | null {
    const s = this.status;
    if (s === null) return 'Loading…';
    if (this.pending !== null) return 'Please wait…';
    if (this.running) return 'Training is running.';
    if (s.pendingCorrections === 0)
      return 'No corrections to learn from yet: correct a phrase in History first.';
    return null;
  }

  /**
   * The scores of the version the last run made (the newest personal one), for saying what changed; null
   * before the first run or while one runs.
   */
  get lastRunScores(): VersionScores | null {
    if (this.running || !this.status?.lastResult) return null;
    const newest = this.versions.filter((v) => v.label !== BASE_LABEL).sort((a, b) => b.id - a.id)[0];
    return newest ? scoresOf(newest) : null;
  }

  /** The loss curve to draw: the running run's, else the last run's. */
  get curve(): LossPoint[] {
    return this.status?.lossCurve ?? [];
  }

  async start(): Promise<void> {
    await this.act('start', async () => {
      this.status = await this.api.call('training.start', {});
      this.notice = 'Training started.';
    });
  }

  async cancel(): Promise<void> {
    await this.act('cancel', async () => {
      this.status = await this.api.call('training.cancel', {});
      this.notice = 'Training cancelled: nothing of the run was kept.';
    });
  }

  /** Makes this version the one dictation uses (a rollback, or back again). */
  async use(version: ModelVersion): Promise<void> {
    await this.act(`use-${version.id}`, async () => {
      const active = await this.api.call('models.activate', { id: version.id });
      this.notice = `Now using ${active.label}.`;
      await this.loadVersions();
    });
  }

  async resetToBase(): Promise<void> {
    await this.act('reset', async () => {
      await this.api.call('models.resetToBase', {});
      this.notice = 'Now using the model Attune ships with.';
      await this.loadVersions();
    });
  }

  async setAuto(patch: Partial<AutoTrain>): Promise<void> {
    const settings: Settings = {};
    if (patch.on !== undefined) settings.autoTrain = patch.on;
    if (patch.after !== undefined) settings.autoTrainAfter = patch.after;
    await this.act('auto', async () => {
      this.auto = pickAuto(await this.api.call('settings.set', { patch: settings }));
      this.notice = 'Automatic training saved.';
      if (this.status && this.auto) this.status = { ...this.status, autoTrain: this.auto.on };
    });
  }

  private async act(what: string, work: () => Promise<void>): Promise<void> {
    this.pending = what;
    this.notice = null;
    try {
      await work();
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.pending = null;
    }
  }
}

function pickAuto(s: Settings): AutoTrain {
  return {
    on: s.autoTrain !== false,
    after: typeof s.autoTrainAfter === 'number' ? s.autoTrainAfter : 20,
  };
}
