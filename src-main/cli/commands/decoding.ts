import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeJsonAtomic } from '../../process/atomic-write.js';
import type { LoadedModel } from '../../model/model-io.js';
import { tokenNames } from '../../speech/alphabet.js';
import { type ClassDecoding, classDecodingToJson, PriorEstimator } from '../../speech/class-priors.js';
import { evaluate } from '../../training/evaluate.js';
import { readLibriSpeech } from '../../training/librispeech.js';
import { scoringFeatures } from '../../training/scoring-features.js';
import { progressBar } from '../progress.js';
import { openModel } from './model-option.js';
import { numberOption, wholeNumberOption } from './options.js';

interface DecodingFlags {
  model: string;
  out?: string;
  priorsFrom: string;
  utterances: string;
  priorScale: string;
  lmWeight: string;
  wordBonus: string;
  backend: string;
  jobs: string;
}

export function registerDecoding(program: Command): void {
  program
    .command('decoding')
    .description(
      "measure a model's class priors on speech it was trained on and record them, with the word-search weights chosen for it (bench/lm-tune.ts), in its folder: every word search with the model uses them",
    )
    .requiredOption('--model <dir>', 'the model folder')
    .option('--out <dir>', 'model folder to write (default: the model folder itself)')
    .requiredOption('--priors-from <dir>', 'LibriSpeech-layout speech the model was trained on')
    .option('--utterances <n>', 'utterances to measure, spread evenly over the folder', '3000')
    .requiredOption(
      '--prior-scale <a>',
      'share of each class’s log-prior taken from its log-probabilities (0–1)',
    )
    .requiredOption('--lm-weight <w>', 'language model weight at that scale')
    .option('--word-bonus <b>', 'log-score added per word at that scale', '0')
    .option('--backend <name>', 'compute backend: auto, gpu, node, wasm, cpu', 'auto')
    .option('--jobs <n>', 'parallel audio decoders', '2')
    .action(async (o: DecodingFlags) => {
      const priorScale = numberOption(o.priorScale, 'prior-scale', { min: 0, max: 1 });
      const lmWeight = numberOption(o.lmWeight, 'lm-weight', { min: 0 });
      const wordBonus = numberOption(o.wordBonus, 'word-bonus');
      const wanted = wholeNumberOption(o.utterances, 'utterances');
      const jobs = wholeNumberOption(o.jobs, 'jobs', 1, 64);
      const modelDir = resolve(o.model);
      const { loaded } = await openModel(modelDir, o.backend);
      const { logPriors, utterances, frames } = await measurePriors(loaded, o.priorsFrom, wanted, jobs);
      const decoding: ClassDecoding = {
        logPriors,
        priorScale,
        lmWeight,
        wordBonus,
        source: `priors over ${frames} frames of ${utterances} utterances of ${o.priorsFrom}`,
      };
      const out = resolve(o.out ?? o.model);
      recordDecoding(modelDir, out, decoding);
      const shown = tokenNames(loaded.alphabet).map(
        (name, i) => `${name} ${Math.exp(logPriors[i]).toPrecision(3)}`,
      );
      process.stdout.write(`class priors (${decoding.source}):\n  ${shown.join('\n  ')}\n`);
      process.stdout.write(
        `wrote ${out}: prior scale ${priorScale}, LM weight ${lmWeight}, word bonus ${wordBonus}\n`,
      );
    });
}

/** Each class's log mean posterior under the model over `wanted` utterances spread evenly over `dir`. */
async function measurePriors(
  loaded: LoadedModel,
  dir: string,
  wanted: number,
  jobs: number,
): Promise<{ logPriors: Float32Array; utterances: number; frames: number }> {
  const corpus = await readLibriSpeech(dir);
  const all = corpus.utterances;
  if (all.length === 0) throw new Error(`${dir} holds no utterances to measure class priors on`);
  const step = Math.max(1, all.length / wanted);
  const chosen = Array.from({ length: Math.min(wanted, all.length) }, (_, i) => all[Math.floor(i * step)]);
  const bar = progressBar('reading audio');
  bar.start(chosen.length, 0);
  const { items, close } = await scoringFeatures(chosen, {
    features: loaded.features,
    jobs,
    purpose: 'priors',
    key: [resolve(dir), JSON.stringify(chosen.map((u) => u.id))],
    onProgress: (d) => bar.update(d),
  });
  bar.stop();
  const estimator = new PriorEstimator(loaded.alphabet.size);
  evaluate(loaded.model, loaded.alphabet, items, {
    decode: (logProbs, T) => {
      estimator.add(logProbs, T);
      return '';
    },
  });
  close();
  if (items.length === 0)
    throw new Error(`none of the ${chosen.length} recordings chosen from ${dir} could be read`);
  return { logPriors: estimator.logPriors(), utterances: items.length, frames: estimator.framesSeen };
}

/**
 * Records `decoding` in config.json of the model folder `out`: the folder itself, or a new copy of it made
 * first (whole, with its replay set and card). Only config.json changes, replaced atomically.
 */
function recordDecoding(modelDir: string, out: string, decoding: ClassDecoding): void {
  if (out !== modelDir) {
    if (existsSync(out))
      throw new Error(`--out ${out} already exists: name a new folder, or leave --out off`);
    const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    try {
      cpSync(modelDir, tmp, { recursive: true });
      renameSync(tmp, out);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  const path = join(out, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeJsonAtomic(path, { ...config, decoding: classDecodingToJson(decoding) });
}
