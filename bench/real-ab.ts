// The real-voice A/B: which training data and features make the base model hear people. Each arm trains
// the same proxy model (same size, steps, batch and seed) with `attune train`, its best weights picked on
// real-dev; then every arm, the shipped model and Debian's pocketsphinx are scored on the same real sets
// (per source) and on the synthetic unseen voices, greedy and with the shipped language model. Writes
// bench/REAL-AB.md; trained runs and scores are kept in runs/ab/ so a stopped run resumes and a finished
// arm is not trained again.
//
//   npx tsx bench/real-ab.ts [--arms a,b|none] [--steps 4000] [--beam-width N] [--peer-only] [--model "name=DIR" …]
//
// --model adds another model folder as a row (e.g. an earlier base model, or a long run's best weights).
// Scores are cached by the weights' and the language model's content, so a model folder trained again or
// replaced (models/base) is scored again.
//
// Needs the sets first: `attune import --out corpora/real` and `attune corpus --out corpora/synth-5h
// --hours 5 --seed 1`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { LM_BEAM_WIDTH } from '../src-main/speech/beam-search.js';
import { repoRoot, runJsonChild } from './child.js';
import { normalizeText } from '../src-main/speech/alphabet.js';
import { readLibriSpeech } from '../src-main/training/librispeech.js';
import { hasPocketsphinx, pocketsphinxScores } from './peer-score.js';

export interface AbConfig {
  /** Synthetic corpus with train/, dev/ and test-unseen/. */
  synth: string;
  /** Output of `attune import`: real-train/, real-dev/, real-test/. */
  real: string;
  /** Where the arms' runs go (their results are in bench/real-ab.json). */
  runs: string;
  /** Steps every arm trains for. */
  steps: number;
  /** The proxy model and recipe every arm shares. */
  common: string[];
  /** Beam width of the language-model search the "with the LM" table decodes with. */
  beamWidth: number; // LM_BEAM_WIDTH, as dictation
}

export const DEFAULT_AB: AbConfig = {
  synth: 'corpora/synth-5h',
  real: 'corpora/real',
  runs: 'runs/ab',
  steps: 4000,
  beamWidth: LM_BEAM_WIDTH,
  common: [
    ...['--channels', '128', '--blocks', '10', '--batch-seconds', '32', '--lr', '2e-3', '--warmup', '300'],
    ...[
      '--augment',
      'perturb',
      '--dropout',
      '0',
      '--seed',
      '1',
      '--eval-every',
      '500',
      '--checkpoint-every',
      '250',
    ],
  ],
};

/** One arm: what it adds to the shared recipe. */
interface Arm {
  name: string;
  title: string;
  args: (cfg: AbConfig) => string[];
}

export const ARMS: Arm[] = [
  { name: 'a', title: 'synthetic speech only (the recipe so far)', args: () => [] },
  {
    name: 'b',
    title: 'synthetic + real speech, band limiting on 30%',
    args: (cfg) => ['--mix', join(cfg.real, 'real-train'), '--band-limit', '0.3'],
  },
  {
    name: 'c1',
    title: "pocketsphinx's phone posteriors alone (42 per frame), synthetic speech",
    args: () => ['--features', 'phones'],
  },
  {
    name: 'c2',
    title: "pocketsphinx's phone posteriors beside log-mel, synthetic speech",
    args: () => ['--features', 'logmel+phones'],
  },
  {
    name: 'd',
    title: '(b) and (c2): real speech mixed in, phone posteriors beside log-mel',
    args: (cfg) => [
      '--mix',
      join(cfg.real, 'real-train'),
      '--band-limit',
      '0.3',
      '--features',
      'logmel+phones',
    ],
  },
  {
    name: 'e',
    title: '(b) and room reverberation on 30% (RT60 0.2-0.8 s)',
    args: (cfg) => ['--mix', join(cfg.real, 'real-train'), '--band-limit', '0.3', '--reverb', '0.3'],
  },
];

/** The arms run when none are named: every one. */
const DEFAULT_ARMS = ARMS.map((a) => a.name);

/** What the A/B has measured: the results file beside the table. */
interface AbResults {
  /** Each finished arm: the step budget it trained to and its best weights' digest. */
  arms: Record<string, { steps: number; weights: string }>;
  /** Further model folders given as rows (--model), by name: their weights' digest, so the row outlives the folder. */
  models: Record<string, { folder: string; weights: string }>;
  /** Scores by system (weights' digest), set and decoding. */
  scores: Record<string, Score>;
}

const RESULTS_PATH = join(repoRoot, 'bench', 'real-ab.json');

