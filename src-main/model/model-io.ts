import type { Alphabet } from '../speech/alphabet.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../speech/features.js';
import { AcousticModel } from './acoustic.js';
import { loadModelFolder, type ModelFolder, type ModelInfo } from './checkpoint.js';

/** A loaded model folder with its live model: what every consumer (CLI, engine, trainer) needs. */
export interface LoadedModel {
  dir: string;
  model: AcousticModel;
  alphabet: Alphabet;
  /** The front end the model takes (with phones, phones.model is absolute: the folder's sphinx/). */
  features: FeatureConfig;
  info: ModelInfo;
  modelCard?: string;
}

/** Builds the live model from a validated folder. */
export function loadCheckpointModel(folder: ModelFolder): AcousticModel {
  return new AcousticModel(folder.acoustic, folder.weights, folder.stats);
}

/** Loads and validates a model folder and builds its model (needs an initialised tfjs backend). */
export function loadModel(dir: string): LoadedModel {
  const folder = loadModelFolder(dir);
  return {
    dir,
    model: loadCheckpointModel(folder),
    alphabet: folder.alphabet,
    features: folder.features,
    info: folder.info,
    modelCard: folder.modelCard,
  };
}

/** Snapshot of a live model as a folder description, ready for saveModelFolder. */
export function checkpointFromModel(
  model: AcousticModel,
  alphabet: Alphabet,
  info: ModelInfo = {},
  features: FeatureConfig = DEFAULT_FEATURES,
  modelCard?: string,
): ModelFolder {
  return {
    acoustic: model.config,
    features,
    stats: model.featureStats(),
    alphabet,
    weights: model.weights(),
    info: { createdAt: new Date().toISOString(), ...info },
    modelCard,
  };
}
