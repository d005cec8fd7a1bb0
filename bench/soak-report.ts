// Renders bench/RELIABILITY.md from a soak run: the crash scenarios (tries, failures, how to replay them),
// each process's memory and open files at the start and the end of the dictation soak, the latencies at the
// start and the end, and the WebSocket storm. Everything in it comes from the run; nothing is typed in.
import type { ScenarioResult } from '../test/reliability/crash-scenario.js';
import type { ProcessRole } from '../test/reliability/process-tree.js';
import { BUSY_LOAD, formatValue, type MachineFacts } from './report.js';
import type { DictationSoakResult, Latency, Sample } from './soak-dictation.js';
import { median, percentile } from './stats.js';

/** Memory of a process may change this much between start and end and still count as flat. */
export const FLAT_RSS = 0.1;
/** Share of the run at each end whose latencies are "start" and "end". */
const EDGE_SHARE = 0.2;

export interface SoakReport {
  /** The command line that wrote it. */
  command: string;
  machine: MachineFacts;
  crash: { seed: number; points: number; scenarios: ScenarioResult[] } | null;
  dictation: DictationSoakResult | null;
}

export interface ProcessSummary {
  role: ProcessRole;
  /** Processes seen in this role over the run (a restarted recorder counts twice). */
  pids: number;
  /** Seconds since dictation started of the first reading after the warm-up, and of the last reading. */
  startT: number;
  endT: number;
  /** Medians of the readings in the first fifth of the run after the warm-up, and in the last fifth. */
  rssStart: number;
  rssEnd: number;
  rssMax: number;
  filesStart: number;
  filesEnd: number;
  filesMax: number;
}

/**
 * Start and end of each role's memory and open files, each the median of the readings in a fifth of the
 * run, as the latencies are read: the first fifth after a warm-up from the process's first reading (a
 * minute, or a tenth of a shorter run, once its models and caches are loaded), and the last fifth. A
 * median, not one reading, so a single step (a collector returning start-up memory once) is not taken for
 * the level a process holds; a leak moves the whole last fifth and is seen. A trainer that starts mid-run is
 * read from when it has prepared its data.
 */
export function summariseProcesses(samples: Sample[], seconds: number): ProcessSummary[] {
  const warmup = Math.min(60, seconds / 10);
  const window = seconds * EDGE_SHARE;
  const roles = [...new Set(samples.flatMap((s) => s.processes.map((p) => p.role)))];
  return roles.map((role) => {
    const readings = samples.flatMap((s) =>
      s.processes
        .filter((p) => p.role === role && p.rssBytes !== null && p.openFiles !== null)
        .map((p) => ({ t: s.t, pid: p.pid, rss: p.rssBytes!, files: p.openFiles! })),
    );
    const from = readings.find((r) => r.t >= readings[0].t + warmup) ?? readings[0];
    const last = readings.at(-1)!;
    const first = readings.filter((r) => r.t >= from.t && r.t <= from.t + window);
    const end = readings.filter((r) => r.t >= Math.max(from.t, last.t - window));
    return {
      role,
      pids: new Set(readings.map((r) => r.pid)).size,
      startT: from.t,
      endT: last.t,
      rssStart: median(first.map((r) => r.rss)),
      rssEnd: median(end.map((r) => r.rss)),
      rssMax: Math.max(...readings.map((r) => r.rss)),
      filesStart: median(first.map((r) => r.files)),
      filesEnd: median(end.map((r) => r.files)),
      filesMax: Math.max(...readings.map((r) => r.files)),
    };
  });
}

export interface LatencySummary {
  count: number;
  median: number;
  p95: number;
}

/** Median and 95th percentile of the latencies of phrases begun in the first and the last fifth of the run. */
export function summariseLatency(
  values: Latency[],
  seconds: number,
): { start: LatencySummary | null; end: LatencySummary | null } {
  const of = (part: Latency[]): LatencySummary | null =>
    part.length === 0
      ? null
      : {
          count: part.length,
          median: median(part.map((l) => l.ms)),
          p95: percentile(
            part.map((l) => l.ms),
            95,
          ),
        };
  return {
    start: of(values.filter((l) => l.t < seconds * EDGE_SHARE)),
    end: of(values.filter((l) => l.t >= seconds * (1 - EDGE_SHARE))),
  };
}

