// A data folder made ready for a crash scenario before the app first starts on it: model versions (tiny
// models, so `attune serve` loads in seconds without --model, which would hide what the store says is
// active), and settings that keep the scenario to its own work.
import { Store } from '../../src-main/store/store.js';
import type { Settings } from '../../src-main/store/settings.js';

export interface SeedOptions {
  /** Model versions to record, in order; the first is made active. */
  models?: { label: string; dir: string }[];
  settings?: Partial<Settings>;
}

/**
 * Settings every scenario starts from: no training unless a scenario starts it (the stand-in's recipe is not
 * `attune serve`'s), and phrases stay in Attune's window (nothing is typed or copied anywhere).
 */
export const QUIET_SETTINGS: Partial<Settings> = { autoTrain: false, outputMode: 'window' };

/** Records the versions and settings; returns the version ids, in the order given. */
export function seedDataFolder(dataDir: string, opts: SeedOptions = {}): number[] {
  const store = Store.open({ dataDir });
  try {
    const ids = (opts.models ?? []).map(
      (m) => store.models.create({ label: m.label, dir: m.dir, reason: 'made for a crash test' }).id,
    );
    if (ids.length > 0) store.models.setActive(ids[0], 'made for a crash test');
    for (const [key, value] of Object.entries({ ...QUIET_SETTINGS, ...opts.settings }))
      store.settings.set(key as keyof Settings, value as never);
    return ids;
  } finally {
    store.close();
  }
}
