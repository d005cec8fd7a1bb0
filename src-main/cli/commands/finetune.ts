import { basename, dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { addRecipeOption, applyRecipe, researchOption } from './recipe-option.js';
import { recoverModelFolders, removeFolder, removeFolderLeftovers } from '../../model/folder-recovery.js';
import { killPoint } from '../../model/kill-point.js';
import { loadModel } from '../../model/model-io.js';
import { introducedWords } from '../../speech/lexicon.js';
import { addLmOptions, languageModelPath, type LmOption } from './lm-option.js';
import { evaluate } from '../../training/evaluate.js';
import { evalItemsOf, type SetScore } from '../../training/guard.js';
import { splitHeldOut } from '../../training/holdout.js';
import { readLibriSpeech } from '../../training/librispeech.js';
import { loadUtterances } from '../../training/memory-features.js';
import {
  checkBackOff,
  DEFAULT_PERSONALIZE,
  jobFolderProblem,
  personalize,
  type PersonalizeConfig,
  type PersonalizeJob,
  type PersonalizeProgress,
  type PersonalizeResult,
  readJob,
  saveJob,
} from '../../training/personalize.js';
import type { SourceUtterance } from '../../training/prepare.js';
import { progressBar } from '../progress.js';
import { BASE_MODEL_DIR } from './model-option.js';
import { TRAINING_BACKEND_HELP, withTrainingBackend } from './training-backend.js';
import { defaultTrainingThreads, trainingThreads } from '../../training/shard-workers.js';
import { listOption, numberOption, optionError, positiveOption, wholeNumberOption } from './options.js';

interface FinetuneOptions {
  model?: string;
  data: string;
  out: string;
  work?: string;
  steps?: string;
  lr?: string;
  adaptBlocks?: string;
  adaptFirstBlocks?: string;
  adaptSubsampling: boolean;
  anchorDecay?: string;
  replayRatio?: string;
  heldOut: string;
  replayMargin: string;
  backOff: string;
  backend: string;
  threads: string;
  lexicon: boolean;
  lm: LmOption;
  json?: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * The pairs' personal lexicon: as in the app, the words a correction introduces — here, words of each
 * transcript that the starting model's own transcript of the clip lacks.
 */
async function pairLexicon(modelDir: string, pairs: SourceUtterance[]): Promise<string[]> {
  const loaded = loadModel(modelDir);
  try {
    const { set } = await loadUtterances(pairs, loaded.features);
    const r = evaluate(loaded.model, loaded.alphabet, evalItemsOf(set));
    const words = new Set<string>();
    for (const h of r.hypotheses)
      for (const w of introducedWords(h.hyp, h.ref, loaded.alphabet)) words.add(w);
    return [...words];
  } finally {
    loaded.model.dispose();
  }
}

/** `--back-off 1,0.5,0.25`: the shares of the change the guard tries, largest first. */
function backOffOption(text: string): number[] {
  const rule = 'shares in (0, 1], largest first, separated by commas';
  const shares = listOption(text, 'back-off', rule, (x) => numberOption(x, 'back-off', { above: 0, max: 1 }));
  try {
    checkBackOff(shares);
  } catch {
    throw optionError('back-off', rule, text);
  }
  return shares;
}

/**
 * `attune finetune`: personal fine-tuning on a LibriSpeech-layout folder, each (audio, text) pair taken as a
 * correction, through the same code as the app (split, fine-tune with replay, guard). Prints the before and
 * after scores; the last line is one JSON object. Rerunning after an interruption resumes the run.
 */
export function registerFinetune(program: Command): void {
  const command = program
    .command('finetune')
    .description(
      'fine-tune a model on (audio, text) pairs as if they were corrections, and measure it against the original (last line: one JSON object)',
    )
    .option('--model <dir>', 'model folder to start from (default: the shipped base model)')
    .requiredOption('--data <dir>', 'LibriSpeech-layout folder of the speaker’s recordings and transcripts')
    .requiredOption('--out <dir>', 'model folder to write when the new model proves better')
    .option('--work <dir>', 'folder for checkpoints and the log (default: next to --out); a rerun resumes')
    .option('--backend <name>', TRAINING_BACKEND_HELP, 'auto')
    .option(
      '--threads <n>',
      'training threads on the wasm and cpu backends, each computing its share of every batch',
      String(defaultTrainingThreads()),
    )
    .option('--no-lexicon', 'do not measure the personal lexicon (words the transcripts introduce)')
    .option('--json', 'print only the JSON result');
  addResearchSettings(command);
  addRecipeOption(command);
  // The guard and the lexicon decode as finals are decoded: with the shipped language model unless --no-lm.
  addLmOptions(command, true, false).action((o: FinetuneOptions, cmd: Command) => {
    applyRecipe(cmd, o as unknown as Record<string, unknown>);
    return runFinetune(o);
  });
}

/**
 * How fine-tuning adapts, beyond the everyday flags: a recipe file holds these (recipe-option.ts). Unset, they
 * follow the recipe the amount of speech chooses (training/recipe.ts), as in the app.
 */
function addResearchSettings(command: Command): void {
  const setting = (flags: string, description: string, value?: string) =>
    researchOption(
      command,
      value === undefined ? new Option(flags, description) : new Option(flags, description).default(value),
    );
  setting(
    '--steps <n>',
    `optimizer steps at most (default: by the recipe; ${DEFAULT_PERSONALIZE.steps} for a few corrections)`,
  );
  setting(
    '--lr <x>',
    `learning rate (default: by the recipe; ${DEFAULT_PERSONALIZE.learningRate} for a few corrections)`,
  );
  setting(
    '--adapt-first-blocks <n>',
    `first residual blocks adapted (default: by the recipe; ${DEFAULT_PERSONALIZE.adaptFirstBlocks} for a few corrections)`,
  );
  setting(
    '--adapt-blocks <n>',
    `last residual blocks adapted, with the output head (0: neither; default: by the recipe; ${DEFAULT_PERSONALIZE.adaptBlocks} for a few corrections)`,
  );
  setting('--no-adapt-subsampling', 'keep the subsampling layers frozen');
  setting(
    '--anchor-decay <x>',
    `pull towards the starting model's weights (0: none); adapted weights stay within about 1/x of them (default: by the recipe; ${DEFAULT_PERSONALIZE.anchorDecay} for a few corrections)`,
  );
  setting(
    '--replay-ratio <x>',
    `general-speech utterances trained on beside each of yours, against forgetting (default ${DEFAULT_PERSONALIZE.replayRatio})`,
  );
  setting(
    '--held-out <x>',
    'share of pairs held back to measure on',
    String(DEFAULT_PERSONALIZE.holdout.heldOutFraction),
  );
  setting(
    '--replay-margin <x>',
    "largest allowed rise of the replay WER over the base model's, as a fraction of it (0.1 = 10%, at least 2 points)",
    String(DEFAULT_PERSONALIZE.guard.replayMarginRelative),
  );
  setting(
    '--back-off <shares>',
    'shares of the trained change tried in turn while the new model forgets too much general speech (1: all of it)',
    DEFAULT_PERSONALIZE.backOff.join(','),
  );
}

/** Fine-tunes as the flags ask, prints the scores, and ends with the JSON result. */
async function runFinetune(o: FinetuneOptions): Promise<void> {
  const modelDir = resolve(o.model ?? BASE_MODEL_DIR);
  const config = personalizeConfig(o);
  const threads = wholeNumberOption(o.threads, 'threads');
  const { job, result, t0 } = await withTrainingBackend(o.backend, threads, true, async (backend) => {
    const shared = trainingThreads(backend.local.name, threads);
    const job = await openJob(o, modelDir, config);
    if (!o.json)
      process.stderr.write(
        `backend: ${backend.name} (${backend.host ? 'the model on the GPU' : `${shared} training thread${shared === 1 ? '' : 's'}`}); ` +
          `${job.train.length} pairs to learn from, ${job.heldOut.length} held back\n`,
      );
    const t0 = performance.now();
    const bar = trainingBar(o.json === true);
    const onNotice = (message: string) => process.stderr.write(`\n${message}\n`);
    const result = await personalize(job, {
      threads,
      onProgress: bar.onProgress,
      host: backend.host,
      onNotice,
    });
    bar.stop();
    return { job, result, t0 };
  });
  const seconds = (performance.now() - t0) / 1000;
  killPoint('finetune:finished');
  // Renamed aside, then deleted: a kill while deleting leaves no half job folder to resume from.
  removeFolder(job.workDir);
  if (!o.json) process.stdout.write(scoreTable(result));
  process.stdout.write(
    JSON.stringify({
      status: result.status,
      promoted: result.status === 'promoted',
      reason: result.reason,
      model: modelDir,
      out: result.outDir,
      // How the scores below were decoded: with the language model unless --no-lm.
      decoding: result.metrics?.decoding ?? 'greedy',
      user: result.metrics?.user ?? null,
      replay: result.metrics?.replay ?? null,
      lexicon: result.lexicon,
      training: result.training,
      trainPairs: job.train.length,
      heldOutPairs: job.heldOut.length,
      skipped: result.skipped,
      warnings: result.warnings,
      seconds,
      // The whole process's high-water mark (maxRSS is in KiB): what fine-tuning costs in memory.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }) + '\n',
  );
}

/** The flags' fine-tuning settings: only those given, the rest left to the recipe (as in the app). */
function personalizeConfig(o: FinetuneOptions): Partial<PersonalizeConfig> {
  const heldOutFraction = numberOption(o.heldOut, 'held-out', { above: 0, below: 1 });
  return {
    ...(o.steps !== undefined ? { steps: wholeNumberOption(o.steps, 'steps') } : {}),
    ...(o.lr !== undefined ? { learningRate: positiveOption(o.lr, 'lr') } : {}),
    ...(o.adaptBlocks !== undefined
      ? { adaptBlocks: wholeNumberOption(o.adaptBlocks, 'adapt-blocks', 0) }
      : {}),
    ...(o.adaptFirstBlocks !== undefined
      ? { adaptFirstBlocks: wholeNumberOption(o.adaptFirstBlocks, 'adapt-first-blocks', 0) }
      : {}),
    ...(o.adaptSubsampling ? {} : { adaptSubsampling: false }),
    ...(o.replayRatio !== undefined
      ? { replayRatio: numberOption(o.replayRatio, 'replay-ratio', { min: 0 }) }
      : {}),
    ...(o.anchorDecay !== undefined
      ? { anchorDecay: numberOption(o.anchorDecay, 'anchor-decay', { min: 0 }) }
      : {}),
    holdout: { ...DEFAULT_PERSONALIZE.holdout, heldOutFraction },
    guard: {
      ...DEFAULT_PERSONALIZE.guard,
      replayMarginRelative: numberOption(o.replayMargin, 'replay-margin', { min: 0 }),
    },
    backOff: backOffOption(o.backOff),
  };
}

/**
 * The job the flags ask for, saved in its work folder. An unfinished run of the same command resumes; a
 * different request starts afresh; a killed run's leftovers never block this one.
 */
async function openJob(
  o: FinetuneOptions,
  modelDir: string,
  config: Partial<PersonalizeConfig>,
): Promise<PersonalizeJob> {
  const out = resolve(o.out);
  const workDir = resolve(o.work ?? join(dirname(out), `.${basename(out)}.work`));
  const languageModel = languageModelPath(o.lm, true);
  const corpus = await readLibriSpeech(o.data);
  const { train, heldOut } = splitHeldOut(corpus.utterances, 0, config.holdout);
  if (heldOut.length === 0)
    throw new Error(`${corpus.root}: at least two recordings are needed (one is held back to measure on)`);
  const pairs = train.map(({ id, speaker, audioPath, text }) => ({ id, speaker, audioPath, text }));
  const job: PersonalizeJob = {
    workDir,
    parentDir: modelDir,
    outDir: out,
    label: basename(out),
    train: pairs,
    heldOut: heldOut.map(({ id, speaker, audioPath, text }) => ({ id, speaker, audioPath, text })),
    lexicon: o.lexicon ? await pairLexicon(modelDir, pairs) : [],
    ...(languageModel ? { languageModel } : {}),
    config,
  };
  // Half-finished saves and removals are completed, and a job folder that cannot be resumed (e.g. cut short
  // while it was being deleted) is started afresh.
  const notes = [...removeFolderLeftovers(workDir), ...recoverModelFolders(dirname(out), basename(out))];
  const problem = jobFolderProblem(workDir);
  if (problem) {
    notes.push(`${workDir}: an interrupted run left it incomplete (${problem}); starting afresh`);
    removeFolder(workDir);
  }
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  const previous = readJob(workDir);
  if (previous && JSON.stringify(previous) !== JSON.stringify(job)) removeFolder(workDir);
  saveJob(job);
  return job;
}

/** A progress bar of the training steps (none for --json); stop() once fine-tuning has ended. */
function trainingBar(json: boolean): { onProgress: (p: PersonalizeProgress) => void; stop: () => void } {
  const bar = json ? null : progressBar('fine-tuning', 'loss {loss}');
  let started = false;
  return {
    onProgress: (p) => {
      if (!bar || p.phase !== 'training') return;
      if (!started) bar.start(p.steps, p.step - 1, { loss: '-' });
      started = true;
      bar.update(p.step, { loss: p.loss.toFixed(3) });
    },
    stop: () => {
      if (started) bar?.stop();
    },
  };
}

/** The before and after scores, as a table for people. */
function scoreTable(result: PersonalizeResult): string {
  const cells = (n: number, a: { wer: number; cer: number }, b: { wer: number; cer: number }) =>
    `${String(n).padStart(5)} ${pct(a.wer).padStart(9)} ${pct(b.wer).padStart(9)} ${pct(a.cer).padStart(9)} ${pct(b.cer).padStart(9)}`;
  const row = (name: string, s: { before: SetScore; after: SetScore } | null | undefined) =>
    s
      ? `${name.padEnd(22)} ${cells(s.before.utterances, s.before, s.after)}\n`
      : `${name.padEnd(22)}     - (no replay set)\n`;
  const { lexicon } = result;
  return (
    `${'set'.padEnd(22)} ${'utts'.padStart(5)} ${'WER was'.padStart(9)} ${'WER now'.padStart(9)} ${'CER was'.padStart(9)} ${'CER now'.padStart(9)}\n` +
    row('held-back pairs', result.metrics?.user) +
    row('replay (general)', result.metrics?.replay) +
    `${''.padEnd(22)} (decoded ${result.metrics?.decoding === 'language model' ? 'with the language model' : 'greedy'})\n` +
    (lexicon
      ? `${`lexicon (${lexicon.words} words)`.padEnd(22)} ${cells(lexicon.greedy.utterances, lexicon.greedy, lexicon.boosted)}   (greedy → boosted, same model)\n`
      : '') +
    (lexicon?.languageModel
      ? `${'  with the LM'.padEnd(22)} ${cells(lexicon.languageModel.plain.utterances, lexicon.languageModel.plain, lexicon.languageModel.boosted)}   (language model → with the lexicon too)\n`
      : '') +
    `${result.reason}\n` +
    result.warnings.map((w) => `warning: ${w}\n`).join('')
  );
}