const MB = (bytes: number) => formatValue(bytes / 1e6);
const pct = (from: number, to: number) =>
  `${to >= from ? '+' : ''}${(((to - from) / from) * 100).toFixed(1)} %`;

/** A problem on one line of a list: an app's whole output is cut to its first lines' gist. */
function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function crashSection(crash: NonNullable<SoakReport['crash']>): string[] {
  const out = [
    '## Crash at any point',
    '',
    `Each scenario's real process was SIGKILLed at ${crash.points} random moments (seed ${crash.seed}; ` +
      '`ATTUNE_CRASH_SEED=<seed>` replays them), each kill followed by a restart on the same data folder, and ' +
      'a last restart after the last kill. Checked after every kill: `PRAGMA integrity_check` and the search ' +
      "index's check; every segment, correction, setting, take and model version the client was told was " +
      'saved is there; every clip the database names exists and decodes; no half-written export or model ' +
      'folder is visible; no process outlives the app. After every restart: the active model is what the ' +
      'engine runs, no session still reads as recording, an interrupted training job resumes or is reported.',
    '',
    '| Scenario | What is killed | Tries | Failures | Time (s) |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const s of crash.scenarios)
    out.push(
      `| ${s.name} | ${s.description} | ${s.tries} | ${s.failures.length} | ${s.seconds.toFixed(0)} |`,
    );
  const failed = crash.scenarios.flatMap((s) => s.failures.map((f) => ({ s, f })));
  if (failed.length > 0) {
    out.push('', 'Failures:', '');
    for (const { s, f } of failed)
      out.push(
        `- ${s.name}, ${f.point < 0 ? f.moment : `kill ${f.point + 1} (${f.moment})`}: ` +
          f.problems.map((p) => oneLine(p)).join('; ') +
          (f.replay ? ` (${f.replay})` : ''),
      );
  }
  return out;
}

function processTable(d: DictationSoakResult): string[] {
  const summaries = summariseProcesses(d.samples, d.seconds);
  const out = [
    '| Process | RSS start (MB) | RSS end (MB) | Change | Peak (MB) | Flat (±10 %) | Open files start | Open files end | Peak |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const p of summaries) {
    const flat = Math.abs(p.rssEnd - p.rssStart) <= FLAT_RSS * p.rssStart ? 'yes' : '**no**';
    const name = p.pids > 1 ? `${p.role} (${p.pids} processes in turn)` : p.role;
    out.push(
      `| ${name} | ${MB(p.rssStart)} | ${MB(p.rssEnd)} | ${pct(p.rssStart, p.rssEnd)} | ${MB(p.rssMax)} | ${flat} | ` +
        `${p.filesStart} | ${p.filesEnd} | ${p.filesMax} |`,
    );
  }
  const spans = summaries
    .map((p) => `${p.role} ${formatValue(p.startT)}–${formatValue(p.endT)} s`)
    .join(', ');
  out.push(
    '',
    'Start and end are the medians of the readings in the first fifth of the run (after a warm-up of a minute ' +
      "from the process's first reading) and in the last fifth; peak is the highest reading. Readings from and " +
      `to (seconds since dictation started): ${spans}.`,
  );
  return out;
}

function latencyTable(d: DictationSoakResult): string[] {
  const out = [
    '| Latency | Phrases (start) | Median start (ms) | p95 start (ms) | Phrases (end) | Median end (ms) | p95 end (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const row = (name: string, values: Latency[]) => {
    const { start, end } = summariseLatency(values, d.seconds);
    const cells = (s: LatencySummary | null) =>
      s ? `${s.count} | ${formatValue(s.median)} | ${formatValue(s.p95)}` : '0 | — | —';
    out.push(`| ${name} | ${cells(start)} | ${cells(end)} |`);
  };
  row('partial: first sound in → first words shown', d.partial);
  row('final: last sound in → phrase stored and shown', d.final);
  return out;
}

/** Seconds after the storm began over which the phrases still stored show that dictation went on. */
const AFTER_STORM_S = 30;

function stormLines(d: DictationSoakResult, storm: NonNullable<DictationSoakResult['storm']>): string[] {
  const out = [
    `${storm.attempts} connection attempts at once on loopback, ${formatValue(storm.atSeconds)} s into the dictation; ` +
      `all settled in ${formatValue(storm.seconds)} s.`,
    '',
    '| Attempt | Must be | Tries | As it must | Otherwise |',
    '| --- | --- | ---: | ---: | --- |',
  ];
  for (const [kind, k] of Object.entries(storm.byKind))
    out.push(`| ${kind} | ${k.expected} | ${k.tries} | ${k.asExpected} | ${k.otherwise.join('; ') || '—'} |`);
  const page = storm.byKind.page;
  if (page?.letIn !== undefined && storm.pageBound !== undefined)
    out.push(
      '',
      `Pages: ${page.letIn} of ${page.tries} let in beside the page already open, the shell's bound being ${storm.pageBound} open at once; ${page.asExpected - page.letIn} refused with 503 as the bound was reached.`,
    );
  const p = storm.pings;
  out.push(
    '',
    `The page's own connection meanwhile: ${p.count} requests, ${p.failed} failed, round trip median ` +
      `${p.medianMs === null ? '—' : formatValue(p.medianMs)} ms, longest ${p.maxMs === null ? '—' : formatValue(p.maxMs)} ms; ` +
      `${d.final.filter((l) => l.t >= storm.atSeconds && l.t < storm.atSeconds + AFTER_STORM_S).length} phrases ` +
      `begun in the ${AFTER_STORM_S} s from the storm's start were stored and shown.`,
  );
  return out;
}

function dictationSection(d: DictationSoakResult): string[] {
  const t = d.training;
  return [
    `## Dictation soak: ${formatValue(d.seconds / 60)} minutes`,
    '',
    `Continuous dictation from the FIFO microphone into \`attune serve\` (model ${d.model}, backend ${d.backend}): ` +
      `${d.phrases} phrases spoken with ${d.config.pauseMs} ms of silence after each, ${d.segments} stored and shown, ` +
      `${d.corrections} corrected (personal training when dictation ended: ${t ? `${t.state}${t.error ? `, ${t.error}` : ''}` : 'unknown'}). ` +
      `Processes read every ${d.config.sampleSeconds} s from /proc (VmRSS, entries of /proc/PID/fd).`,
    '',
    ...processTable(d),
    '',
    ...latencyTable(d),
    '',
    'The final latency includes the silence the endpoint waits for before it closes a phrase.',
    ...(d.orphans.length > 0
      ? ['', `Left running after \`attune serve\` stopped: ${d.orphans.join('; ')}.`]
      : []),
    ...(d.storm ? ['', '## WebSocket storm', '', ...stormLines(d, d.storm)] : []),
  ];
}

export function renderReliability(r: SoakReport): string {
  const m = r.machine;
  const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
  const out = [
    '# Attune reliability: crash at any point, and a soak',
    '',
    `Written by \`${r.command}\` (bench/soak.ts); every run rewrites this file and RELIABILITY.json beside it.`,
    '',
    `- Date: ${m.date}; whole run ${formatValue(m.elapsedSeconds / 60)} min`,
    `- CPU: ${m.cpuModel}, ${m.cores} cores; ${m.memoryGiB.toFixed(1)} GiB memory; Node ${m.node} on ${m.os}`,
    `- Load average (1, 5, 15 min): ${loads(m.loadAtStart)} at start; ${loads(m.loadAtEnd)} at end`,
    ...(m.loadAtStart[0] > BUSY_LOAD
      ? [
          '',
          `> **The machine was busy** (1-minute load ${m.loadAtStart[0].toFixed(2)} at the start): latencies and times understate an idle machine.`,
        ]
      : []),
  ];
  if (r.crash) out.push('', ...crashSection(r.crash));
  if (r.dictation) out.push('', ...dictationSection(r.dictation));
  return `${out.join('\n')}\n`;
}
