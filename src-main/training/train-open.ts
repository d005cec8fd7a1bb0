import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { AcousticModel } from '../model/acoustic.js';
import { addInputBins } from '../model/add-input-bins.js';
import { loadModelFolder, type ModelInfo } from '../model/checkpoint.js';
import { loadCheckpointModel } from '../model/model-io.js';
import { decodeSafetensors } from '../model/safetensors.js';
import { type Alphabet, englishAlphabet } from '../speech/alphabet.js';
import type { FeatureConfig } from '../speech/features.js';
import { frontEndKind, frontEndMismatch } from '../speech/front-end.js';
import { featureStats } from './feature-stats.js';
import { AdamW } from './optimizer.js';
import { addsInputs, keepModelFeatures } from './run-features.js';
import type { TrainConfig, TrainData, TrainerState } from './train-config.js';

/** A run ready for its next step: started afresh, from a model folder, or resumed from its checkpoint. */
export interface OpenRun {
  model: AcousticModel;
  alphabet: Alphabet;
  features: FeatureConfig;
  opt: AdamW;
  state: TrainerState;
  /** What every model the run saves records about how it was made (its parent, what was added). */
  info: ModelInfo;
  resumed: boolean;
}

/** The run's checkpoint folder (weights, optimizer moments and data position). */
export const checkpointDir = (runDir: string) => join(runDir, 'checkpoint');

/** Opens the run in cfg.runDir: resumes its checkpoint if it has one, else starts it. */
export function openRun(data: TrainData, cfg: TrainConfig, asked: Partial<TrainConfig>): OpenRun {
  const ckptDir = checkpointDir(cfg.runDir);
  // A kill between the two renames of a checkpoint swap leaves only the previous one, as .old.
  if (!existsSync(ckptDir) && existsSync(join(`${ckptDir}.old`, 'trainer.json')))
    renameSync(`${ckptDir}.old`, ckptDir);
  const run = existsSync(join(ckptDir, 'model', 'config.json'))
    ? resumeRun(ckptDir, cfg, asked.features)
    : startRun(data, cfg, asked.features);
  if (cfg.dropout !== undefined) run.model.config.dropout = cfg.dropout;
  return run;
}

/** The run as its checkpoint left it: weights, moments, data position, and everything it recorded. */
function resumeRun(ckptDir: string, cfg: TrainConfig, asked: FeatureConfig | undefined): OpenRun {
  const dir = join(ckptDir, 'model');
  const folder = loadModelFolder(dir);
  const features = keepModelFeatures(folder.features, asked, `the run's model ${dir}`);
  // Everything the run recorded carries on, except the date: each model it writes is stamped anew.
  const { createdAt: _written, ...info } = folder.info;
  const state = JSON.parse(readFileSync(join(ckptDir, 'trainer.json'), 'utf8')) as TrainerState;
  // JSON has no Infinity: a run checkpointed before its first evaluation stored bestCer as null.
  state.bestCer = state.bestCer ?? Infinity;
  const moments = decodeSafetensors(
    readFileSync(join(ckptDir, 'optimizer.safetensors')),
    'optimizer.safetensors',
  );
  const opt = new AdamW(cfg.optimizer);
  opt.restore(state.step, moments.tensors);
  const model = loadCheckpointModel(folder);
  return { model, alphabet: folder.alphabet, features, opt, state, info, resumed: true };
}

/** A new run: from cfg.initFrom's model (fine-tuning, or training on) or from fresh weights. */
function startRun(data: TrainData, cfg: TrainConfig, asked: FeatureConfig | undefined): OpenRun {
  let model: AcousticModel;
  let alphabet = englishAlphabet();
  let features: FeatureConfig;
  let info: ModelInfo = {};
  if (cfg.initFrom) {
    let folder = loadModelFolder(cfg.initFrom);
    info = { parent: cfg.initFrom };
    // A reshaped model (attune reshape) says what it was grown from in every model the run saves.
    const reshapedFrom = folder.info.training?.reshapedFrom;
    if (reshapedFrom !== undefined) info.training = { reshapedFrom };
    if (asked && addsInputs(folder.features, asked)) {
      // More values after the ones it knows (phone posteriors, phone contexts): the new inputs start unused
      // (add-input-bins.ts), normalised like a fresh model's, by the training data.
      const F = folder.acoustic.featureBins;
      const all = featureStats(data.train);
      const added = frontEndKind(folder.features) === 'logmel' ? 'phones' : 'contexts';
      folder = addInputBins(folder, asked, { mean: all.mean.slice(F), std: all.std.slice(F) });
      info.training = { ...info.training, inputsAdded: added };
    }
    features = keepModelFeatures(folder.features, asked, cfg.initFrom);
    // Class priors are measured for the weights they came with: training changes those, so they go (and
    // `attune decoding` measures the trained model's own).
    const { decoding: _measuredForInit, ...classes } = folder.alphabet;
    alphabet = classes;
    model = loadCheckpointModel(folder);
  } else {
    features = cfg.features;
    const mismatch = frontEndMismatch(features, cfg.acoustic.featureBins);
    if (mismatch) throw new Error(`cannot train: ${mismatch}`);
    model = new AcousticModel(cfg.acoustic, undefined, featureStats(data.train));
  }
  const { trainable: _t, ...plain } = cfg;
  const state: TrainerState = {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    bestCer: Infinity,
    bestStep: 0,
    evalsSinceBest: 0,
    config: { ...plain, features },
  };
  return { model, alphabet, features, opt: new AdamW(cfg.optimizer), state, info, resumed: false };
}
