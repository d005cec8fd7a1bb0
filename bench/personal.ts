/**
 * Personal fine-tuning benchmark: a synthetic voice the base model never heard, rendered with engine
 * settings its corpus never uses, gives 5, 10, 20 and 30 corrections to `attune finetune` (the app's own
 * code path: split, fine-tune with replay, guard), and the model in use afterwards is scored by `attune eval`
 * on 30 other sentences of that voice and on the same 30 sentences said by another unseen voice.
 *
 *   npx tsx bench/personal.ts [modelDir] [--threads n] [--backend name] [--keep] [--finetune-arg=… …]
 *
 * Prints the table rows and notes, then the whole result as one JSON line.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModelFolder } from '../src-main/model/checkpoint.js';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import type { Augmentation } from '../src-main/training/corpus/augment.js';
import { DEFAULT_CORPUS_CONFIG } from '../src-main/training/corpus/config.js';
import { toolVersions } from '../src-main/training/corpus/manifest.js';
import { rngFor, shuffled } from '../src-main/training/corpus/random.js';
import { RenderError, renderUtterance } from '../src-main/training/corpus/render.js';
import { prepareSentences, type Sentence } from '../src-main/training/corpus/sentences.js';
import { synthesizeBatch } from '../src-main/training/corpus/synthesize.js';
import {
  detectInstalled,
  matchesAny,
  type Voice,
  voiceInventory,
} from '../src-main/training/corpus/voices.js';
import { readWordNetExamples } from '../src-main/training/corpus/wordnet.js';
import type { SetScore } from '../src-main/training/guard.js';
import type { LexiconEffect } from '../src-main/training/lexicon-eval.js';
import type { PersonalizeResult } from '../src-main/training/personalize.js';
import { repoRoot, runTsChild } from './child.js';
import { formatValue, passes, type Row, type Section, type Target } from './report.js';

/** Everything that decides what the benchmark measures. Same config + same tools → same audio and sentences. */
export interface PersonalBenchConfig {
  /** Seed of the sentence choice (and of the renderer's noise generator, idle without noise). */
  seed: number;
  /**
   * Numbers of corrections given to fine-tuning, ascending. Each run starts afresh from the starting model
   * with the first n training utterances; the largest n is how many training utterances are made.
   */
  corrections: number[];
  /** Utterances the models are scored on: never trained on, distinct sentences from the training ones. */
  testUtterances: number;
  /** Fewest and most spoken words per sentence: everyday dictation lengths. */
  minWords: number;
  maxWords: number;
  /** The user: a corpus voice held out of base training (see the corpus config's heldOutVoices). */
  userVoice: string;
  /** How the user's audio is rendered: settings outside the corpus's augmentation ranges. */
  userAugment: Augmentation;
  /** Somebody else: another held-out voice, saying the user's test sentences. */
  otherVoice: string;
  /** The other voice as the engine makes it: no effects, only level and pads. */
  otherAugment: Augmentation;
  /** Compute backend of every child (`--backend`). */
  backend: string;
  /** Training threads of fine-tuning (`--threads`), and WebAssembly threads of the evaluation children. */
  threads: number;
  /** Extra `attune finetune` options, to compare recipes (e.g. ['--adapt-blocks', '12']); none by default. */
  finetuneArgs: string[];
  /** Keep the working folder (audio, transcripts, fine-tuned models) instead of deleting it. */
  keep: boolean;
  /** A fine-tuning child is killed after this long, ms. */
  finetuneTimeoutMs: number;
  /** An evaluation child is killed after this long, ms. */
  evalTimeoutMs: number;
}

export const DEFAULT_PERSONAL_BENCH: Readonly<PersonalBenchConfig> = Object.freeze({
  seed: 1,
  corrections: [5, 10, 20, 30],
  testUtterances: 30,
  minWords: 4,
  maxWords: 14,
  userVoice: 'flite-rms',
  userAugment: {
    // Above the corpus's ±250 cents: a pitch the base model never heard this (or any) voice at.
    pitchCents: 350,
    tempo: 1,
    eq: null,
    band: null,
    // A mid-sized, fairly live room (the corpus draws reverb for only some utterances).
    reverb: { reverberance: 50, roomScale: 70 },
    noise: null,
    // Moderate level: 6 dB below full scale.
    peakDb: -6,
    padStartMs: 200,
    padEndMs: 300,
  },
  otherVoice: 'espeak-en-us-nyc',
  otherAugment: {
    pitchCents: 0,
    tempo: 1,
    eq: null,
    band: null,
    reverb: null,
    noise: null,
    peakDb: -6,
    padStartMs: 200,
    padEndMs: 300,
  },
  // The benchmark runs on an idle machine: both cores, as the app's trainer would get them.
  backend: 'wasm',
  threads: 2,
  finetuneArgs: [],
  keep: false,
  finetuneTimeoutMs: 30 * 60_000,
  evalTimeoutMs: 10 * 60_000,
} satisfies PersonalBenchConfig);