function readResults(): AbResults {
  if (!existsSync(RESULTS_PATH)) return { arms: {}, models: {}, scores: {} };
  const r = JSON.parse(readFileSync(RESULTS_PATH, 'utf8')) as Partial<AbResults>;
  return { arms: r.arms ?? {}, models: r.models ?? {}, scores: r.scores ?? {} };
}

/** Read-modify-write, so a score written by a concurrent run is kept. */
function updateResults(change: (r: AbResults) => void): void {
  const r = readResults();
  change(r);
  writeFileSync(RESULTS_PATH, JSON.stringify(r, null, 1) + '\n');
}

/** Whether an arm was trained to this step budget (here or on a machine whose runs are gone). */
function isTrained(arm: Arm, cfg: AbConfig): boolean {
  return readResults().arms[arm.name]?.steps === cfg.steps;
}

/** Trains an arm unless it already reached the step budget; records its weights' digest. */
async function trainArm(arm: Arm, cfg: AbConfig): Promise<void> {
  const run = join(cfg.runs, arm.name);
  if (isTrained(arm, cfg)) return;
  const args = ['train', '--corpus', cfg.synth, '--dev', join(cfg.real, 'real-dev'), '--run', run];
  args.push('--steps', String(cfg.steps), ...cfg.common, ...arm.args(cfg), '--json');
  process.stderr.write(`arm ${arm.name}: attune ${args.join(' ')}\n`);
  await new Promise<void>((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('close', (code) =>
      code === 0 ? ok() : fail(new Error(`arm ${arm.name}: train exited ${code}`)),
    );
  });
  const weights = digest(join(run, 'best', 'model.safetensors'));
  updateResults((r) => (r.arms[arm.name] = { steps: cfg.steps, weights }));
}

/** Scores of one system on one set. */
interface Score {
  wer: number;
  cer: number;
  utterances: number;
}

/** The first 12 hex digits of a file's SHA-1: cache keys that change when the file does. */
const digests = new Map<string, string>();
function digest(path: string): string {
  if (!digests.has(path))
    digests.set(path, createHash('sha1').update(readFileSync(path)).digest('hex').slice(0, 12));
  return digests.get(path)!;
}

/** Where a system's weights are and what they are: a model folder, or an arm (whose run may be gone). */
interface Weights {
  folder: string;
  digest: string;
}

/**
 * A folder's weights digest, and, where its config records decoding of its own (class priors and search
 * weights: `attune decoding`), that too: the same weights search differently with them.
 */
function weightsKey(folder: string): string {
  const weights = digest(join(folder, 'model.safetensors'));
  const { decoding } = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as {
    decoding?: unknown;
  };
  if (decoding === undefined) return weights;
  return `${weights}+${createHash('sha1').update(JSON.stringify(decoding)).digest('hex').slice(0, 8)}`;
}

function folderWeights(folder: string): Weights {
  return { folder, digest: weightsKey(folder) };
}

/** An arm's best weights as recorded when it finished; its folder when this machine still has the run. */
function armWeights(arm: Arm, cfg: AbConfig): Weights {
  return { folder: join(cfg.runs, arm.name, 'best'), digest: readResults().arms[arm.name].weights };
}

/**
 * `attune eval` on one set, cached by the weights, the set and the decoding (and its LM). Null when the score
 * is not recorded and the weights are not on this machine (an arm trained elsewhere, scored before the LM
 * changed).
 */
async function attuneScore(w: Weights, set: string, lm: boolean, beamWidth: number): Promise<Score | null> {
  const decoding = lm ? `lm:${basename(BASE_LM_PATH)}@${digest(BASE_LM_PATH)}@beam${beamWidth}` : 'greedy';
  const onDisk = existsSync(join(w.folder, 'model.safetensors'));
  if (onDisk && weightsKey(w.folder) !== w.digest) return null;
  // Greedy output does not depend on the decoding a folder records: keyed by the weights alone.
  const key = lm ? w.digest : w.digest.split('+')[0];
  return cached(`${key}|${set}|${decoding}`, onDisk, async () => {
    const args = ['--import', 'tsx', 'src-main/cli/main.ts', 'eval', set, '--model', w.folder, '--json'];
    const decode = lm ? ['--lm', '--beam-width', String(beamWidth)] : ['--no-lm'];
    const r = await runJsonChild<Score>(process.execPath, [...args, ...decode], {
      timeoutMs: 3_600_000,
    });
    return { wer: r.wer, cer: r.cer, utterances: r.utterances };
  });
}

/** Debian's pocketsphinx on one set, cached. */
async function peerScore(set: string): Promise<Score> {
  const r = await cached(`pocketsphinx|${set}`, true, async () => {
    const r = await pocketsphinxScores(set);
    return { wer: r.wer, cer: r.cer, utterances: r.utterances };
  });
  return r!;
}

