// The dictation soak: `attune serve` on a new data folder hears the FIFO microphone talk without end for many
// minutes (the app's defaults: the shipped model and language model, the `auto` backend), a client corrects
// some phrases so that personal training starts and waits while dictation goes on, and every few seconds the
// memory and open files of each process (serve, engine, trainer, recorder) are read from /proc. Partial and
// final latencies are measured per phrase; halfway through, the WebSocket storm comes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingStatus } from '../src-main/ipc/contract.js';
import { type FifoMic, startFifoMic } from '../test/engine/fifo-mic.js';
import { launchApp, orphanProblems, type RunningApp } from '../test/reliability/app-process.js';
import { openFiles, processTree, residentBytes, type ProcessRole } from '../test/reliability/process-tree.js';
import { seedDataFolder } from '../test/reliability/seed-data.js';
import { makePhrases, Speaker } from '../test/reliability/speaker.js';
import { socketStorm, type StormConfig, type StormResult } from './soak-sockets.js';

export interface DictationSoakConfig {
  minutes: number; // 30
  /** Model folder to dictate with; null: what `attune serve` runs on a new data folder (the shipped model). */
  model: string | null; // null
  /** Compute backend of `attune serve`. */
  backend: string; // 'auto'
  /** Time between two readings of the processes, in s. */
  sampleSeconds: number; // 15
  /** Silence after each phrase, in ms: the final comes in it. */
  pauseMs: number; // 2000
  /**
   * Correct every n-th phrase (0: none, and so no personal training). A correction adds a name to what was
   * said, as users teach Attune their vocabulary: the shipped model often hears the phrase itself right, and a
   * correction that changes nothing is not one.
   */
  correctEvery: number; // 2
  /** New corrections that start personal training (the autoTrainAfter setting). */
  trainAfter: number; // 5
  /** When the WebSocket storm comes, as a share of the run; null: no storm. */
  stormAt: number | null; // 0.5
  storm: Partial<StormConfig>;
}

export const DEFAULT_DICTATION_SOAK: DictationSoakConfig = {
  minutes: 30,
  model: null,
  backend: 'auto',
  sampleSeconds: 15,
  pauseMs: 2000,
  correctEvery: 2,
  trainAfter: 5,
  stormAt: 0.5,
  storm: {},
};

export interface ProcessSample {
  role: ProcessRole;
  pid: number;
  rssBytes: number | null;
  openFiles: number | null;
}

export interface Sample {
  /** Seconds since dictation started. */
  t: number;
  processes: ProcessSample[];
}

/** A latency, in ms, and when (seconds since dictation started) the phrase it belongs to began. */
export interface Latency {
  t: number;
  ms: number;
}

export interface DictationSoakResult {
  config: DictationSoakConfig;
  /** What the app said it runs (system.info). */
  model: string;
  backend: string;
  seconds: number;
  samples: Sample[];
  /** From a phrase's first sound in the microphone to its first words shown, and from its last sound to its final. */
  partial: Latency[];
  final: Latency[];
  phrases: number;
  segments: number;
  corrections: number;
  training: TrainingStatus | null;
  storm: (StormResult & { atSeconds: number }) | null;
  /** Processes that outlived `attune serve` when it was stopped at the end. */
  orphans: string[];
}

/** Reads every process of the app. */
function sample(app: RunningApp, startedAt: number): Sample {
  return {
    t: (performance.now() - startedAt) / 1000,
    processes: processTree(app.pid).map((p) => ({
      role: p.role,
      pid: p.pid,
      rssBytes: residentBytes(p.pid),
      openFiles: openFiles(p.pid),
    })),
  };
}

/**
 * Matches the app's events to the phrases: a phrase's first non-empty partial after its speech began, and
 * for a final, the latest phrase whose speech has ended and that has no final yet. A final that comes while
 * no such phrase waits (at a pause inside a phrase) is not counted, and neither is a phrase whose final came
 * early: the matching never drifts by a phrase.
 */
class LatencyTracker {
  readonly partial: Latency[] = [];
  readonly final: Latency[] = [];
  private current: { startedAt: number; partialSeen: boolean } | null = null;
  private lastEnded: { text: string; startedAt: number; endedAt: number; finalSeen: boolean } | null = null;
  private readonly seen = new Set<number>();

  constructor(private readonly t0: number) {}

  started(startedAt: number): void {
    this.current = { startedAt, partialSeen: false };
  }

  spoken(p: { text: string; startedAt: number; endedAt: number }): void {
    this.lastEnded = { ...p, finalSeen: false };
  }

  onPartial(text: string): void {
    const c = this.current;
    if (!c || c.partialSeen || text.trim() === '') return;
    c.partialSeen = true;
    this.partial.push({ t: (c.startedAt - this.t0) / 1000, ms: performance.now() - c.startedAt });
  }

