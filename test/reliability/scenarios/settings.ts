// Settings changed without pause while `attune serve` is SIGKILLed: each change is a patch of several keys,
// which applies whole or not at all. After the kill the stored settings are the last patch the client was told
// was saved, or the one it was still waiting on; the restarted app reads them back the same. Checked key by
// key when `wholePatches` is off: a patch is not stored in one transaction today (see settings-patch.test.ts).
import type { Settings } from '../../../src-main/store/settings.js';
import { query } from '../app-checks.js';
import type { RunningApp } from '../app-process.js';
import type { CrashScenario } from '../crash-scenario.js';
import { oneOf } from '../invariants.js';
import { WriteLedger } from '../ledger.js';
import { appFolder, type AppFolder, killAppAt, repeat } from './app-scenario.js';

export interface SettingsCrashConfig {
  /** The kill comes up to this many ms after the changes began. */
  maxMs: number; // 3000
  /** Hold the store to whole patches (the promise); off: each key to one of the values it was given. */
  wholePatches: boolean; // true
}

export const DEFAULT_SETTINGS_CRASH: SettingsCrashConfig = { maxMs: 3000, wholePatches: true };

export type Patch = Partial<Settings>;

const FORMATS = ['txt', 'srt', 'vtt', 'json'] as const;

/** The n-th patch: every key differs from the patch before it, and disabledCommands says n. */
export function patchFor(n: number): Patch {
  return {
    trashRetentionDays: n % 3650,
    autoTrainAfter: (n % 9999) + 1,
    exportFormat: FORMATS[n % FORMATS.length],
    replayMargin: 0.02 + (n % 98) / 100,
    lexiconBoost: n % 2 === 0,
    disabledCommands: [`command-${n}`],
  };
}

/** The patches' keys as they are in `values` (stored, or as the app reports them). */
export function pick(values: Record<string, unknown>): Patch {
  return Object.fromEntries(Object.keys(patchFor(0)).map((k) => [k, values[k]])) as Patch;
}

/** The patches' keys as rows of the settings table hold them. */
export function fromRows(rows: { key: string; value: string }[]): Patch {
  return pick(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
}

/** The settings as stored in the data folder's database. */
function storedSettings(dataDir: string): Patch {
  return fromRows(query<{ key: string; value: string }>(dataDir, 'SELECT key, value FROM settings'));
}

export function settingsScenario(config: Partial<SettingsCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_SETTINGS_CRASH, ...config };
  let f: AppFolder | null = null;
  let next = 1;
  const patches = new WriteLedger<'settings', Patch>();

  const held = (what: string, actual: Patch): string[] => {
    const allowed = patches.allowed('settings');
    if (cfg.wholePatches) return oneOf(what, actual, allowed);
    return Object.keys(actual).flatMap((k) =>
      oneOf(
        `${what}: ${k}`,
        actual[k as keyof Patch],
        allowed.map((p) => p[k as keyof Patch]),
      ),
    );
  };
  const storedProblems = async () => held('the stored settings', storedSettings(f!.dataDir));
  const shownProblems = async (app: RunningApp) =>
    held('the settings the restarted app reports', pick(await app.api.call('settings.get', {})));

  return {
    name: 'settings',
    description: 'patches of six settings saved back to back through `attune serve`',
    async setup() {
      f = await appFolder('settings', undefined, { settings: patchFor(0) });
      patches.acked('settings', patchFor(0));
    },
    point: (u) =>
      killAppAt(f!, {
        afterStart: shownProblems,
        work: (app) => {
          const stop = repeat(async () => {
            const patch = patchFor(next++);
            patches.sent('settings', patch);
            await app.api.call('settings.set', { patch });
            patches.acked('settings', patch);
          });
          return () => `${stop()} patches saved by then`;
        },
        delayMs: u * cfg.maxMs,
        what: 'into the changes',
        afterKill: storedProblems,
      }),
    finish: () => f!.finish(shownProblems),
    close: async () => f?.remove(),
  };
}