/** A recorded score, or a new one when it can be computed (else null). */
async function cached(
  key: string,
  canCompute: boolean,
  compute: () => Promise<Score>,
): Promise<Score | null> {
  const known = readResults().scores[key];
  if (known) return known;
  if (!canCompute) return null;
  const v = await compute();
  updateResults((r) => (r.scores[key] = v));
  return v;
}

/** The sets every system is scored on: real-dev and real-test by source, and the synthetic unseen voices. */
function evalSets(cfg: AbConfig): { label: string; dir: string }[] {
  const bySource = (split: string) =>
    readdirSync(join(cfg.real, split))
      .filter((s) => !s.startsWith('.'))
      .sort()
      .map((s) => ({ label: `${split} ${s}`, dir: join(cfg.real, split, s) }));
  return [
    ...bySource('real-dev'),
    ...bySource('real-test'),
    { label: 'synthetic test-unseen', dir: join(cfg.synth, 'test-unseen') },
  ];
}

/** Reference words and characters of a set: the weights that pool per-source rates into one. */
async function referenceLengths(dir: string): Promise<{ words: number; chars: number }> {
  const corpus = await readLibriSpeech(dir);
  const texts = corpus.utterances.map((u) => normalizeText(u.text));
  return {
    words: texts.reduce((n, t) => n + t.split(' ').filter(Boolean).length, 0),
    chars: texts.reduce((n, t) => n + t.length, 0),
  };
}

/** A system as a row of the table: its name and how it scores a set (greedy or with the LM). */
interface System {
  name: string;
  score: (dir: string, lm: boolean) => Promise<Score | null>;
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);

/** One table: a row per system, a column per set (WER / CER), plus real-test pooled over its sources. */
async function table(cfg: AbConfig, systems: System[], lm: boolean): Promise<string[]> {
  const sets = evalSets(cfg);
  const lengths = await Promise.all(sets.map((s) => referenceLengths(s.dir)));
  const header = ['system', ...sets.map((s) => s.label), 'real-test, all sources'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const sys of systems) {
    const cells: string[] = [];
    const pooled = { w: 0, c: 0, W: 0, C: 0 };
    for (let i = 0; i < sets.length; i++) {
      const r = await sys.score(sets[i].dir, lm);
      cells.push(r ? `${pct(r.wer)} / ${pct(r.cer)}` : '–');
      if (r && sets[i].label.startsWith('real-test')) {
        pooled.w += r.wer * lengths[i].words;
        pooled.c += r.cer * lengths[i].chars;
        pooled.W += lengths[i].words;
        pooled.C += lengths[i].chars;
      }
    }
    cells.push(pooled.W > 0 ? `${pct(pooled.w / pooled.W)} / ${pct(pooled.c / pooled.C)}` : '–');
    lines.push(`| ${sys.name} | ${cells.join(' | ')} |`);
  }
  return lines;
}

interface AbArgs {
  cfg: AbConfig;
  arms: Arm[];
  peerOnly: boolean;
  /** Further model folders, each a row: [name, folder]. */
  models: [string, string][];
}

function parseArgs(argv: string[]): AbArgs {
  const cfg = { ...DEFAULT_AB };
  let arms = ARMS.filter((a) => DEFAULT_ARMS.includes(a.name));
  let peerOnly = false;
  const models: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--steps') cfg.steps = Number(argv[++i]);
    else if (argv[i] === '--beam-width') cfg.beamWidth = Number(argv[++i]);
    else if (argv[i] === '--peer-only') peerOnly = true;
    else if (argv[i] === '--model') {
      const m = /^(.+)=(.+)$/.exec(argv[++i] ?? '');
      if (!m || !existsSync(join(m[2], 'model.safetensors')))
        throw new Error(`--model wants "name=DIR" with a model folder, got ${argv[i]}`);
      models.push([m[1], m[2]]);
    } else if (argv[i] === '--arms') {
      // `--arms none` trains nothing: the table of what is already trained, with any --model rows.
      const names = argv[++i] === 'none' ? [] : argv[i].split(',');
      arms = ARMS.filter((a) => names.includes(a.name));
      if (arms.length !== names.length)
        throw new Error(`--arms: known arms are ${ARMS.map((a) => a.name).join(', ')}`);
    } else
      throw new Error(
        `unknown option ${argv[i]} (--arms a,b or none; --steps N; --beam-width N; --peer-only; --model name=DIR)`,
      );
  }
  if (!(Number.isInteger(cfg.steps) && cfg.steps > 0)) throw new Error('--steps must be a whole number > 0');
  if (!(Number.isInteger(cfg.beamWidth) && cfg.beamWidth > 0))
    throw new Error('--beam-width must be a whole number > 0');
  return { cfg, arms, peerOnly, models };
}

