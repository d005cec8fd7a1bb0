// The language-model search's beam width for one acoustic model: word error rate on real-dev (its sources
// pooled; real-test takes no part) and what each width costs, measured side by side — the search's time per
// second of audio decoding whole utterances, and the dictation engine (bench/engine.ts, in real time, the
// widths alternating run by run) for its final latency after speech ends, CPU and memory. Writes
// bench/BEAM-WIDTH.md; LM_BEAM_WIDTH in src-main/speech/beam-search.ts is chosen from it.
//
//   npx tsx bench/beam-width.ts [--model DIR] [--widths 32,64,128] [--engine-runs 2] [--out FILE]
//
// Log-probs are cached in .cache/lm-compare (lm-logprobs.ts). Needs `attune import --out corpora/real`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { type AcousticConfig, outputFrameMs } from '../src-main/model/config.js';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { LM_BEAM_WIDTH } from '../src-main/speech/beam-search.js';
import { benchEngine } from './engine.js';
import { cer, lmDecoding, modelSettings, pool, scoreSet, wer } from './lm-decode.js';
import { setLogProbs, snapshotModel } from './lm-logprobs.js';

interface BeamWidthConfig {
  model: string; // models/base
  /** A split whose folders are sources (pooled). */
  set: string; // corpora/real/real-dev
  widths: number[]; // 32, 64, 128
  /** Engine runs per width (real time, ~40 s each). */
  engineRuns: number; // 2
  cache: string;
  out: string;
}

const DEFAULT_CONFIG: BeamWidthConfig = {
  model: 'models/base',
  set: 'corpora/real/real-dev',
  widths: [32, 64, 128],
  engineRuns: 2,
  cache: '.cache/lm-compare',
  out: 'bench/BEAM-WIDTH.md',
};

function parseArgs(argv: string[]): BeamWidthConfig {
  const cfg = { ...DEFAULT_CONFIG };
  const whole = (v: string, flag: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1)
      throw new Error(`${flag} takes whole numbers of at least 1, not "${v}"`);
    return x;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    if (flag === '--model') cfg.model = v;
    else if (flag === '--out') cfg.out = v;
    else if (flag === '--widths') cfg.widths = v.split(',').map((w) => whole(w.trim(), flag));
    else if (flag === '--engine-runs') cfg.engineRuns = whole(v, flag);
    else throw new Error(`unknown option ${flag} (--model, --widths, --engine-runs, --out)`);
  }
  return cfg;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const snapshot = snapshotModel(cfg.model, cfg.cache);
  const sources = readdirSync(cfg.set, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(cfg.set, e.name));
  const sets = [];
  for (const dir of sources) sets.push(await setLogProbs(snapshot.dir, dir, join(cfg.cache, 'logprobs')));
  const alphabet = sets[0].alphabet;
  const decoding = lmDecoding(BASE_LM_PATH, alphabet);
  const frames = sets.reduce((n, s) => n + s.utterances.reduce((m, u) => m + u.frames, 0), 0);
  const utterances = sets.reduce((n, s) => n + s.utterances.length, 0);
  const acoustic = (
    JSON.parse(readFileSync(join(snapshot.dir, 'config.json'), 'utf8')) as { acoustic: AcousticConfig }
  ).acoustic;
  const audioSec = (frames * outputFrameMs(acoustic)) / 1000;

  const settings = modelSettings(alphabet);
  const search = new Map<number, { wer: number; cer: number; msPerSec: number }>();
  for (const beamWidth of cfg.widths) {
    const t0 = performance.now();
    const score = pool(
      sets.map((s) => scoreSet(s.utterances, alphabet, decoding, { ...settings, beamWidth })),
    );
    const ms = performance.now() - t0;
    search.set(beamWidth, { wer: wer(score), cer: cer(score), msPerSec: ms / audioSec });
    process.stderr.write(`beam ${beamWidth}: WER ${pct(wer(score))} CER ${pct(cer(score))}\n`);
  }

  const engine = new Map<number, { final: number[]; cpu: number[]; rss: number[] }>();
  for (let r = 0; r < cfg.engineRuns; r++)
    for (const beamWidth of cfg.widths) {
      process.stderr.write(`engine at beam ${beamWidth}, run ${r + 1} of ${cfg.engineRuns}\n`);
      const rows = await benchEngine(cfg.model, BASE_LM_PATH, beamWidth);
      const value = (prefix: string) => rows.find((x) => x.name.startsWith(prefix))!.value;
      const e = engine.get(beamWidth) ?? { final: [], cpu: [], rss: [] };
      e.final.push(value('final after speech ends (median)'));
      e.cpu.push(value('engine CPU'));
      e.rss.push(value('engine peak RSS'));
      engine.set(beamWidth, e);
    }

  const lines = [
    '# Beam width of the language-model search',
    '',
    `Model \`${cfg.model}\` (${snapshot.digest}), language model \`${relative(process.cwd(), BASE_LM_PATH)}\`, LM weight ${settings.lmWeight}, word bonus ${settings.wordBonus}, class prior scale ${settings.priorScale ?? 0} (the model's own decoding); the shipped width (LM_BEAM_WIDTH) is ${LM_BEAM_WIDTH}. Regenerate: \`npx tsx bench/beam-width.ts\`. Load average at the end: ${loadavg()[0].toFixed(2)} (2 cores).`,
    '',
    `Word error rate on ${cfg.set} (${utterances} utterances of real voices, ${(audioSec / 60).toFixed(0)} min), whole utterances decoded from the model's log-probs; the search's time per second of audio on one core:`,
    '',
    '| beam | WER | CER | search time per second of audio |',
    '|---:|---:|---:|---:|',
    ...cfg.widths.map((w) => {
      const s = search.get(w)!;
      return `| ${w} | ${pct(s.wer)} | ${pct(s.cer)} | ${s.msPerSec.toFixed(1)} ms |`;
    }),
    '',
    `The dictation engine at each width (\`bench/engine.ts --beam-width N\`: five phrases of a voice it never trained on, in real time; ${cfg.engineRuns} runs per width, alternating). The search follows each segment as it is spoken, so a wider beam is paid for while speaking, not after:`,
    '',
    '| beam | final after speech ends (median of runs) | engine CPU while dictating | engine peak RSS |',
    '|---:|---:|---:|---:|',
    ...cfg.widths.map((w) => {
      const e = engine.get(w)!;
      const runs = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      return `| ${w} | ${median(e.final).toFixed(0)} ms (runs: ${runs(e.final)}) | ${median(e.cpu).toFixed(1)}% of one core | ${Math.max(...e.rss).toFixed(0)} MB |`;
    }),
    '',
  ];
  writeFileSync(cfg.out, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`beam-width: ${(err as Error).message}\n`);
  process.exit(1);
});
