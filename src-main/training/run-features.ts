// Which features a training run computes: a fresh run the ones asked for, a run started from a model or
// resumed the ones its model was trained on (a model cannot change its input, except that it may be given
// more values after its own: phone posteriors after log-mel, phone contexts after those; model/add-input-bins.ts).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '../model/checkpoint.js';
import type { FeatureConfig } from '../speech/features.js';
import { extendsFrontEnd, frontEndKind, sameFrontEndShape, sphinxModelDir } from '../speech/front-end.js';
import { hasSphinxModel, sameSphinxModel } from '../speech/sphinx/load-model.js';

/**
 * Whether `given` is `model`'s features with more values after them (phone posteriors after a log-mel
 * model's log-mel, or phone contexts after a phone model's posteriors), from the same sphinx model: what a
 * trained model can grow into.
 */
export function addsInputs(model: FeatureConfig, given: FeatureConfig): boolean {
  if (!extendsFrontEnd(model, given)) return false;
  const [a, b] = [sphinxModelDir(model), sphinxModelDir(given)];
  return a === null || a === b || (b !== null && hasSphinxModel(b) && sameSphinxModel(a, b));
}

/**
 * The features to train a model on that was trained on `model`'s. `given` (the caller's, e.g. a run's
 * recorded features) must be the same features; its sphinx folder may be another copy of the same model,
 * and is then used, so the run's feature caches (keyed by the FeatureConfig) stay valid. `what` names the
 * model in errors.
 */
export function keepModelFeatures(
  model: FeatureConfig,
  given: FeatureConfig | undefined,
  what: string,
): FeatureConfig {
  if (!given) return model;
  if (!sameFrontEndShape(model, given)) {
    const [was, asked] = [frontEndKind(model), frontEndKind(given)];
    const other = was === asked ? `${asked} features with other log-mel settings` : `${asked} features`;
    throw new Error(
      `${what} was trained on ${was} features and cannot train on ${other}: a model keeps the features it was made with`,
    );
  }
  const a = sphinxModelDir(model);
  const b = sphinxModelDir(given);
  if (a && b && a !== b && !(hasSphinxModel(b) && sameSphinxModel(a, b)))
    throw new Error(`${what} was trained on phones from the sphinx model in ${a}; ${b} holds another`);
  return given;
}

/**
 * The features a run in runDir carries on with, or null when it has no checkpoint to resume: the ones it
 * recorded when it started (so its feature caches stay valid) while their sphinx folder still holds the
 * same model as the checkpoint's copy, else the checkpoint model's own.
 */
export function resumedRunFeatures(runDir: string): FeatureConfig | null {
  const ckpt = ['checkpoint', 'checkpoint.old']
    .map((d) => join(runDir, d))
    .find((d) => existsSync(join(d, 'model', 'config.json')) && existsSync(join(d, 'trainer.json')));
  if (!ckpt) return null;
  const model = loadModelFolder(join(ckpt, 'model')).features;
  let recorded: FeatureConfig | undefined;
  try {
    const state = JSON.parse(readFileSync(join(ckpt, 'trainer.json'), 'utf8')) as {
      config?: { features?: FeatureConfig };
    };
    recorded = state.config?.features;
  } catch {
    recorded = undefined; // unreadable: train() reports it when it resumes
  }
  if (!recorded) return model;
  try {
    return keepModelFeatures(model, recorded, `the run in ${runDir}`);
  } catch {
    return model; // the recorded sphinx folder has gone or changed: the checkpoint's copy is the model's
  }
}
