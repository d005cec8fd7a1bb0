// Crash at any point: each scenario's real process is SIGKILLed at a few random moments, then the data folder
// is checked as the kill left it and the app is started again on it (see crash-scenario.ts). The soak
// (`npm run soak`) runs the same scenarios at many more points. A failure prints the seed that replays it:
// ATTUNE_CRASH_SEED=<seed> npx vitest run test/reliability/crash-at-any-point.test.ts
import { describe, expect, it } from 'vitest';
import { crashSeed } from './crash-plan.js';
import { type CrashScenario, runCrashScenario } from './crash-scenario.js';
import { dictationScenario } from './scenarios/dictation.js';
import { enrolmentScenario } from './scenarios/enrolment.js';
import { exportScenario } from './scenarios/export.js';
import { modelSwapScenario } from './scenarios/model-swap.js';
import { settingsScenario } from './scenarios/settings.js';
import { trainingScenario } from './scenarios/training.js';

const seed = crashSeed();

/** Kill points per scenario here: a few, so the suite stays quick; the soak runs twenty and more. */
const cases: { scenario: () => CrashScenario; points: number; timeoutMs: number }[] = [
  { scenario: () => trainingScenario(), points: 4, timeoutMs: 240_000 },
  { scenario: () => dictationScenario({ maxMs: 5000 }), points: 2, timeoutMs: 90_000 },
  // Key by key: a patch is not stored whole today (settings-patch.test.ts); the soak holds it to whole patches.
  { scenario: () => settingsScenario({ wholePatches: false }), points: 2, timeoutMs: 90_000 },
  { scenario: () => modelSwapScenario(), points: 2, timeoutMs: 90_000 },
  { scenario: () => enrolmentScenario({ maxMs: 6000 }), points: 2, timeoutMs: 90_000 },
  { scenario: () => exportScenario(), points: 3, timeoutMs: 60_000 },
];

describe(`crash at any point (seed ${seed})`, () => {
  for (const c of cases) {
    const scenario = c.scenario();
    it(
      `${scenario.name}: ${scenario.description}`,
      async () => {
        const result = await runCrashScenario(scenario, {
          points: c.points,
          seed,
          log: (l) => console.log(l),
        });
        expect(result.failures).toEqual([]);
      },
      c.timeoutMs,
    );
  }
});