async function main(): Promise<void> {
  const { cfg, arms, peerOnly, models } = parseArgs(process.argv.slice(2));
  if (peerOnly) {
    // The peer's scores alone (it decodes at ~3× real time: worth running while an arm trains).
    for (const s of evalSets(cfg).filter((s) => s.label.startsWith('real-test'))) {
      const r = await peerScore(s.dir);
      process.stderr.write(
        `${s.label}: pocketsphinx WER ${(r.wer * 100).toFixed(1)}%, CER ${(r.cer * 100).toFixed(1)}%\n`,
      );
    }
    return;
  }
  for (const need of [join(cfg.real, 'real-dev'), join(cfg.real, 'real-test'), join(cfg.synth, 'train')])
    if (!existsSync(need))
      throw new Error(`${need} is missing: make the sets first (see the top of bench/real-ab.ts)`);
  for (const arm of arms) await trainArm(arm, cfg);
  // The table holds every arm trained to this budget, whether this run or an earlier one trained it.
  const trained: System[] = ARMS.filter((arm) => isTrained(arm, cfg)).map((arm) => ({
    name: `(${arm.name}) ${arm.title}`,
    score: (dir, lm) => attuneScore(armWeights(arm, cfg), dir, lm, cfg.beamWidth),
  }));
  const shipped = folderWeights('models/base');
  // A --model row is kept in the results: later tables show it, from its scores, without the folder.
  for (const [name, dir] of models)
    updateResults((r) => (r.models[name] = { folder: dir, weights: folderWeights(dir).digest }));
  const rows = Object.entries(readResults().models).filter(([, w]) => w.weights !== shipped.digest);
  const systems: System[] = [
    { name: 'shipped model (models/base)', score: (dir, lm) => attuneScore(shipped, dir, lm, cfg.beamWidth) },
    ...rows.map(([name, w]) => ({
      name,
      score: (set: string, lm: boolean) =>
        attuneScore({ folder: w.folder, digest: w.weights }, set, lm, cfg.beamWidth),
    })),
    ...trained,
  ];
  const peer: System[] = hasPocketsphinx()
    ? [
        {
          name: "pocketsphinx (Debian's en-us model, its own LM)",
          // The peer is the target on real-test; elsewhere it would only cost time (it decodes ~3× real time).
          score: (dir: string) => (dir.includes('real-test') ? peerScore(dir) : Promise.resolve(null)),
        },
      ]
    : [];
  const trainedNames = ARMS.filter((a) => isTrained(a, cfg))
    .map((a) => a.name)
    .join(',');
  const out = [
    '# Real voices A/B',
    '',
    `Regenerate: \`npx tsx bench/real-ab.ts --arms ${trainedNames || 'none'}${cfg.beamWidth === LM_BEAM_WIDTH ? '' : ` --beam-width ${cfg.beamWidth}`}\` (${cfg.steps} steps each; a trained arm is not trained again; rows added with \`--model "name=DIR"\` are kept in bench/real-ab.json).`,
    `Every arm: \`attune train --corpus ${cfg.synth} --dev ${cfg.real}/real-dev --steps ${cfg.steps} ${cfg.common.join(' ')}\` plus its own options; best weights by real-dev CER.`,
    '',
    'Cells are WER / CER. Real sets are by source; a voice in real-dev or real-test is never trained on.',
    'A phone model (the shipped model writes phones) writes phones when greedy: its greedy cells are the share of words whose',
    'pronunciation is wrong / the phone error rate; with the language model it writes words, scored as any other.',
    'Every score is recorded in bench/real-ab.json; – is a score not taken (an arm trained on another machine',
    'and never scored with the current language model).',
    '',
    '## Greedy (what the acoustic model alone hears)',
    '',
    ...(await table(cfg, systems, false)),
    '',
    `## As dictation writes finals (shipped language model, beam width ${cfg.beamWidth}; pocketsphinx with its own)`,
    '',
    ...(await table(cfg, [...systems, ...peer], true)),
    '',
    '## Arms',
    '',
    ...ARMS.filter((a) => isTrained(a, cfg)).map(
      (a) => `- (${a.name}) ${a.title}: \`${a.args(cfg).join(' ') || '(nothing added)'}\``,
    ),
    '',
  ];
  writeFileSync(join(repoRoot, 'bench', 'REAL-AB.md'), out.join('\n'));
  process.stderr.write('wrote bench/REAL-AB.md\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
