import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { addRecipeOption, applyRecipe, chosen, researchOption } from './recipe-option.js';
import { loadModelFolder, type ModelFolder } from '../../model/checkpoint.js';
import { blockLayout, DEFAULT_ACOUSTIC, lookAheadMs, MAX_LOOK_AHEAD_MS } from '../../model/config.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../../speech/features.js';
import {
  FRONT_END_KINDS,
  type FrontEndKind,
  frontEndBins,
  frontEndKind,
  kindGrowsInto,
  withFrontEnd,
} from '../../speech/front-end.js';
import {
  DEBIAN_EN_US_MODEL_DIR,
  hasSphinxModel,
  SPHINX_MODEL_FILES,
} from '../../speech/sphinx/load-model.js';
import { FeatureCache } from '../../training/feature-cache.js';
import { readLibriSpeech } from '../../training/librispeech.js';
import { prepareFeatures } from '../../training/prepare.js';
import { DEFAULT_TRAIN, train, type TrainConfig, type TrainEvent } from '../../training/train.js';
import { defaultTrainingThreads } from '../../training/shard-workers.js';
import { DEFAULT_OPTIMIZER } from '../../training/optimizer.js';
import { type AugmentConfig, DEFAULT_AUGMENT } from '../../training/feature-augment.js';
import { type MixPart, MixedFeatures } from '../../training/mixed-features.js';
import { resumedRunFeatures } from '../../training/run-features.js';
import { progressBar } from '../progress.js';
import { TRAINING_BACKEND_HELP, withTrainingBackend } from './training-backend.js';
import {
  choiceOption,
  listOption,
  numberOption,
  optionError,
  positiveOption,
  shareOption,
  wholeNumberOption,
} from './options.js';

/** Split folder names tried, in order, for training and for dev evaluation. */
const TRAIN_SPLITS = ['train', 'train-clean-100', 'train-clean-360', 'train-other-500'];
const DEV_SPLITS = ['dev', 'dev-clean', 'dev-other'];

function splitDir(corpus: string, names: string[], what: string): string {
  for (const n of names) if (existsSync(join(corpus, n))) return join(corpus, n);
  throw new Error(`${corpus}: no ${what} split (looked for ${names.join(', ')})`);
}

/**
 * Prepare stage: features of one split in the run's cache (reused when complete and computed with the same
 * FeatureConfig: log-mel and phone caches never mix).
 */
async function prepareSplit(
  dir: string,
  cachePath: string,
  label: string,
  jobs: number,
  features: FeatureConfig,
): Promise<FeatureCache> {
  const corpus = await readLibriSpeech(dir);
  const bar = progressBar(`features ${label}`);
  bar.start(corpus.utterances.length, 0);
  const report = await prepareFeatures(corpus.utterances, cachePath, { jobs, features }, (done) =>
    bar.update(done),
  );
  bar.stop();
  if (report.skipped.length > 0) {
    process.stderr.write(
      `${label}: skipped ${report.skipped.length} unreadable utterance(s), e.g. ${report.skipped[0].id}: ${report.skipped[0].reason}\n`,
    );
  }
  return FeatureCache.load(cachePath);
}

/**
 * `--mix dir:repeat` folders, each prepared into the run's feature cache under a name derived from its
 * path (so a run resumed with the same mix reuses them).
 */
async function prepareMix(
  specs: readonly string[],
  runDir: string,
  jobs: number,
  features: FeatureConfig,
): Promise<MixPart[]> {
  const parts: MixPart[] = [];
  for (const spec of specs) {
    const m = /^(.*?)(?::(\d+))?$/.exec(spec)!;
    const dir = resolve(m[1]);
    if (!existsSync(dir)) throw new Error(`--mix ${spec}: folder ${dir} does not exist`);
    const repeat = m[2] === undefined ? 1 : wholeNumberOption(m[2], `mix ${spec}: its repeat count`);
    const name = dir.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+/, '');
    parts.push({
      source: await prepareSplit(
        dir,
        join(runDir, 'features', `mix-${name}.feats`),
        `mix ${m[1]}`,
        jobs,
        features,
      ),
      repeat,
    });
  }
  return parts;
}

/**
 * Augmentation recipes by name. A model that still underfits learns faster without SpecAugment's masks;
 * they pay off once it starts to fit the training voices better than new ones.
 */
const AUGMENT_POLICIES: Record<string, AugmentConfig | null> = {
  full: DEFAULT_AUGMENT,
  perturb: { ...DEFAULT_AUGMENT, freqMasks: 0, timeMasksPerSecond: 0 },
  none: null,
};