export type PersonalBenchOptions = Partial<PersonalBenchConfig> & {
  /** One line per stage, for a console. */
  onProgress?: (message: string) => void;
};

/** Targets for personal fine-tuning on a 2-core laptop CPU. */
export const PERSONAL_TARGETS = {
  /** Fall of the user's WER after the most corrections, relative to the starting model, %. */
  userWerDrop: { compare: '≥', value: 30 },
  /** Rise of the replay (general speech) WER with the model in use, relative, %. */
  replayWerRise: { compare: '≤', value: 10 },
  /** Rise of the other voice's WER with the model in use, relative, %. */
  otherWerRise: { compare: '≤', value: 10 },
  /** Wall time of the fine-tuning process for the most corrections, s. */
  finetuneSeconds: { compare: '≤', value: 240 },
  /** Peak RSS of the fine-tuning process, MB (10⁶ bytes). */
  finetuneRssMB: { compare: '≤', value: 1000 },
} satisfies Record<string, Target>;

/** The last line of `attune finetune --json`. */
export interface FinetuneJson {
  status: PersonalizeResult['status'];
  promoted: boolean;
  reason: string;
  model: string;
  out: string | null;
  /** How the guard decoded its scores (held-back and replay): as dictation writes finals. */
  decoding?: 'greedy' | 'language model';
  user: { before: SetScore; after: SetScore } | null;
  replay: { before: SetScore; after: SetScore } | null;
  lexicon: LexiconEffect | null;
  training: PersonalizeResult['training'];
  trainPairs: number;
  heldOutPairs: number;
  skipped: { id: string; reason: string }[];
  warnings: string[];
  /** Seconds inside personalize(): loading the clips, training, the guard, saving. */
  seconds: number;
  peakRssBytes: number;
}

/** The last line of `attune eval --json`, as far as the benchmark reads it. */
export interface EvalJson {
  wer: number;
  cer: number;
  utterances: number;
  skipped: number;
}

export interface PersonalRun {
  /** Corrections handed to `attune finetune` (it trains on some and holds the rest back for its guard). */
  corrections: number;
  finetune: FinetuneJson;
  /** Wall time of the whole fine-tuning process, as the benchmark saw it, s. */
  wallSeconds: number;
  /** The model the user has after this run: the fine-tuned one if the guard promoted it. */
  inUse: 'fine-tuned' | 'starting';
  /** The model in use on the user's test utterances and on the other voice's. */
  user: EvalJson;
  other: EvalJson;
  /** The user's test utterances as dictation writes them: decoded with the shipped language model. */
  userLm: EvalJson | null;
  /** The other voice's, decoded the same way (absent in results made before it was measured). */
  otherLm?: EvalJson | null;
}

export interface PersonalBenchResult {
  config: Omit<PersonalBenchConfig, 'keep'>;
  /** The starting model: folder (relative to the repository when inside it) and one line about it. */
  model: { dir: string; description: string };
  /** Transcripts of the training utterances (in correction order) and of the test utterances. */
  sentences: { train: string[]; test: string[]; pool: number; failed: number; textSha256: string };
  tools: Record<string, string>;
  /** The starting model on the user's test utterances and on the other voice's (and with the LM). */
  base: { user: EvalJson; other: EvalJson; userLm: EvalJson | null; otherLm?: EvalJson | null };
  runs: PersonalRun[];
  elapsedSeconds: number;
}

const CLI = join(repoRoot, 'src-main', 'cli', 'main.ts');
const MB = 1e6;
const percent = (x: number) => x * 100;

/** A change from `before` to `after` relative to `before`, in %: positive when it rose. */
export function relativeChange(before: number, after: number): number {
  if (before === 0) return after === 0 ? 0 : Infinity;
  return ((after - before) / before) * 100;
}

