import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Alphabet, formatTokens, parseTokens } from '../speech/alphabet.js';
import { classDecodingToJson, type ClassDecodingJson, parseClassDecoding } from '../speech/class-priors.js';
import { DEFAULT_FEATURES, type FeatureConfig } from '../speech/features.js';
import { frontEndMismatch, resolveFrontEnd, sphinxModelDir } from '../speech/front-end.js';
import { copySphinxModel, hasSphinxModel, SPHINX_MODEL_FILES } from '../speech/sphinx/load-model.js';
import { type AcousticConfig, configProblems } from './config.js';
import { parameterShapes, type FeatureStats } from './acoustic.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { recoverModelFolders } from './folder-recovery.js';
import { killPoint } from './kill-point.js';
import { writeFileSynced } from '../process/atomic-write.js';
import { withDictionary } from '../speech/phone-spelling.js';
import { formatDictionary, parseDictionary } from '../speech/pronouncing-dictionary.js';
import { LetterToSound } from '../speech/g2p/letter-to-sound.js';
import { loadedText, sharedDictionary, sharedLetterToSound } from './pronunciation-files.js';

/**
 * A model folder, the unit Attune ships, trains and swaps:
 *
 *   model.safetensors   weights (float32; names and shapes in parameterShapes())
 *   config.json         { format, version, acoustic, features, stats, info?, decoding? }
 *   tokens.txt          output alphabet, one token per line (letters, or phone names)
 *   pronunciations.dict with phone tokens only: the pronouncing dictionary that spells words in them
 *   letter-to-sound.json with phone tokens, optional: rules that spell the words the dictionary lacks
 *   MODEL_CARD.md       what it is, how it was trained, how well it does
 *   sphinx/             with phone features only: the sphinx acoustic model they come from (feat.params,
 *                       mdef, means, variances, sendump or mixture_weights, README), so the folder needs
 *                       nothing installed; config.json's features.phones.model says "sphinx"
 *
 * In memory (ModelFolder.features, LoadedModel.features) features.phones.model is an absolute path; saving
 * copies that folder in.
 *
 * Folders are written to a temporary sibling and renamed into place, so a crash never leaves a
 * half-written model where a good one was.
 */

export const MODEL_FORMAT = 'attune-acoustic';
export const MODEL_FORMAT_VERSION = 2;
/**
 * Older versions this Attune still reads. Version 1 predates `acoustic.subsampleStrides`: its models
 * always subsampled by [2, 2].
 */
const READABLE_VERSIONS = [1, MODEL_FORMAT_VERSION];

export interface ModelFolder {
  acoustic: AcousticConfig;
  /** The front end; with phones, phones.model is absolute (resolved against the folder when loaded). */
  features: FeatureConfig;
  stats: FeatureStats;
  alphabet: Alphabet;
  weights: Map<string, Float32Array>;
  /** Free-form record of how the model was made and how it scores (kept in config.json). */
  info: ModelInfo;
  modelCard?: string;
}

export interface ModelInfo {
  /** Training recipe and provenance, e.g. command, steps, corpus. */
  training?: Record<string, unknown>;
  /** Measured scores, e.g. { "test-unseen": { wer, cer } }. */
  metrics?: Record<string, unknown>;
  createdAt?: string;
  /** Version label (personal models are numbered). */
  version?: string;
  parent?: string;
}

export class ModelFolderError extends Error {
  constructor(
    readonly folder: string,
    message: string,
  ) {
    super(`model folder ${folder}: ${message}`);
    this.name = 'ModelFolderError';
  }
}

interface ConfigJson {
  format: string;
  version: number;
  acoustic: AcousticConfig;
  features: FeatureConfig;
  stats: { mean: number[]; std: number[] };
  info?: ModelInfo;
  /** How the model's scores are best searched (class-priors.ts), when measured for it. */
  decoding?: ClassDecodingJson;
}

