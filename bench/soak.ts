// The soak (not part of `npm test`): continuous dictation into `attune serve` for half an hour with a
// WebSocket storm halfway, then every crash scenario at twenty kill points or more. Writes
// bench/RELIABILITY.md and bench/RELIABILITY.json from what it measured.
//
//   npm run soak                                  # 30 minutes, 20 kill points per scenario
//   npm run soak -- --minutes 3 --points 3        # a short check of the soak itself
//   npm run soak -- --only crash --scenarios export,settings --seed 42
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crashSeed } from '../test/reliability/crash-plan.js';
import {
  type CrashScenario,
  runCrashScenario,
  type ScenarioResult,
} from '../test/reliability/crash-scenario.js';
import { dictationScenario } from '../test/reliability/scenarios/dictation.js';
import { enrolmentScenario } from '../test/reliability/scenarios/enrolment.js';
import { exportScenario } from '../test/reliability/scenarios/export.js';
import { modelSwapScenario } from '../test/reliability/scenarios/model-swap.js';
import { settingsScenario } from '../test/reliability/scenarios/settings.js';
import { trainingScenario } from '../test/reliability/scenarios/training.js';
import { repoRoot } from './child.js';
import { machineBasics } from './report.js';
import { soakDictation } from './soak-dictation.js';
import { renderReliability, type SoakReport } from './soak-report.js';

/** Every crash scenario, by the name --scenarios takes. */
const SCENARIOS: Record<string, () => CrashScenario> = {
  dictation: () => dictationScenario(),
  export: () => exportScenario(),
  settings: () => settingsScenario(),
  training: () => trainingScenario(),
  enrolment: () => enrolmentScenario(),
  'model-swap': () => modelSwapScenario(),
};

const USAGE = `npx tsx bench/soak.ts [options]
  --minutes N      minutes of continuous dictation (default 30)
  --points N       kill points per crash scenario (default 20)
  --scenarios A,B  crash scenarios to run (default all: ${Object.keys(SCENARIOS).join(', ')})
  --seed N         seed of the kill moments (default: ATTUNE_CRASH_SEED, else a new one)
  --sockets N      WebSocket connection attempts of the storm (default 200)
  --model DIR      model to dictate with (default: the shipped one, as \`attune serve\` runs it)
  --backend NAME   compute backend of \`attune serve\` (default auto)
  --only PART      run only "dictation" or only "crash"
  --out FILE       the Markdown results (default bench/RELIABILITY.md; the JSON goes beside it)
  --render FILE    write the Markdown again from a run's JSON (what it measured is kept as it was), e.g.
                   after the way the table reads a run has changed`;

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${text}`);
  return n;
}

async function runCrash(names: string[], points: number, seed: number): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const make = SCENARIOS[name];
    if (!make) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    console.log(`crash scenario ${name}: ${points} kill points`);
    results.push(await runCrashScenario(make(), { points, seed, log: (l) => console.log(`  ${l}`) }));
  }
  return results;
}

/** Writes `out` from a run's recorded JSON (`--render`): the measurements as they were, read as today's report reads them. */
function renderAgain(json: string, out: string): void {
  let report: SoakReport;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as SoakReport;
  } catch (err) {
    throw new Error(`--render ${json}: not a soak run's JSON (${(err as Error).message})`);
  }
  if (typeof report !== 'object' || report === null || !('machine' in report) || !('dictation' in report))
    throw new Error(`--render ${json}: not a soak run's JSON (no machine or dictation field)`);
  writeFileSync(out, renderReliability(report));
  console.log(`wrote ${out} from ${json}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      points: { type: 'string', default: '20' },
      scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      seed: { type: 'string' },
      sockets: { type: 'string', default: '200' },
      model: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      only: { type: 'string' },
      out: { type: 'string', default: join(repoRoot, 'bench', 'RELIABILITY.md') },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values.render !== undefined) return renderAgain(values.render, values.out);
  if (values.only !== undefined && !['dictation', 'crash'].includes(values.only))
    throw new Error(`--only takes dictation or crash, got ${values.only}`);
  const minutes = positive('minutes', values.minutes);
  const points = Math.round(positive('points', values.points));
  const seed = values.seed !== undefined ? crashSeed({ ATTUNE_CRASH_SEED: values.seed }) : crashSeed();
  const started = Date.now();
  const loadAtStart = os.loadavg();

  const dictation =
    values.only === 'crash'
      ? null
      : await soakDictation(
          {
            minutes,
            model: values.model ?? null,
            backend: values.backend,
            storm: { attempts: Math.round(positive('sockets', values.sockets)) },
          },
          (l) => console.log(`dictation: ${l}`),
        );
  const crash =
    values.only === 'dictation'
      ? null
      : { seed, points, scenarios: await runCrash(values.scenarios.split(','), points, seed) };

  const report: SoakReport = {
    command: `npx tsx bench/soak.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      date: new Date().toISOString(),
      ...machineBasics(),
      loadAtStart,
      loadAtEnd: os.loadavg(),
      backends: dictation ? [`dictation: ${dictation.backend}`] : [],
      elapsedSeconds: (Date.now() - started) / 1000,
    },
    crash,
    dictation,
  };
  writeFileSync(values.out, renderReliability(report));
  writeFileSync(values.out.replace(/\.md$/, '') + '.json', JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${values.out}`);
  const failures = crash?.scenarios.reduce((n, s) => n + s.failures.length, 0) ?? 0;
  if (failures > 0) {
    console.log(`${failures} kill points broke an invariant (see ${values.out})`);
    process.exitCode = 1;
  }
}

await main();
