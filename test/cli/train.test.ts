// `attune train` end to end on a tiny espeak-ng corpus in LibriSpeech layout: the prepare stage, JSON
// events, checkpoints, the best model, resume after a stop, and the recipe options.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '../../src-main/training/feature-cache.js';
import { HAVE_MODEL } from '../speech/sphinx/helpers.js';
import { attune, attuneCommand, espeakChapter } from './cli-helpers.js';

const SENTENCES = ['good morning', 'open the door', 'see you later', 'thank you very much'];
let dir: string;
let corpus: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-train-cli-'));
  corpus = join(dir, 'corpus');
  await espeakChapter(corpus, 'train', '1', 'en-us', SENTENCES);
  await espeakChapter(corpus, 'train', '2', 'en-gb', SENTENCES);
  await espeakChapter(corpus, 'dev', '3', 'en-us+f3', SENTENCES.slice(0, 2));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('attune train', () => {
  it('prepares features, trains with checkpoints and a best model, and resumes where it stopped; --init keeps or changes the frame rate', async () => {
    const runDir = join(dir, 'run');
    const common = ['train', '--corpus', corpus, '--run', runDir, '--channels', '16', '--batch-seconds', '4'];
    const opts = ['--eval-every', '2', '--checkpoint-every', '2', '--backend', 'wasm', '--json'];
    const first = await attune([
      ...common,
      '--steps',
      '4',
      ...opts,
      '--augment',
      'perturb',
      '--dropout',
      '0',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const ev = events(first.stdout);
    expect(ev[0]).toMatchObject({ type: 'start', step: 0, resumed: false, trainUtterances: 8 });
    expect(ev.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(ev.filter((e) => e.type === 'eval').map((e) => e.step)).toEqual([2, 4]);
    expect(ev.filter((e) => e.type === 'checkpoint').length).toBeGreaterThanOrEqual(2);
    const summary = ev.at(-1)!;
    expect(summary).toMatchObject({ best: join(runDir, 'best') });
    expect(existsSync(join(runDir, 'features', 'train.feats'))).toBe(true);
    expect(existsSync(join(runDir, 'best', 'model.safetensors'))).toBe(true);
    // The dropout given is the one trained with, and recorded with the checkpoint.
    const config = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'model', 'config.json'), 'utf8'));
    expect(config.acoustic).toMatchObject({ channels: 16, dropout: 0, subsampleStrides: [2, 1] });

    const second = await attune([...common, '--steps', '6', ...opts, '--dropout', '0.2']);
    expect(second.code, second.stderr).toBe(0);
    const ev2 = events(second.stdout);
    expect(ev2[0]).toMatchObject({ type: 'start', step: 4, resumed: true });
    expect(ev2.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([5, 6]);
    const resumed = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'model', 'config.json'), 'utf8'));
    expect(resumed.acoustic.dropout).toBe(0.2);
    // Models written after resuming carry their own date, not the first checkpoint's.
    expect(Date.parse(resumed.info.createdAt)).toBeGreaterThan(Date.parse(config.info.createdAt));
    const log = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(log.filter((l) => l.includes('"type":"step"'))).toHaveLength(6);

    // Reshaped to 30 ms frames, then trained on; a model started from keeps its frames.
    const fast = join(dir, 'run-30ms');
    const initOpts = ['--corpus', corpus, '--batch-seconds', '4', '--steps', '1', ...opts];
    const coarser = join(dir, 'model-30ms');
    const reshaped = await attune([
      'reshape',
      '--model',
      join(runDir, 'best'),
      '--out',
      coarser,
      '--subsample-strides',
      '3,1',
    ]);
    expect(reshaped.code, reshaped.stderr).toBe(0);
    const restrided = await attune(['train', '--run', fast, '--init', coarser, ...initOpts]);
    expect(restrided.code, restrided.stderr).toBe(0);
    const fastModel = JSON.parse(readFileSync(join(fast, 'best', 'config.json'), 'utf8'));
    expect(fastModel.acoustic.subsampleStrides).toEqual([3, 1]);
    expect(fastModel.info.training).toMatchObject({ reshapedFrom: { subsampleStrides: [2, 1] } });
    // Class priors measured for the starting weights do not outlive training: the new model has none.
    const fastConfig = join(fast, 'best', 'config.json');
    const withPriors = JSON.parse(readFileSync(fastConfig, 'utf8'));
    const V = withPriors.acoustic.vocabSize as number;
    withPriors.decoding = {
      logPriors: Array(V).fill(-Math.log(V)),
      priorScale: 0.4,
      lmWeight: 1.2,
      wordBonus: 0,
    };
    writeFileSync(fastConfig, JSON.stringify(withPriors));
    const kept = await attune([
      'train',
      '--run',
      join(dir, 'run-kept'),
      '--init',
      join(fast, 'best'),
      ...initOpts,
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    const keptModel = JSON.parse(readFileSync(join(dir, 'run-kept', 'best', 'config.json'), 'utf8'));
    expect(keptModel.acoustic.subsampleStrides).toEqual([3, 1]);
    expect(keptModel).not.toHaveProperty('decoding');
    // Shape flags with --init are refused, naming the command that reshapes a trained model.
    const shaped = await attune([
      'train',
      '--run',
      join(dir, 'never-shaped'),
      '--init',
      join(fast, 'best'),
      ...initOpts,
      '--blocks',
      '5',
    ]);
    expect(shaped.code).toBe(1);
    expect(shaped.stderr).toContain(
      '--blocks would change the shape of the --init model, which keeps its shape: change it first with `attune reshape --model DIR --out NEW --blocks …`',
    );
  }, 240_000);

  it('refuses an unknown augmentation policy, dropout, depth, strides or look-ahead before doing any work', async () => {
    const runDir = join(dir, 'never');
    const bad = await attune(['train', '--corpus', corpus, '--run', runDir, '--augment', 'extreme']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--augment must be one of full, perturb, none, got "extreme"');
    const drop = await attune(['train', '--corpus', corpus, '--run', runDir, '--dropout', '1.5']);
    expect(drop.stderr).toContain('--dropout must be a number ≥ 0 and < 1, got "1.5"');
    const depth = await attune(['train', '--corpus', corpus, '--run', runDir, '--blocks', '2.5']);
    expect(depth.stderr).toContain('--blocks must be a whole number ≥ 1, got "2.5"');
    const strides = await attune([
      'train',
      '--corpus',
      corpus,
      '--run',
      runDir,
      '--subsample-strides',
      '4,1',
    ]);
    expect(strides.stderr).toContain(
      '--subsample-strides must be two whole numbers from 1 to 3, like 2,1, got "4,1"',
    );
    const zero = await attune(['train', '--corpus', corpus, '--run', runDir, '--max-look-ahead', '0']);
    expect(zero.stderr).toContain('--max-look-ahead must be a positive number, got "0"');
    const tight = await attune(['train', '--corpus', corpus, '--run', runDir, '--max-look-ahead', '10']);
    expect(tight.code).toBe(1);
    expect(tight.stderr).toMatch(/no model fits a look-ahead budget of 10 ms at these strides/);
    expect(existsSync(join(runDir, 'features'))).toBe(false);
  });

  it('takes research settings from --recipe, checked as their flags are; a flag given wins; bad recipes stop it before any work', async () => {
    const runDir = join(dir, 'never-recipe');
    const file = join(dir, 'recipe.json');
    writeFileSync(file, JSON.stringify({ augment: 'extreme', 'band-limit': 0.3 }));
    const bad = await attune(['train', '--corpus', corpus, '--run', runDir, '--recipe', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--augment must be one of full, perturb, none, got "extreme"');
    // The flag wins over the recipe's policy: the next problem found is the look-ahead's.
    const flagWins = await attune([
      ...['train', '--corpus', corpus, '--run', runDir, '--recipe', file],
      ...['--augment', 'none', '--max-look-ahead', '10'],
    ]);
    expect(flagWins.stderr).not.toContain('--augment');
    expect(flagWins.stderr).toMatch(/no model fits a look-ahead budget of 10 ms/);
    writeFileSync(file, JSON.stringify({ 'learning-rate': 0.001 }));
    const unknown = await attune(['train', '--corpus', corpus, '--run', runDir, '--recipe', file]);
    expect(unknown.stderr).toMatch(
      /recipe .*recipe\.json: "learning-rate" is not a setting of `attune train` \(its settings: lr, warmup, /,
    );
    expect(existsSync(join(runDir, 'features'))).toBe(false);
    const schema = await attune(['recipe-schema', 'train']);
    expect(JSON.parse(schema.stdout)).toMatchObject({
      additionalProperties: false,
      properties: { lr: {}, reverb: {} },
    });
    const help = await attune(['train', '--help']);
    expect(help.stdout).toContain('--recipe <file>');
    expect(help.stdout).not.toContain('--lr <x>');
  });

  it('refuses unknown features, and phone features without a pocketsphinx model, before doing any work', async () => {
    const runDir = join(dir, 'never-phones');
    const kind = await attune(['train', '--corpus', corpus, '--run', runDir, '--features', 'mfcc']);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain(
      '--features must be one of logmel, phones, logmel+phones, logmel+phones+contexts, got "mfcc"',
    );
    const missing = join(dir, 'no-such-model');
    const none = await attune([
      'train',
      '--corpus',
      corpus,
      '--run',
      runDir,
      '--features',
      'phones',
      '--sphinx-model',
      missing,
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      `--features phones needs a pocketsphinx acoustic model, and ${missing} holds none`,
    );
    expect(none.stderr).toContain(
      'install the Debian package pocketsphinx-en-us, or pass --sphinx-model <dir>',
    );
    expect(existsSync(join(runDir, 'features'))).toBe(false);
  });

  // Needs Debian's pocketsphinx-en-us package (the en-us acoustic model); skipped without it.
  it.skipIf(!HAVE_MODEL)(
    'trains on log-mel + phones into a self-contained model folder that transcribes; a resumed run keeps its features',
    async () => {
      const runDir = join(dir, 'run-phones');
      const args = (steps: number) => [
        'train',
        '--corpus',
        corpus,
        '--run',
        runDir,
        '--channels',
        '16',
        '--batch-seconds',
        '4',
        '--steps',
        String(steps),
        '--eval-every',
        '2',
        '--checkpoint-every',
        '2',
        '--backend',
        'wasm',
        '--json',
      ];
      const first = await attune([...args(2), '--features', 'logmel+phones']);
      expect(first.code, first.stderr).toBe(0);
      const trainCache = join(runDir, 'features', 'train.feats');
      const cache = FeatureCache.load(trainCache);
      expect(cache.bins).toBe(122);
      cache.close();
      const best = join(runDir, 'best');
      const config = JSON.parse(readFileSync(join(best, 'config.json'), 'utf8'));
      expect(config.acoustic.featureBins).toBe(122);
      expect(config.features.phones).toEqual({ model: 'sphinx', withLogMel: true });
      expect(readdirSync(join(best, 'sphinx')).sort()).toEqual([
        'README',
        'feat.params',
        'mdef',
        'means',
        'sendump',
        'variances',
      ]);

      // A copy of the folder somewhere else loads and runs on its own.
      const shipped = join(dir, 'shipped-phones-model');
      cpSync(best, shipped, { recursive: true });
      const clip = join(corpus, 'dev', '3', '1', '3-1-0000.wav');
      const t = await attune([
        'transcribe',
        clip,
        '--model',
        shipped,
        '--json',
        '--no-lm',
        '--backend',
        'wasm',
      ]);
      expect(t.code, t.stderr).toBe(0);
      const out = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as { text: unknown; durationSec: number };
      expect(typeof out.text).toBe('string');
      expect(out.durationSec).toBeGreaterThan(0.3);

      // Resumed: the model's features, and the caches they were computed into.
      const cacheTime = statSync(trainCache).mtimeMs;
      const refused = await attune([...args(3), '--features', 'logmel']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `--features logmel: the run in ${runDir} resumes a model trained on logmel+phones features, and a model keeps the features it was made with`,
      );
      const resumed = await attune(args(3));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(events(resumed.stdout)[0]).toMatchObject({ type: 'start', step: 2, resumed: true });
      expect(statSync(trainCache).mtimeMs).toBe(cacheTime);
      const after = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'model', 'config.json'), 'utf8'));
      expect(after.features.phones).toEqual({ model: 'sphinx', withLogMel: true });
    },
    240_000,
  );

  it.skipIf(!HAVE_MODEL)(
    'gives a log-mel --init model phones beside its log-mel, then phone contexts, and no other change of input',
    async () => {
      const small = (run: string, steps: number) => [
        ...['train', '--corpus', corpus, '--run', run, '--channels', '16', '--batch-seconds', '4'],
        ...[
          '--steps',
          String(steps),
          '--eval-every',
          '2',
          '--checkpoint-every',
          '2',
          '--backend',
          'wasm',
          '--json',
        ],
      ];
      const logMel = join(dir, 'run-logmel');
      const first = await attune(small(logMel, 2));
      expect(first.code, first.stderr).toBe(0);
      const init = ['--init', join(logMel, 'best')];

      const refused = await attune([
        ...small(join(dir, 'run-only-phones'), 2),
        ...init,
        '--features',
        'phones',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `--features phones: the --init model ${join(logMel, 'best')} was trained on logmel features`,
      );

      const grown = join(dir, 'run-grown');
      const r = await attune([...small(grown, 2), ...init, '--features', 'logmel+phones']);
      expect(r.code, r.stderr).toBe(0);
      const config = JSON.parse(readFileSync(join(grown, 'checkpoint', 'model', 'config.json'), 'utf8'));
      expect(config.acoustic.featureBins).toBe(122);
      expect(config.features.phones).toEqual({ model: 'sphinx', withLogMel: true });
      expect(config.info.training).toMatchObject({ inputsAdded: 'phones' });
      const cache = FeatureCache.load(join(grown, 'features', 'train.feats'));
      expect(cache.bins).toBe(122);
      cache.close();
      // Resumed, it goes on with the features it grew into.
      const resumed = await attune(small(grown, 3));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(events(resumed.stdout)[0]).toMatchObject({ type: 'start', step: 2, resumed: true });

      // A phone model grows once more: each phone's best context after its posteriors.
      const contexts = join(dir, 'run-contexts');
      const more = await attune([
        ...small(contexts, 2),
        '--init',
        join(grown, 'best'),
        '--features',
        'logmel+phones+contexts',
      ]);
      expect(more.code, more.stderr).toBe(0);
      const grownTwice = JSON.parse(
        readFileSync(join(contexts, 'checkpoint', 'model', 'config.json'), 'utf8'),
      );
      expect(grownTwice.acoustic.featureBins).toBe(164);
      expect(grownTwice.features.phones).toEqual({ model: 'sphinx', withLogMel: true, contexts: true });
      expect(grownTwice.info.training).toMatchObject({ inputsAdded: 'contexts' });
      // and never shrinks back
      const back = await attune([
        ...small(join(dir, 'run-shrunk'), 2),
        '--init',
        join(contexts, 'best'),
        '--features',
        'logmel+phones',
      ]);
      expect(back.code).toBe(1);
      expect(back.stderr).toContain('trained on logmel+phones+contexts features');
    },
    240_000,
  );

  it('stops on Ctrl-C after saving a checkpoint, however many copies of the signal arrive', async () => {
    const runDir = join(dir, 'interrupted');
    const { command, args, cwd } = attuneCommand([
      'train',
      '--corpus',
      corpus,
      '--run',
      runDir,
      '--channels',
      '16',
      '--batch-seconds',
      '4',
      '--steps',
      '100000',
      '--eval-every',
      '100000',
      '--backend',
      'wasm',
      '--json',
    ]);
    // Its own process group, which a terminal's Ctrl-C signals as a whole; the second copy comes while the
    // first step is still being finished.
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && stdout.includes('"type":"step"')) {
        signalled = true;
        process.kill(-child.pid!, 'SIGINT');
        setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 50);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stdout.slice(-500)).toBe(0);
    const ev = events(stdout);
    const done = ev.find((e) => e.type === 'done') as { step: number; stopped: string };
    expect(done.stopped).toBe('cancelled');
    const saved = JSON.parse(readFileSync(join(runDir, 'checkpoint', 'trainer.json'), 'utf8'));
    expect(saved.step).toBe(done.step);
  }, 120_000);
});