/** Writes a model folder atomically (replacing an existing one only once the new one is complete). */
export function saveModelFolder(dir: string, m: ModelFolder): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  // Saves of this folder a killed process left half done go first (folder-recovery.ts).
  recoverModelFolders(parent, basename(dir));
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const shapes = parameterShapes(m.acoustic);
    const tensors = new Map<string, NamedTensor>();
    for (const [name, shape] of shapes) {
      const data = m.weights.get(name);
      if (!data) throw new ModelFolderError(dir, `cannot save: weight ${name} is missing`);
      tensors.set(name, { shape, data });
    }
    writeFileSynced(join(tmp, 'model.safetensors'), encodeSafetensors(tensors, { format: MODEL_FORMAT }));
    const config: ConfigJson = {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      acoustic: m.acoustic,
      features: m.features.phones ? saveSphinxModel(dir, tmp, m.features) : { ...m.features },
      stats: { mean: [...m.stats.mean], std: [...m.stats.std] },
      info: m.info,
      ...(m.alphabet.decoding && { decoding: classDecodingToJson(m.alphabet.decoding) }),
    };
    writeFileSynced(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    writeFileSynced(join(tmp, 'tokens.txt'), formatTokens(m.alphabet));
    if (m.alphabet.phones) savePronunciations(dir, tmp, m.alphabet);
    if (m.modelCard !== undefined) writeFileSynced(join(tmp, 'MODEL_CARD.md'), m.modelCard);
    killPoint(`save-model:written:${basename(dir)}`);
    // Swap: move the old folder aside, move the new one in, then delete the old one.
    const old = existsSync(dir) ? `${tmp}.old` : null;
    if (old) renameSync(dir, old);
    killPoint(`save-model:swapping:${basename(dir)}`);
    renameSync(tmp, dir);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** A phone model's pronouncing dictionary, beside its tokens.txt. */
export const DICTIONARY_FILE = 'pronunciations.dict';

/** A phone model's letter-to-sound rules for words its dictionary lacks (optional: without, they are unwritable). */
export const LETTER_TO_SOUND_FILE = 'letter-to-sound.json';

/** Writes a phone model's dictionary and letter-to-sound rules into the folder being written (tmp). */
function savePronunciations(dir: string, tmp: string, alphabet: Alphabet): void {
  const { dictionary, letterToSound } = alphabet.phones!;
  if (!dictionary)
    throw new ModelFolderError(dir, 'cannot save: the phone model has no pronouncing dictionary');
  writeFileSynced(join(tmp, DICTIONARY_FILE), loadedText(dictionary) ?? formatDictionary(dictionary));
  if (letterToSound)
    writeFileSynced(
      join(tmp, LETTER_TO_SOUND_FILE),
      loadedText(letterToSound) ?? JSON.stringify(letterToSound.toJSON()),
    );
}

/** A phone model's alphabet with its folder's dictionary and letter-to-sound rules attached. */
function loadPronunciations(dir: string, alphabet: Alphabet): Alphabet {
  const path = join(dir, DICTIONARY_FILE);
  const dictionary = sharedDictionary(readText(dir, DICTIONARY_FILE), (text) => parseDictionary(text, path));
  let rules: LetterToSound | null = null;
  if (existsSync(join(dir, LETTER_TO_SOUND_FILE))) {
    try {
      rules = sharedLetterToSound(readText(dir, LETTER_TO_SOUND_FILE), (text) =>
        LetterToSound.fromJSON(JSON.parse(text) as unknown),
      );
    } catch (err) {
      throw new ModelFolderError(dir, `${LETTER_TO_SOUND_FILE}: ${(err as Error).message}`);
    }
  }
  return withDictionary(alphabet, dictionary, path, rules);
}

/** The folder inside a model folder that holds the sphinx model of its phone features. */
export const SPHINX_FOLDER = 'sphinx';

/**
 * Copies the sphinx model of phone features into the folder being written (tmp, to become dir), so the
 * model folder is self-contained; returns the features as config.json records them.
 */
function saveSphinxModel(dir: string, tmp: string, features: FeatureConfig): FeatureConfig {
  const from = sphinxModelDir(features)!;
  try {
    copySphinxModel(from, join(tmp, SPHINX_FOLDER));
  } catch (err) {
    throw new ModelFolderError(
      dir,
      `cannot save the phone features' sphinx model: ${(err as Error).message}`,
    );
  }
  return { ...features, phones: { ...features.phones!, model: SPHINX_FOLDER } };
}

/** config.json's features, phones.model resolved against the folder and its sphinx model checked. */
function readFeatures(dir: string, config: ConfigJson): FeatureConfig {
  const features: FeatureConfig = { ...DEFAULT_FEATURES, ...(config.features ?? {}) };
  const F = config.acoustic.featureBins;
  if (!features.phones) {
    if (features.nMels !== F)
      throw new ModelFolderError(
        dir,
        `config.json: features.nMels (${features.nMels}) ≠ acoustic.featureBins (${F})`,
      );
    return features;
  }
  const { model, withLogMel, contexts } = features.phones;
  if (typeof model !== 'string' || model === '' || typeof withLogMel !== 'boolean')
    throw new ModelFolderError(
      dir,
      'config.json: features.phones needs "model" (the sphinx model folder) and "withLogMel" (true or false)',
    );
  if (contexts !== undefined && (typeof contexts !== 'boolean' || (contexts && !withLogMel)))
    throw new ModelFolderError(
      dir,
      'config.json: features.phones.contexts must be true or false, and true only with "withLogMel": true',
    );
  const resolved = resolveFrontEnd(features, dir);
  const sphinx = resolved.phones!.model;
  if (!hasSphinxModel(sphinx))
    throw new ModelFolderError(
      dir,
      `the sphinx model of its phone features, ${sphinx}, is missing or incomplete (needs ${SPHINX_MODEL_FILES})`,
    );
  let mismatch: string | null;
  try {
    mismatch = frontEndMismatch(resolved, F);
  } catch (err) {
    throw new ModelFolderError(dir, `cannot load the sphinx model ${sphinx}: ${(err as Error).message}`);
  }
  if (mismatch) throw new ModelFolderError(dir, `config.json: ${mismatch}`);
  return resolved;
}

function readText(dir: string, name: string): string {
  const path = join(dir, name);
  if (!existsSync(path)) throw new ModelFolderError(dir, `${name} is missing`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelFolderError(dir, `cannot read ${name}: ${(err as Error).message}`);
  }
}

/** config.json, its format and version checked, and its acoustic settings valid. */
function readConfig(dir: string): ConfigJson {
  let config: ConfigJson;
  try {
    config = JSON.parse(readText(dir, 'config.json')) as ConfigJson;
  } catch (err) {
    if (err instanceof ModelFolderError) throw err;
    throw new ModelFolderError(dir, `config.json is not valid JSON (${(err as Error).message})`);
  }
  if (config?.format !== MODEL_FORMAT) {
    throw new ModelFolderError(
      dir,
      `config.json: format is ${JSON.stringify(config?.format)}, expected "${MODEL_FORMAT}"`,
    );
  }
  if (!READABLE_VERSIONS.includes(config.version)) {
    throw new ModelFolderError(
      dir,
      `config.json: format version ${config.version} is not supported (this Attune reads ${READABLE_VERSIONS.join(', ')})`,
    );
  }
  if (!config.acoustic || typeof config.acoustic !== 'object')
    throw new ModelFolderError(dir, 'config.json: "acoustic" is missing');
  if (config.version === 1 && config.acoustic.subsampleStrides === undefined)
    config.acoustic = { ...config.acoustic, subsampleStrides: [2, 2] };
  const problems = configProblems(config.acoustic);
  if (problems.length > 0) throw new ModelFolderError(dir, `config.json: ${problems.join('; ')}`);
  return config;
}

/** The feature normalisation: a finite mean and a positive deviation per feature bin. */
function readStats(dir: string, config: ConfigJson): { mean: number[]; std: number[] } {
  const F = config.acoustic.featureBins;
  const mean = config.stats?.mean;
  const std = config.stats?.std;
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== F || std.length !== F) {
    throw new ModelFolderError(dir, `config.json: stats.mean and stats.std need ${F} values each`);
  }
  if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && s > 0)) {
    throw new ModelFolderError(dir, 'config.json: stats must be finite, with every std > 0');
  }
  return { mean, std };
}