/** The starting model in one line: version, when it was made, training step, its own test scores, weights hash. */
export function describeModel(dir: string): string {
  const folder = loadModelFolder(dir);
  const info = folder.info;
  const card = folder.modelCard?.split('\n')[0]?.replace(/^#\s*/, '').trim();
  const step = info.training?.step;
  const unseen = info.metrics?.['test-unseen'] as { wer?: number } | undefined;
  const weights = createHash('sha256')
    .update(readFileSync(join(dir, 'model.safetensors')))
    .digest('hex')
    .slice(0, 12);
  return [
    card ? `"${card}"` : null,
    info.version ? `version ${info.version}` : null,
    info.createdAt ? `made ${info.createdAt}` : null,
    typeof step === 'number' ? `training step ${step}` : null,
    unseen?.wer != null ? `its card's test-unseen WER ${formatValue(percent(unseen.wer))}%` : null,
    `model.safetensors sha256 ${weights}…`,
  ]
    .filter((s): s is string => s !== null)
    .join(', ');
}

interface Clip {
  id: string;
  transcript: string;
  path: string;
}

/** LibriSpeech layout: `<speaker>/<chapter>/<id>.flac` beside `<speaker>-<chapter>.trans.txt`. */
function writeLibriSpeech(dir: string, speaker: number, chapter: number, clips: readonly Clip[]): void {
  const chapterDir = join(dir, String(speaker), String(chapter));
  mkdirSync(chapterDir, { recursive: true });
  for (const c of clips) copyFileSync(c.path, join(chapterDir, `${c.id}.flac`));
  const lines = clips.map((c) => `${c.id} ${c.transcript}`);
  writeFileSync(join(chapterDir, `${speaker}-${chapter}.trans.txt`), lines.join('\n') + '\n');
}

function voiceNamed(inventory: readonly Voice[], name: string): Voice {
  const voice = inventory.find((v) => v.name === name);
  if (!voice) throw new Error(`voice ${name} is not installed (installed: ${inventory.length} voices)`);
  if (!matchesAny(name, DEFAULT_CORPUS_CONFIG.heldOutVoices))
    throw new Error(
      `voice ${name} is not held out of the base corpus (${DEFAULT_CORPUS_CONFIG.heldOutVoices.join(', ')})`,
    );
  return voice;
}

/** Synthesises and renders one utterance with the corpus code; false when the engine could not say it. */
async function speak(
  voice: Voice,
  sentence: Sentence,
  augment: Augmentation,
  outPath: string,
  seed: number,
  id: string,
): Promise<boolean> {
  const wavPath = `${outPath}.synth.wav`;
  try {
    const missing = await synthesizeBatch(voice, [
      { text: sentence.synthText, params: { rate: 1 }, wavPath },
    ]);
    if (missing.length > 0) return false;
    await renderUtterance(
      wavPath,
      outPath,
      augment,
      DEFAULT_CORPUS_CONFIG.sampleRate,
      rngFor(seed, 'noise', id),
    );
    return true;
  } catch (err) {
    if (err instanceof RenderError) return false;
    throw err;
  } finally {
    rmSync(wavPath, { force: true });
  }
}

/** Runs the whole benchmark: audio, fine-tuning runs and evaluations, each in a child process. */
export async function benchPersonal(
  modelDir: string,
  options: PersonalBenchOptions = {},
): Promise<PersonalBenchResult> {
  const started = performance.now();
  const { onProgress, ...overrides } = options;
  const cfg: PersonalBenchConfig = { ...DEFAULT_PERSONAL_BENCH, ...overrides };
  const log = (m: string) => onProgress?.(m);
  const corrections = [...cfg.corrections].sort((a, b) => a - b);
  const trainCount = corrections.at(-1) ?? 0;
  if (!(corrections[0] >= 2 && cfg.testUtterances >= 1))
    throw new Error(
      'the benchmark needs at least 2 corrections per run (one is held back) and 1 test utterance',
    );
  const model = resolve(modelDir);
  const description = describeModel(model);

  const inventory = voiceInventory(await detectInstalled());
  const user = voiceNamed(inventory, cfg.userVoice);
  const other = voiceNamed(inventory, cfg.otherVoice);

  // Sentences: the corpus's held-out test set, at everyday lengths, in a seeded order.
  const text = prepareSentences(
    readWordNetExamples(DEFAULT_CORPUS_CONFIG.wordnetDir),
    DEFAULT_CORPUS_CONFIG.sentences,
  );
  const pool = shuffled(
    text.sentences.filter((s) => {
      const words = s.spoken.split(' ').length;
      return s.set === 'test' && words >= cfg.minWords && words <= cfg.maxWords;
    }),
    rngFor(cfg.seed, 'personal-bench', 'sentences'),
  );

  const dir = mkdtempSync(join(tmpdir(), 'attune-bench-personal-'));
  try {
    // ── Audio: the first sentences the voices can say, training ones first, then test ones ─────────
    log(
      `rendering ${trainCount} + ${cfg.testUtterances} utterances of ${user.name}, ${cfg.testUtterances} of ${other.name} …`,
    );
    const clipDir = join(dir, 'clips');
    mkdirSync(clipDir);
    const train: Clip[] = [];
    const test: Clip[] = [];
    const otherTest: Clip[] = [];
    let failed = 0;
    for (const sentence of pool) {
      if (train.length >= trainCount && test.length >= cfg.testUtterances) break;
      const forTraining = train.length < trainCount;
      const chapter = forTraining ? 1 : 2;
      const index = String(forTraining ? train.length : test.length).padStart(4, '0');
      const transcript = sentence.spoken.toUpperCase();
      const mine: Clip = { id: `${user.speaker}-${chapter}-${index}`, transcript, path: '' };
      mine.path = join(clipDir, `${mine.id}.flac`);
      if (!(await speak(user, sentence, cfg.userAugment, mine.path, cfg.seed, mine.id))) {
        failed++;
        continue;
      }
      if (forTraining) {
        train.push(mine);
        continue;
      }
      const theirs: Clip = { id: `${other.speaker}-${chapter}-${index}`, transcript, path: '' };
      theirs.path = join(clipDir, `${theirs.id}.flac`);
      if (!(await speak(other, sentence, cfg.otherAugment, theirs.path, cfg.seed, theirs.id))) {
        failed++;
        continue;
      }
      test.push(mine);
      otherTest.push(theirs);
    }
    if (train.length < trainCount || test.length < cfg.testUtterances)
      throw new Error(
        `only ${train.length} training and ${test.length} test utterances from ${pool.length} sentences`,
      );
    const trainDir = (n: number) => join(dir, `train-${n}`);
    for (const n of corrections) writeLibriSpeech(trainDir(n), user.speaker, 1, train.slice(0, n));
    const userTestDir = join(dir, 'user-test');
    const otherTestDir = join(dir, 'other-test');
    writeLibriSpeech(userTestDir, user.speaker, 2, test);
    writeLibriSpeech(otherTestDir, other.speaker, 2, otherTest);

    // ── Children: the real CLI, one process per command ──────────────────────────────────────────
    const env = { ATTUNE_WASM_THREADS: String(cfg.threads) };
    const evaluate = async (data: string, m: string, lm = false): Promise<EvalJson> => {
      // The evaluation caches features under TMPDIR: here, inside the working folder, so they go with it.
      // Fine-tuning keeps the usual TMPDIR (and so tsx's warm compile cache): its wall time is measured.
      const r = await runTsChild<EvalJson>(
        CLI,
        ['eval', data, '--model', m, '--json', '--backend', cfg.backend, ...(lm ? ['--lm'] : [])],
        { timeoutMs: cfg.evalTimeoutMs, env: { ...env, TMPDIR: dir } },
      );
      // Only the totals, so the result stays small (`--keep` and `attune eval` give the hypotheses).
      return { wer: r.wer, cer: r.cer, utterances: r.utterances, skipped: r.skipped };
    };
    const evalBoth = async (m: string) => ({
      user: await evaluate(userTestDir, m),
      other: await evaluate(otherTestDir, m),
      // What the user reads: finals are decoded with the shipped language model when it is installed.
      userLm: existsSync(BASE_LM_PATH) ? await evaluate(userTestDir, m, true) : null,
      otherLm: existsSync(BASE_LM_PATH) ? await evaluate(otherTestDir, m, true) : null,
    });
    log('scoring the starting model …');
    const base = await evalBoth(model);

    const runs: PersonalRun[] = [];
    for (const n of corrections) {
      log(`fine-tuning on ${n} corrections …`);
      const t0 = performance.now();
      const finetune = await runTsChild<FinetuneJson>(
        CLI,
        [
          'finetune',
          '--model',
          model,
          '--data',
          trainDir(n),
          '--out',
          join(dir, `model-${n}`),
          '--json',
          '--threads',
          String(cfg.threads),
          '--backend',
          cfg.backend,
          ...cfg.finetuneArgs,
        ],
        { timeoutMs: cfg.finetuneTimeoutMs, env },
      );
      const wallSeconds = (performance.now() - t0) / 1000;
      log(`  ${finetune.reason}`);
      // A kept model is the starting model itself: same weights, same audio, so the same scores.
      const scores = finetune.promoted && finetune.out ? await evalBoth(finetune.out) : base;
      runs.push({
        corrections: n,
        finetune,
        wallSeconds,
        inUse: finetune.promoted ? 'fine-tuned' : 'starting',
        ...scores,
      });
    }
    const { keep: _keep, ...config } = cfg;
    const shown = relative(repoRoot, model);
    return {
      config,
      model: { dir: shown.startsWith('..') ? model : shown, description },
      sentences: {
        train: train.map((c) => c.transcript),
        test: test.map((c) => c.transcript),
        pool: pool.length,
        failed,
        textSha256: text.sha256,
      },
      tools: await toolVersions(),
      base,
      runs,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (cfg.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const cents = (c: number) => `${c > 0 ? '+' : ''}${c} cents`;

function describeAugment(a: Augmentation): string {
  const parts = [
    a.pitchCents !== 0 ? `sox pitch ${cents(a.pitchCents)}` : 'no pitch shift',
    a.reverb
      ? `reverb (reverberance ${a.reverb.reverberance}%, room scale ${a.reverb.roomScale}%)`
      : 'no reverb',
    a.noise ? `${a.noise.color} noise at ${a.noise.snrDb} dB SNR` : 'no noise',
  ];
  if (a.tempo !== 1) parts.push(`tempo × ${a.tempo}`);
  if (a.eq) parts.push(`EQ ${a.eq.gainDb} dB at ${a.eq.freqHz} Hz`);
  if (a.band) parts.push(`band ${a.band.highpassHz}–${a.band.lowpassHz} Hz`);
  parts.push(`peak ${a.peakDb} dBFS`, `${a.padStartMs}/${a.padEndMs} ms of silence before/after`);
  return parts.join(', ');
}

/** The RESULTS.md section: the curve, the relative changes against their targets, and how it was measured. */
export function personalSection(r: PersonalBenchResult): Section {
  const c = r.config;
  const last = r.runs.at(-1);
  const n = last?.corrections ?? 0;
  const kept = (run: PersonalRun) => (run.inUse === 'fine-tuned' ? 'promoted' : 'kept the starting model');
  const rows: Row[] = [
    { name: 'user WER, starting model', value: percent(r.base.user.wer), unit: '%' },
    { name: 'user CER, starting model', value: percent(r.base.user.cer), unit: '%' },
  ];
  for (const run of r.runs) {
    rows.push(
      {
        name: `user WER after ${run.corrections} corrections (${kept(run)})`,
        value: percent(run.user.wer),
        unit: '%',
      },
      { name: `user CER after ${run.corrections} corrections`, value: percent(run.user.cer), unit: '%' },
    );
  }
  if (r.base.userLm) {
    rows.push({
      name: 'user WER as dictation writes it (with the language model), starting model',
      value: percent(r.base.userLm.wer),
      unit: '%',
    });
    for (const run of r.runs) {
      rows.push({
        name: `user WER with the language model after ${run.corrections} corrections`,
        value: run.userLm ? percent(run.userLm.wer) : null,
        unit: '%',
      });
    }
  }
  const replay = last?.finetune.replay ?? null;
  const replayHow = last?.finetune.decoding === 'language model' ? ', with the language model' : '';
  // The model in use: the candidate's replay score if it was promoted, else the starting model's.
  const replayInUse = replay && last ? (last.inUse === 'fine-tuned' ? replay.after : replay.before) : null;
  rows.push(
    {
      name: `relative WER drop for the user after ${n} corrections`,
      value: last ? -relativeChange(r.base.user.wer, last.user.wer) : null,
      unit: '%',
      target: PERSONAL_TARGETS.userWerDrop,
    },
    {
      // What the user sees: dictation writes finals with the language model.
      name: `relative WER drop for the user after ${n} corrections, with the language model`,
      value: last?.userLm && r.base.userLm ? -relativeChange(r.base.userLm.wer, last.userLm.wer) : null,
      unit: '%',
      target: PERSONAL_TARGETS.userWerDrop,
    },
    {
      // A weak model's WER hides progress inside words; the CER shows it.
      name: `relative CER drop for the user after ${n} corrections`,
      value: last ? -relativeChange(r.base.user.cer, last.user.cer) : null,
      unit: '%',
    },
    {
      name: `replay WER (general speech${replayHow}), starting model`,
      value: replay ? percent(replay.before.wer) : null,
      unit: '%',
    },
    {
      name: `replay WER${replayHow} after ${n} corrections (model in use)`,
      value: replayInUse ? percent(replayInUse.wer) : null,
      unit: '%',
    },
    {
      name: 'replay WER relative rise',
      value: replay && replayInUse ? relativeChange(replay.before.wer, replayInUse.wer) : null,
      unit: '%',
      target: PERSONAL_TARGETS.replayWerRise,
    },
    { name: 'other-voice WER, starting model', value: percent(r.base.other.wer), unit: '%' },
    {
      name: `other-voice WER after ${n} corrections (model in use)`,
      value: last ? percent(last.other.wer) : null,
      unit: '%',
    },
    {
      name: 'other-voice WER relative rise',
      value: last ? relativeChange(r.base.other.wer, last.other.wer) : null,
      unit: '%',
      target: PERSONAL_TARGETS.otherWerRise,
    },
  );
  if (r.base.otherLm && last?.otherLm) {
    rows.push(
      {
        name: 'other-voice WER with the language model, starting model',
        value: percent(r.base.otherLm.wer),
        unit: '%',
      },
      {
        name: `other-voice WER with the language model after ${n} corrections (model in use)`,
        value: percent(last.otherLm.wer),
        unit: '%',
      },
      {
        name: 'other-voice WER relative rise, with the language model',
        value: relativeChange(r.base.otherLm.wer, last.otherLm.wer),
        unit: '%',
        target: PERSONAL_TARGETS.otherWerRise,
      },
    );
  }
  const lexicon = last?.finetune.lexicon ?? null;
  if (lexicon) {
    const on = `${lexicon.greedy.utterances} held-back corrections`;
    rows.push(
      { name: `held-back WER at ${n}, greedy (${on})`, value: percent(lexicon.greedy.wer), unit: '%' },
      {
        name: `held-back WER at ${n}, lexicon-boosted (${lexicon.words} words)`,
        value: percent(lexicon.boosted.wer),
        unit: '%',
      },
    );
    if (lexicon.languageModel)
      rows.push(
        {
          name: `held-back WER at ${n}, language model`,
          value: percent(lexicon.languageModel.plain.wer),
          unit: '%',
        },
        {
          name: `held-back WER at ${n}, language model and lexicon (as dictation writes it)`,
          value: percent(lexicon.languageModel.boosted.wer),
          unit: '%',
        },
      );
  }
  rows.push(
    {
      name: `fine-tuning wall time, ${n} corrections (whole process)`,
      value: last ? last.wallSeconds : null,
      unit: 's',
      target: PERSONAL_TARGETS.finetuneSeconds,
    },
    {
      name: `of which personalize() (clips, training, guard, save)`,
      value: last ? last.finetune.seconds : null,
      unit: 's',
    },
    {
      name: `peak RSS of the fine-tuning process, ${n} corrections`,
      value: last ? last.finetune.peakRssBytes / MB : null,
      unit: 'MB',
      target: PERSONAL_TARGETS.finetuneRssMB,
    },
  );

  const heldOut = DEFAULT_CORPUS_CONFIG.heldOutVoices.join(', ');
  const [lo, hi] = DEFAULT_CORPUS_CONFIG.augment.pitchCents;
  const command =
    `attune finetune --model ${r.model.dir} --data <tmp>/train-<n> --out <tmp>/model-<n> --json ` +
    `--threads ${c.threads} --backend ${c.backend}` +
    (c.finetuneArgs.length > 0 ? ` ${c.finetuneArgs.join(' ')}` : '');
  const notes = [
    `Starting model: ${r.model.dir} (${r.model.description}). Every run starts from it afresh.`,
    `The user: ${c.userVoice}, a voice held out of the base corpus (heldOutVoices: ${heldOut}), at its own pace ` +
      `with ${describeAugment(c.userAugment)}; the corpus shifts pitch only within ${cents(lo)}…${cents(hi)}. ` +
      'Made by the corpus code (synthesizeBatch, renderUtterance), 16 kHz FLAC.',
    `Another person: ${c.otherVoice} (also held out) saying the same ${r.sentences.test.length} test sentences, ` +
      `${describeAugment(c.otherAugment)}: whether the personal model got worse for other people.`,
    `Sentences: WordNet 3.0 examples of the corpus's held-out test set (prepareSentences, text sha256 ` +
      `${r.sentences.textSha256.slice(0, 12)}…), ${c.minWords}–${c.maxWords} spoken words (${r.sentences.pool} ` +
      `such), shuffled with seed ${c.seed}: the first ${r.sentences.train.length} for corrections (run n takes the ` +
      `first n), the next ${r.sentences.test.length} for testing` +
      (r.sentences.failed > 0 ? `; ${r.sentences.failed} the voices could not say were passed over.` : '.') +
      ` E.g. "${r.sentences.train[0]?.toLowerCase() ?? ''}".`,
    `Fine-tuning: \`${command}\` (evaluations: ATTUNE_WASM_THREADS=${c.threads}), in a process of its own; as in the app, ` +
      'the command holds back every fifth pair (20%) for its guard and trains on the rest with replay.',
    ...r.runs.map((run) => {
      const f = run.finetune;
      const t = f.training;
      return (
        `${run.corrections} corrections: trained on ${f.trainPairs}, held back ${f.heldOutPairs}; ` +
        `${t.steps} steps (best ${t.bestStep}, ${t.stopped}) with ${t.replayUtterances} replay utterances, ` +
        `${formatValue(run.wallSeconds)} s, peak RSS ${formatValue(f.peakRssBytes / MB)} MB. Guard: ${f.reason}.` +
        (f.warnings.length > 0 ? ` Warnings: ${f.warnings.join('; ')}.` : '')
      );
    }),
    `Scores: \`attune eval <folder> --model <model in use> --json --backend ${c.backend}\` on the ` +
      `${r.base.user.utterances} user test utterances and the ${r.base.other.utterances} other-voice ones, ` +
      'greedy decoding without the lexicon, and the same with `--lm` (the shipped language model, as ' +
      'dictation writes finals) for the rows "with the language model". The model in use is the fine-tuned one when the guard promoted it, ' +
      "else the starting model (whose scores are then the starting model's own). The replay WERs are the " +
      "guard's, on the replay utterances it holds back, decoded as the guard decodes (as dictation writes " +
      `finals: ${last?.finetune.decoding === 'language model' ? 'with the language model' : 'greedy'}).`,
    'Relative drop = (starting WER − WER after) ÷ starting WER; relative rise = (after − starting) ÷ starting. ' +
      'Held-back WERs (lexicon rows) are on the few corrections the command held back, greedy against the ' +
      'personal-lexicon beam search, with the model in use; then as finals are decoded, with the language model ' +
      'alone and with the language model and the lexicon.',
    `Tools: ${Object.entries(r.tools)
      .filter(([k]) => k !== 'festival')
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}. Whole benchmark: ${formatValue(r.elapsedSeconds)} s.`,
  ];
  return { title: `Personal fine-tuning (${c.userVoice}, ${r.model.dir})`, rows, notes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: String(DEFAULT_PERSONAL_BENCH.threads) },
      backend: { type: 'string', default: DEFAULT_PERSONAL_BENCH.backend },
      keep: { type: 'boolean', default: false },
      // Repeatable: --finetune-arg=--adapt-blocks --finetune-arg=12
      'finetune-arg': { type: 'string', multiple: true, default: [] },
    },
  });
  const threads = Number(values.threads);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a whole number ≥ 1`);
  const model = positionals[0] ?? fileURLToPath(new URL('../models/base', import.meta.url));
  const result = await benchPersonal(model, {
    threads,
    backend: values.backend,
    keep: values.keep,
    finetuneArgs: values['finetune-arg'],
    onProgress: (m) => console.error(m),
  });
  const section = personalSection(result);
  for (const row of section.rows) {
    const value = row.value == null ? '—' : formatValue(row.value);
    const verdict =
      row.target && row.value != null
        ? ` (target ${row.target.compare} ${formatValue(row.target.value)}: ${passes(row.value, row.target) ? 'pass' : 'FAIL'})`
        : '';
    console.log(`${row.name}: ${value} ${row.unit}${verdict}`);
  }
  for (const note of section.notes) console.log(`- ${note}`);
  console.log(JSON.stringify(result));
}