/**
 * The run's features: a resumed run's or the --init model's (a model keeps its input; --features may only
 * repeat it, or add phones to a log-mel model's), else a fresh run's from --features and --sphinx-model.
 */
function runFeatures(
  o: Record<string, unknown>,
  asked: boolean,
  runDir: string,
  init: ModelFolder | null,
): FeatureConfig {
  const kind: FrontEndKind = choiceOption(String(o.features), 'features', FRONT_END_KINDS);
  const resumed = resumedRunFeatures(runDir);
  const kept = resumed ?? init?.features ?? null;
  // An --init model may be given more values after its own: phones after log-mel, phone contexts after
  // phones (its new inputs start unused).
  const growing = !resumed && kept !== null && asked && kindGrowsInto(frontEndKind(kept), kind);
  if (kept && !growing) {
    if (asked && frontEndKind(kept) !== kind) {
      const whose = resumed
        ? `the run in ${runDir} resumes a model`
        : `the --init model ${String(o.init)} was`;
      throw new Error(
        `--features ${kind}: ${whose} trained on ${frontEndKind(kept)} features, and a model keeps the features it was made with (start a new --run for ${kind})`,
      );
    }
    return kept;
  }
  const logMel = kept ?? DEFAULT_FEATURES;
  if (kind === 'logmel') return logMel;
  const dir = resolve(String(o.sphinxModel));
  if (!hasSphinxModel(dir))
    throw new Error(
      `--features ${kind} needs a pocketsphinx acoustic model, and ${dir} holds none (${SPHINX_MODEL_FILES}): install the Debian package pocketsphinx-en-us, or pass --sphinx-model <dir>`,
    );
  return withFrontEnd(logMel, kind, dir);
}

/** `--subsample-strides 3,1` → [3, 1]; each stride at most the subsampling kernel's width. */
export function parseStrides(text: string): [number, number] {
  const max = DEFAULT_ACOUSTIC.subsampleKernel;
  const rule = `two whole numbers from 1 to ${max}, like 2,1`;
  const parts = listOption(text, 'subsample-strides', rule, (v) =>
    wholeNumberOption(v, 'subsample-strides', 1, max),
  );
  if (parts.length !== 2) throw optionError('subsample-strides', rule, text);
  return [parts[0], parts[1]];
}

/**
 * Shape flags only shape a fresh model: a trained one is reshaped first (`attune reshape`), so no flag means
 * two things. Flags that agree with the --init model's shape change nothing and pass.
 */
function refuseShapeFlags(command: Command, o: Record<string, unknown>, init: ModelFolder): void {
  const model = init.acoustic;
  const asked = (k: string) => chosen(command, k);
  const changes = [
    asked('channels') && Number(o.channels) !== model.channels ? '--channels' : null,
    asked('blocks') && Number(o.blocks) !== model.blocks ? '--blocks' : null,
    asked('subsampleStrides') && String(o.subsampleStrides) !== model.subsampleStrides.join(',')
      ? '--subsample-strides'
      : null,
    asked('maxLookAhead') && Number(o.maxLookAhead) < lookAheadMs(model) ? '--max-look-ahead' : null,
  ].filter((f): f is string => f !== null);
  if (changes.length === 0) return;
  const flags = changes.join(', ');
  throw new Error(
    `${flags} would change the shape of the --init model, which keeps its shape: change it first with \`attune reshape --model DIR --out NEW ${changes.map((f) => `${f} …`).join(' ')}\`, then train with --init NEW`,
  );
}