  /** A final; returns the phrase it closes (null: none was waiting, or the segment was seen before). */
  onFinal(segmentId: number): { text: string } | null {
    if (this.seen.has(segmentId)) return null; // a revision of an earlier phrase
    this.seen.add(segmentId);
    const p = this.lastEnded;
    if (!p || p.finalSeen) return null;
    p.finalSeen = true;
    this.final.push({ t: (p.startedAt - this.t0) / 1000, ms: performance.now() - p.endedAt });
    return p;
  }

  get segments(): number {
    return this.seen.size;
  }
}

/** Names the corrections teach (see correctEvery). */
const NAMES = ['Ottoline', 'Quarrington', 'Zebediah', 'Maelgwn'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the soak; `log` hears of its progress. */
export async function soakDictation(
  config: Partial<DictationSoakConfig> = {},
  log: (line: string) => void = () => {},
): Promise<DictationSoakResult> {
  const cfg = { ...DEFAULT_DICTATION_SOAK, ...config };
  const dir = mkdtempSync(join(tmpdir(), 'attune-soak-'));
  let mic: FifoMic | null = null;
  try {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    seedDataFolder(dataDir, {
      models: cfg.model ? [{ label: 'soak', dir: cfg.model }] : [],
      settings: { autoTrain: cfg.correctEvery > 0, autoTrainAfter: cfg.trainAfter },
    });
    mic = startFifoMic();
    const phrases = await makePhrases(dir);
    const app = await launchApp({ dataDir, env: mic.env, backend: cfg.backend, startTimeoutMs: 180_000 });
    return await run(app, mic, phrases, cfg, log);
  } finally {
    mic?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(
  app: RunningApp,
  mic: FifoMic,
  phrases: Awaited<ReturnType<typeof makePhrases>>,
  cfg: DictationSoakConfig,
  log: (line: string) => void,
): Promise<DictationSoakResult> {
  const info = await app.api.call('system.info', {});
  log(`dictating for ${cfg.minutes} min with ${info.model.dir} (${info.backend.name})`);
  const t0 = performance.now();
  const tracker = new LatencyTracker(t0);
  let corrections = 0;
  app.api.on('dictation.partial', (p) => tracker.onPartial(`${p.committed} ${p.partial}`));
  app.api.on('dictation.segment', ({ segment }) => {
    const phrase = tracker.onFinal(segment.id);
    if (!phrase || cfg.correctEvery === 0 || tracker.segments % cfg.correctEvery !== 0) return;
    const text = `${phrase.text} ${NAMES[tracker.segments % NAMES.length]}`;
    app.api.call('segments.correct', { segmentId: segment.id, text }).then(
      (r) => (corrections += r.correction ? 1 : 0),
      (err: Error) => log(`a correction failed: ${err.message}`),
    );
  });
  const samples: Sample[] = [sample(app, t0)];
  const timer = setInterval(() => {
    samples.push(sample(app, t0));
    const s = samples.at(-1)!;
    const mb = s.processes.map((p) => `${p.role} ${((p.rssBytes ?? 0) / 1e6).toFixed(0)} MB`).join(', ');
    log(`${(s.t / 60).toFixed(1)} min: ${tracker.segments} phrases shown; ${mb}`);
  }, cfg.sampleSeconds * 1000);

  await app.api.call('dictation.start', {});
  const speaker = new Speaker(mic, phrases, cfg.pauseMs);
  speaker.start({
    started: (p) => tracker.started(p.startedAt),
    spoken: (s) => tracker.spoken(s),
  });
  const totalMs = cfg.minutes * 60_000;
  let storm: DictationSoakResult['storm'] = null;
  if (cfg.stormAt !== null) {
    await sleep(cfg.stormAt * totalMs);
    const atSeconds = (performance.now() - t0) / 1000;
    log(`storm: ${cfg.storm.attempts ?? 200} WebSocket connection attempts at once`);
    const r = await socketStorm(app.url, app.api, cfg.storm);
    storm = { ...r, atSeconds };
  }
  await sleep(Math.max(0, t0 + totalMs - performance.now()));
  speaker.stop();
  await sleep(cfg.pauseMs + 1000); // the last final
  clearInterval(timer);
  samples.push(sample(app, t0));
  const training = await app.api.call('training.status', {}); // as it was while dictation went on
  await app.api.call('dictation.stop', {});
  const stopped = await app.stop(15_000);
  return {
    config: cfg,
    model: info.model.dir,
    backend: info.backend.name,
    seconds: (performance.now() - t0) / 1000,
    samples,
    partial: tracker.partial,
    final: tracker.final,
    phrases: speaker.count,
    segments: tracker.segments,
    corrections,
    training,
    storm,
    orphans: orphanProblems(stopped),
  };
}