/** tokens.txt (with a phone model's pronunciations), one token per output class, and the word search's settings. */
function readAlphabet(dir: string, config: ConfigJson): Alphabet {
  let alphabet: Alphabet;
  try {
    alphabet = parseTokens(readText(dir, 'tokens.txt'), join(dir, 'tokens.txt'));
    if (alphabet.phones) alphabet = loadPronunciations(dir, alphabet);
  } catch (err) {
    if (err instanceof ModelFolderError) throw err;
    throw new ModelFolderError(dir, (err as Error).message);
  }
  if (alphabet.size !== config.acoustic.vocabSize) {
    throw new ModelFolderError(
      dir,
      `tokens.txt has ${alphabet.size} tokens but the model outputs ${config.acoustic.vocabSize} classes`,
    );
  }
  if (config.decoding === undefined) return alphabet;
  try {
    return { ...alphabet, decoding: parseClassDecoding(config.decoding, alphabet.size) };
  } catch (err) {
    throw new ModelFolderError(dir, `config.json: ${(err as Error).message}`);
  }
}

/** model.safetensors: exactly the weights the acoustic config needs, each of its shape and finite. */
function readWeights(dir: string, acoustic: AcousticConfig): Map<string, Float32Array> {
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) throw new ModelFolderError(dir, 'model.safetensors is missing');
  let tensors: Map<string, NamedTensor>;
  try {
    tensors = decodeSafetensors(readFileSync(weightsPath), 'model.safetensors').tensors;
  } catch (err) {
    throw new ModelFolderError(dir, (err as Error).message);
  }
  const weights = new Map<string, Float32Array>();
  const expected = parameterShapes(acoustic);
  const missing: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFolderError(
        dir,
        `model.safetensors: ${name} has shape [${t.shape.join(', ')}], config needs [${shape.join(', ')}]`,
      );
    }
    if (!t.data.every(Number.isFinite))
      throw new ModelFolderError(dir, `model.safetensors: ${name} contains NaN or infinite values`);
    weights.set(name, t.data);
  }
  if (missing.length > 0) {
    throw new ModelFolderError(
      dir,
      `model.safetensors lacks ${missing.length} weight(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
  }
  const extra = [...tensors.keys()].filter((k) => !expected.has(k));
  if (extra.length > 0)
    throw new ModelFolderError(
      dir,
      `model.safetensors has unexpected weight(s): ${extra.slice(0, 5).join(', ')}`,
    );
  return weights;
}

/** Reads and validates a model folder; every problem is reported with what exactly is wrong. */
export function loadModelFolder(dir: string): ModelFolder {
  if (!existsSync(dir)) throw new ModelFolderError(dir, 'does not exist');
  if (!statSync(dir).isDirectory()) throw new ModelFolderError(dir, 'is not a folder');
  const config = readConfig(dir);
  const features = readFeatures(dir, config);
  const { mean, std } = readStats(dir, config);
  const alphabet = readAlphabet(dir, config);
  const weights = readWeights(dir, config.acoustic);
  const card = join(dir, 'MODEL_CARD.md');
  return {
    acoustic: config.acoustic,
    features,
    stats: { mean: Float32Array.from(mean), std: Float32Array.from(std) },
    alphabet,
    weights,
    info: config.info ?? {},
    modelCard: existsSync(card) ? readFileSync(card, 'utf8') : undefined,
  };
}

/** True when a folder looks like a model folder (has config.json and weights), without validating. */
export function isModelFolder(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}