/** The settings of a run beyond the everyday flags: a recipe file holds them (recipe-option.ts). */
function addResearchSettings(command: Command): void {
  const setting = (flags: string, description: string, value?: string) =>
    researchOption(
      command,
      value === undefined ? new Option(flags, description) : new Option(flags, description).default(value),
    );
  setting('--lr <x>', 'peak learning rate', String(DEFAULT_OPTIMIZER.learningRate));
  setting('--warmup <n>', 'warm-up steps', String(DEFAULT_OPTIMIZER.warmupSteps));
  setting('--channels <n>', 'model width of a new model', String(DEFAULT_ACOUSTIC.channels));
  setting('--blocks <n>', 'residual blocks of a new model (a trained one: `attune reshape`)');
  setting(
    '--subsample-strides <a,b>',
    "time strides of a new model's two subsampling convolutions (2,1 gives 20 ms output frames, 3,1 gives 30 ms)",
    DEFAULT_ACOUSTIC.subsampleStrides.join(','),
  );
  setting(
    '--max-look-ahead <ms>',
    'most audio an output frame of a new model may wait for when streaming',
    String(MAX_LOOK_AHEAD_MS),
  );
  setting('--batch-seconds <s>', 'padded audio per batch', String(DEFAULT_TRAIN.batches.maxFrames / 100));
  setting('--eval-every <n>', 'steps between dev evaluations', String(DEFAULT_TRAIN.evalEvery));
  setting('--checkpoint-every <n>', 'steps between checkpoints', String(DEFAULT_TRAIN.checkpointEvery));
  setting(
    '--augment <policy>',
    'training-time augmentation: full (speed/pitch perturbation and SpecAugment masks), perturb (no masks), none',
    'full',
  );
  setting('--dropout <p>', "dropout while training (default: the model config's); applies on resume too");
  setting(
    '--features <kind>',
    "model input: logmel, phones (phone posteriors from a pocketsphinx model), logmel+phones, or logmel+phones+contexts (also each phone's best context-dependent state); for a fresh run (a resumed run or --init keeps its model's, except that an --init model may be given the values after its own: phones after log-mel, contexts after phones)",
    'logmel',
  );
  setting(
    '--sphinx-model <dir>',
    'the pocketsphinx acoustic model of phone features (copied into every model folder the run saves)',
    DEBIAN_EN_US_MODEL_DIR,
  );
  setting(
    '--band-limit <p>',
    'share of training utterances heard as if recorded at 8-11 kHz (nothing above 4-5.5 kHz), so band-limited real voices are not a cue',
    '0',
  );
  setting(
    '--reverb <p>',
    "share of training utterances heard in a room (late reverberation, RT60 0.2-0.8 s), as a laptop's microphone hears its user",
    '0',
  );
  setting('--seed <n>', 'seed for initialisation and data order', String(DEFAULT_TRAIN.seed));
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train an acoustic model on a LibriSpeech-layout corpus (resumes from the run folder)')
    .requiredOption('--corpus <dir>', 'corpus root with train/ and dev/ splits (LibriSpeech layout)')
    .option('--run <dir>', 'run folder for checkpoints, logs and features', 'runs/base')
    .option('--steps <n>', 'optimizer steps', String(DEFAULT_TRAIN.steps))
    .option('--init <model>', 'start from this model folder (fine-tuning)')
    .option(
      '--mix <dir[:repeat]>',
      'another LibriSpeech-layout folder trained on beside the corpus, each utterance seen `repeat` times an epoch (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--dev <dir>', "dev set that picks the best weights, instead of the corpus's dev split")
    .option('--jobs <n>', 'parallel audio decoders for the prepare stage', '2')
    .option('--backend <name>', TRAINING_BACKEND_HELP, 'auto')
    .option(
      '--threads <n>',
      'training threads on the wasm and cpu backends, each computing its share of every batch',
      String(defaultTrainingThreads()),
    )
    .option('--json', 'print every event as a JSON line instead of a progress bar');
  addResearchSettings(command);
  addRecipeOption(command).action(async (o: TrainFlags, command: Command) => {
    applyRecipe(command, o);
    const opts = parseTrainFlags(o, command);
    const result = await withTrainingBackend(o.backend as string, opts.threads, false, async (backend) => {
      const data = await prepareData(o, opts);
      const reporter = progressReporter(o.json === true);
      return untilStopped((signal) =>
        train(data, trainConfig(o, opts), { onEvent: reporter, signal, host: backend.host }),
      );
    });
    const best = join(opts.runDir, 'best');
    const summary = {
      bestStep: result.bestStep,
      devCer: result.bestCer,
      best: existsSync(best) ? best : null,
    };
    if (!o.json)
      process.stderr.write(
        `best dev CER ${(result.bestCer * 100).toFixed(2)}% at step ${result.bestStep}; model in ${best}\n`,
      );
    process.stdout.write(JSON.stringify(summary) + '\n');
  });
}

type TrainFlags = Record<string, string | boolean | undefined>;

/** The flags every step of a run needs, parsed and checked before any work starts. */
interface TrainOptions {
  runDir: string;
  corpus: string;
  features: FeatureConfig;
  threads: number;
  jobs: number;
  steps: number;
  strides: [number, number];
  layout: ReturnType<typeof blockLayout>;
  augment: AugmentConfig | null;
  dropout: number | undefined;
  bandLimit: number;
  reverb: number;
  num: (k: string) => number;
  whole: (k: string) => number;
}

