// How long the word language model takes to load, and in how much memory: from its file (what every load
// cost before snapshots), the first load with a cache (which also writes the snapshot), and a load from the
// snapshot (every later start of the app). Each load runs in a process of its own, so its time and peak RSS
// are its own; rounds alternate the three so a busy machine slows them alike. Writes bench/LM-LOAD.md.
//
//   npx tsx bench/lm-load.ts [LM_FILE] [--rounds 5]
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { DEFAULT_LM_CACHE, loadLanguageModel } from '../src-main/speech/lm-snapshot.js';
import { peakRssBytes, repoRoot, runTsChild } from './child.js';
import { median } from './stats.js';

type Mode = 'file' | 'first' | 'snapshot';

interface LoadReport {
  mode: Mode;
  from: 'snapshot' | 'source';
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  words: number;
}

const MODES: { mode: Mode; title: string }[] = [
  { mode: 'file', title: 'from the file, no cache' },
  { mode: 'first', title: 'first load with a cache: from the file, then the snapshot written' },
  { mode: 'snapshot', title: 'from the snapshot (every later start)' },
];

/** Child: one load in this process. */
function child(lm: string, mode: Mode, cacheDir: string): LoadReport {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const cache = mode === 'file' ? null : { ...DEFAULT_LM_CACHE, dir: cacheDir };
  const r = loadLanguageModel(lm, cache);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (mode !== 'file' && (r.from === 'snapshot') !== (mode === 'snapshot'))
    throw new Error(`${mode}: loaded from ${r.from}${r.snapshotProblem ? ` (${r.snapshotProblem})` : ''}`);
  return {
    mode,
    from: r.from,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: peakRssBytes() / 1e6,
    words: r.lm.words.length,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--child');
  if (at >= 0) {
    const [lm, mode, cacheDir] = args.slice(at + 1);
    process.stdout.write(JSON.stringify(child(lm, mode as Mode, cacheDir)) + '\n');
    return;
  }
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 5;
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('--rounds must be a whole number > 0');
  const lm = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds') ?? BASE_LM_PATH);
  const load = loadavg()[0];
  const results = new Map<Mode, LoadReport[]>(MODES.map((m) => [m.mode, []]));
  const here = fileURLToPath(import.meta.url);
  for (let round = 0; round < rounds; round++) {
    const cache = mkdtempSync(join(tmpdir(), 'attune-lm-load-'));
    try {
      for (const { mode } of MODES) {
        const r = await runTsChild<LoadReport>(here, ['--child', lm, mode, cache], { timeoutMs: 300_000 });
        results.get(mode)!.push(r);
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }
  const cell = (xs: number[], digits = 0) =>
    `${median(xs).toFixed(digits)} (${xs.map((x) => x.toFixed(digits)).join(', ')})`;
  const file = relative(repoRoot, lm);
  const lines = [
    '# Language model load time',
    '',
    `Regenerate: \`npx tsx bench/lm-load.ts${lm === BASE_LM_PATH ? '' : ` ${file}`} --rounds ${rounds}\`.`,
    '',
    `Model: \`${file}\` (${(statSync(lm).size / 1e6).toFixed(1)} MB, ${results.get('file')![0].words.toLocaleString('en-US')} words).`,
    `Each load in a process of its own; ${rounds} rounds, each loading the three ways in turn with a new, empty cache.`,
    `Each cell: the median, then every round's value. Load average when the run began: ${load.toFixed(1)} (2 cores).`,
    '',
    '| load | wall time (ms) | CPU time (ms) | peak RSS of the process (MB) |',
    '|---|---:|---:|---:|',
    ...MODES.map(({ mode, title }) => {
      const rs = results.get(mode)!;
      return `| ${title} | ${cell(rs.map((r) => r.wallMs))} | ${cell(rs.map((r) => r.cpuMs))} | ${cell(rs.map((r) => r.peakRssMb))} |`;
    }),
    '',
    'Target (the general-LM issue): the language model loads in ≤ 2 s.',
    '',
  ];
  writeFileSync(join(repoRoot, 'bench', 'LM-LOAD.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

await main();
