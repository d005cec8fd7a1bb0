// Model versions swapped back and forth in `attune serve` (the engine loads each, then the store records it
// as active) while the app is SIGKILLed. The store names as active the version last reported active, or the
// one being swapped to; the restarted engine runs exactly that model.
import { join } from 'node:path';
import { saveTinyModel } from '../../app/app-helpers.js';
import { query } from '../app-checks.js';
import type { CrashScenario } from '../crash-scenario.js';
import { oneOf } from '../invariants.js';
import { WriteLedger } from '../ledger.js';
import { appFolder, type AppFolder, killAppAt, repeat } from './app-scenario.js';

export interface ModelSwapCrashConfig {
  /** The kill comes up to this many ms after the swaps began. */
  maxMs: number; // 4000
}

export const DEFAULT_MODEL_SWAP_CRASH: ModelSwapCrashConfig = { maxMs: 4000 };

export function modelSwapScenario(config: Partial<ModelSwapCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_MODEL_SWAP_CRASH, ...config };
  let f: AppFolder | null = null;
  let ids: number[] = [];
  const active = new WriteLedger<'active', number>();

  const activeProblems = (): string[] => {
    const rows = query<{ id: number }>(f!.dataDir, `SELECT id FROM model_versions WHERE status = 'active'`);
    return oneOf(
      'the active model version',
      rows.map((r) => r.id),
      active.allowed('active').map((id) => [id]),
    );
  };

  return {
    name: 'model swap',
    description: 'two model versions made active in turn through `attune serve`',
    async setup() {
      f = await appFolder('model-swap', async (modelsDir) => {
        const models = [1, 2].map((seed) => ({
          label: `tiny ${seed}`,
          dir: join(modelsDir, `tiny-${seed}`),
        }));
        for (const [i, m] of models.entries()) await saveTinyModel(m.dir, i + 1);
        return models;
      });
      ids = f.versionIds;
      active.acked('active', ids[0]);
    },
    async point(u) {
      return killAppAt(f!, {
        afterStart: async () => activeProblems(),
        work: (app) => {
          let swaps = 0;
          const stop = repeat(async () => {
            const id = ids[++swaps % 2];
            active.sent('active', id);
            await app.api.call('models.activate', { id });
            active.acked('active', id);
          });
          return () => `${stop()} swaps done by then`;
        },
        delayMs: u * cfg.maxMs,
        what: 'into the swaps',
        afterKill: async () => activeProblems(),
      });
    },
    finish: () => f!.finish(async () => activeProblems()),
    close: async () => f?.remove(),
  };
}