function parseTrainFlags(o: TrainFlags, command: Command): TrainOptions {
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  const num = (k: string) => positiveOption(String(o[k]), kebab(k));
  const whole = (k: string) => wholeNumberOption(String(o[k]), kebab(k));
  const augment = AUGMENT_POLICIES[choiceOption(String(o.augment), 'augment', Object.keys(AUGMENT_POLICIES))];
  const dropout =
    o.dropout === undefined ? undefined : numberOption(String(o.dropout), 'dropout', { min: 0, below: 1 });
  const init = o.init ? loadModelFolder(resolve(String(o.init))) : null;
  if (init) refuseShapeFlags(command, o, init);
  const blocks = o.blocks === undefined ? undefined : whole('blocks');
  const strides = parseStrides(String(o.subsampleStrides));
  const runDir = resolve(String(o.run));
  return {
    runDir,
    corpus: resolve(String(o.corpus)),
    features: runFeatures(o, chosen(command, 'features'), runDir, init),
    threads: whole('threads'),
    jobs: whole('jobs'),
    steps: whole('steps'),
    strides,
    layout: blockLayout(blocks ?? DEFAULT_ACOUSTIC.blocks, strides, num('maxLookAhead')),
    augment,
    dropout,
    bandLimit: shareOption(String(o.bandLimit), 'band-limit'),
    reverb: shareOption(String(o.reverb), 'reverb'),
    num,
    whole,
  };
}

/** The training set (the corpus's, with any --mix folders beside it) and the dev set, as feature caches. */
async function prepareData(o: TrainFlags, opts: TrainOptions) {
  const { corpus, runDir, jobs, features } = opts;
  const trainCache = await prepareSplit(
    splitDir(corpus, TRAIN_SPLITS, 'training'),
    join(runDir, 'features', 'train.feats'),
    'train',
    jobs,
    features,
  );
  const mix = await prepareMix(o.mix as unknown as string[], runDir, jobs, features);
  const dev = await prepareSplit(
    o.dev ? resolve(String(o.dev)) : splitDir(corpus, DEV_SPLITS, 'dev'),
    join(runDir, 'features', o.dev ? 'dev-set.feats' : 'dev.feats'),
    'dev',
    jobs,
    features,
  );
  return {
    train: mix.length > 0 ? new MixedFeatures([{ source: trainCache, repeat: 1 }, ...mix]) : trainCache,
    dev,
  };
}

function trainConfig(o: TrainFlags, opts: TrainOptions): Partial<TrainConfig> {
  const { num, whole, steps, augment } = opts;
  return {
    runDir: opts.runDir,
    acoustic: {
      ...DEFAULT_ACOUSTIC,
      featureBins: frontEndBins(opts.features),
      channels: whole('channels'),
      subsampleStrides: opts.strides,
      ...opts.layout,
    },
    features: opts.features,
    initFrom: o.init ? resolve(String(o.init)) : undefined,
    steps,
    evalEvery: whole('evalEvery'),
    checkpointEvery: whole('checkpointEvery'),
    seed: whole('seed'),
    optimizer: {
      ...DEFAULT_OPTIMIZER,
      learningRate: num('lr'),
      warmupSteps: whole('warmup'),
      totalSteps: steps,
    },
    batches: { ...DEFAULT_TRAIN.batches, maxFrames: Math.round(num('batchSeconds') * 100) },
    augment: augment && {
      ...augment,
      bandLimit: { ...augment.bandLimit, probability: opts.bandLimit },
      reverb: { ...augment.reverb, probability: opts.reverb },
    },
    dropout: opts.dropout,
    threads: opts.threads,
  };
}

/** Shows training as a progress bar with the loss and the last dev CER, or as JSON lines. */
function progressReporter(json: boolean): (e: TrainEvent) => void {
  if (json) return (e) => process.stdout.write(JSON.stringify(e) + '\n');
  const bar = progressBar('training', '| loss {loss} | dev CER {cer}');
  let lastCer = '-';
  return (e) => {
    if (e.type === 'start') bar.start(e.steps, e.step, { loss: '-', cer: lastCer });
    else if (e.type === 'step') bar.update(e.step, { loss: e.loss.toFixed(3), cer: lastCer });
    else if (e.type === 'eval') lastCer = (e.cer * 100).toFixed(1) + '%';
    else if (e.type === 'done') bar.stop();
    else if (e.type === 'fallback')
      process.stderr.write(`\ntraining moved from WebGPU to ${e.to} at step ${e.step}: ${e.reason}\n`);
  };
}

/**
 * Runs `work` with a signal that SIGINT and SIGTERM raise: the run finishes its step, evaluates and saves a
 * checkpoint. Every copy of the signal, not just the first: a terminal's Ctrl-C reaches each process of the
 * command (npm, tsx, node) and the wrappers pass theirs on; a second copy must not end the run before it has
 * saved its checkpoint.
 */
export async function untilStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => {
    if (!controller.signal.aborted)
      process.stderr.write('\nstopping: finishing this step, then evaluating and saving a checkpoint\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
