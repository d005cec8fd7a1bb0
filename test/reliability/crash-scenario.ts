// A crash scenario, as SQLite tests crash recovery: a workload that writes, killed -9 at a random moment, then
// the data folder checked as the kill left it; the next point starts the app again on the same folder (which
// is the restart, checked in turn), so kills pile up on what earlier kills left. After the last point the app
// starts once more and recovers. The runner draws the moments and collects every problem with its replay line.
import { crashSeed, momentSource, replayHint } from './crash-plan.js';

export interface PointResult {
  /** When the kill came, in words ("2.31 s after dictation started"). */
  moment: string;
  /** What the kill (or the restart before it) broke; empty when every invariant held. */
  problems: string[];
}

export interface CrashScenario {
  readonly name: string;
  /** What one kill point does, in words, for the results table. */
  readonly description: string;
  /** Prepares what every point shares (data folder, models, microphone). */
  setup(): Promise<void>;
  /** One kill point: starts the app (checking its recovery), runs the workload, kills at moment u ∈ [0, 1). */
  point(u: number): Promise<PointResult>;
  /** Starts the app once more after the last kill, checks its recovery, then stops it cleanly. */
  finish(): Promise<string[]>;
  /** Removes what setup made; safe to call when setup failed. */
  close(): Promise<void>;
}

export interface Failure {
  /** 0-based kill point; -1: the restart after the last one, or the setup. */
  point: number;
  moment: string;
  problems: string[];
  replay: string;
}

export interface ScenarioResult {
  name: string;
  description: string;
  seed: number;
  tries: number;
  failures: Failure[];
  seconds: number;
}

export interface RunOptions {
  points: number;
  /** Default: crashSeed() (ATTUNE_CRASH_SEED, else a new one). */
  seed?: number;
  /** Told of each kill (its moment and the replay line), and of each failure. */
  log?: (line: string) => void;
}

/** Runs `points` kill points of the scenario, then its final restart; an error counts as a failure. */
export async function runCrashScenario(scenario: CrashScenario, opts: RunOptions): Promise<ScenarioResult> {
  const seed = opts.seed ?? crashSeed();
  const log = opts.log ?? (() => {});
  const nextMoment = momentSource(seed, scenario.name);
  const failures: Failure[] = [];
  const started = Date.now();
  const record = (point: number, moment: string, problems: string[]) => {
    const replay = replayHint(seed, scenario.name, point < 0 ? null : point);
    log(
      point < 0
        ? `${scenario.name}: ${moment}`
        : `${scenario.name} #${point + 1}: killed ${moment} (${replay})`,
    );
    if (problems.length === 0) return;
    failures.push({ point, moment, problems, replay });
    for (const p of problems) log(`  FAILED: ${p}`);
  };
  try {
    await scenario.setup();
    for (let i = 0; i < opts.points; i++) {
      const u = nextMoment();
      let result: PointResult;
      try {
        result = await scenario.point(u);
      } catch (err) {
        result = { moment: `at u=${u.toFixed(4)}`, problems: [`the point could not run: ${errorText(err)}`] };
      }
      record(i, result.moment, result.problems);
    }
    let last: string[];
    try {
      last = await scenario.finish();
    } catch (err) {
      last = [`the final restart failed: ${errorText(err)}`];
    }
    record(-1, 'restarted after the last kill', last);
  } catch (err) {
    log(`${scenario.name}: the setup failed: ${errorText(err)}`);
    failures.push({ point: -1, moment: 'setup', problems: [errorText(err)], replay: '' });
  } finally {
    await scenario.close();
  }
  return {
    name: scenario.name,
    description: scenario.description,
    seed,
    tries: opts.points,
    failures,
    seconds: (Date.now() - started) / 1000,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sleeps `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
