// The store's upkeep while the app runs: the trash is emptied of sessions older than the user's
// trashRetentionDays, and clip files a crash left behind (temporary files of killed writes, clips no segment
// refers to) are removed. Once at start, then periodically, so a setting takes effect without a restart and an
// app left running for weeks still keeps its promise. A clip the database names is never removed: the sweep
// checks each file against its row just before removing it (Store.sweepAudio).

import type { Store } from '../store/store.js';

export interface HousekeepingConfig {
  /** Time between two rounds while the app runs, in ms: sessions leave the trash at most this late. */
  intervalMs: number; // 1 hour
}

export const DEFAULT_HOUSEKEEPING: HousekeepingConfig = { intervalMs: 60 * 60 * 1000 };

const DAY_MS = 24 * 60 * 60 * 1000;

export interface HousekeepingReport {
  /** Sessions erased from the trash, with their audio. */
  purgedSessions: number[];
  /** Clip paths (relative to the data folder) of removed leftovers. */
  removedClips: string[];
}

/** One round: empties the trash as trashRetentionDays says, then sweeps the audio folder. */
export async function tidyStore(store: Store): Promise<HousekeepingReport> {
  const retentionDays = store.settings.get('trashRetentionDays');
  const purgedSessions = await store.purgeDeleted(retentionDays * DAY_MS);
  const removedClips = await store.sweepAudio();
  return { purgedSessions, removedClips };
}

/** Runs tidyStore at start and every intervalMs until stopped; rounds never overlap. */
export class Housekeeper {
  private readonly cfg: HousekeepingConfig;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<HousekeepingReport | null> | null = null;

  constructor(
    private readonly store: Store,
    /** Told of each round that changed something (e.g. to refresh the trash view), and of failures. */
    private readonly onRound: (report: HousekeepingReport | null, error: Error | null) => void,
    config: Partial<HousekeepingConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_HOUSEKEEPING, ...config };
    if (!(this.cfg.intervalMs > 0))
      throw new Error(`housekeeping: intervalMs must be > 0, got ${this.cfg.intervalMs}`);
  }

  /** Runs a round now and schedules the next ones; resolves with this round's report (null: it failed). */
  start(): Promise<HousekeepingReport | null> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.round(), this.cfg.intervalMs);
      // Upkeep alone must not keep a process alive.
      this.timer.unref();
    }
    return this.round();
  }

  /** Stops the rounds; resolves once a round in progress has ended, so the store can be closed. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private round(): Promise<HousekeepingReport | null> {
    this.running ??= (async () => {
      try {
        const report = await tidyStore(this.store);
        if (report.purgedSessions.length > 0 || report.removedClips.length > 0) this.onRound(report, null);
        return report;
      } catch (err) {
        // A failed round (e.g. a folder that cannot be listed) is reported and tried again next time.
        this.onRound(null, err instanceof Error ? err : new Error(String(err)));
        return null;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
