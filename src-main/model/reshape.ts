import type { ModelFolder } from './checkpoint.js';
import { lookAheadMs } from './config.js';
import { deepenModel } from './deepen.js';
import { limitLookAhead } from './look-ahead.js';
import { restrideModel } from './restride.js';
import { widenModel } from './widen.js';
import { replaceHead } from './new-head.js';
import { type Alphabet, formatTokens } from '../speech/alphabet.js';

/**
 * Changing a trained model's shape without losing what it learnt, one step per option, in this order:
 * wider (widen.ts), deeper (deepen.ts), new subsampling strides (restride.ts), less look-ahead
 * (look-ahead.ts), a new output alphabet (new-head.ts). The result is a model folder to train on from (`attune train --init`); what changed is
 * recorded in its info, and a run started from it carries the record into the models it saves.
 */
export interface ReshapeOptions {
  /** Channels: a whole multiple of the model's (unset: kept). */
  channels?: number;
  /** Blocks: more than the model's (unset: kept). */
  blocks?: number;
  /** Subsampling strides (unset: kept). */
  subsampleStrides?: [number, number];
  /** Most audio an output frame may wait for, in ms (unset: kept). */
  maxLookAheadMs?: number;
  /** Noise of the widened weights (widen.ts; unset: its default). */
  widenNoise?: number;
  /** A new output alphabet (unset: kept): the output layer starts afresh for it (new-head.ts). */
  alphabet?: Alphabet;
  /** Seed of the new weights (the widening noise, the new blocks, a new output layer). */
  seed: number;
}

/** The shape a model had before it was reshaped (kept in info.training.reshapedFrom). */
export interface ShapeRecord {
  channels: number;
  blocks: number;
  subsampleStrides: [number, number];
  lookAheadMs: number;
  /** Output classes: letters or phone names, in order. */
  tokens: string[];
}

export function shapeOf(folder: ModelFolder): ShapeRecord {
  const a = folder.acoustic;
  return {
    channels: a.channels,
    blocks: a.blocks,
    subsampleStrides: [...a.subsampleStrides],
    lookAheadMs: lookAheadMs(a),
    tokens: formatTokens(folder.alphabet).trim().split('\n'),
  };
}

/** The folder's model in the asked shape, with `info.training.reshapedFrom` saying what it was. */
export function reshapeModel(folder: ModelFolder, options: ReshapeOptions): ModelFolder {
  const before = shapeOf(folder);
  let out = folder;
  if (options.channels !== undefined && options.channels !== before.channels)
    out = widenModel(out, { channels: options.channels, noise: options.widenNoise, seed: options.seed });
  if (options.blocks !== undefined && options.blocks !== before.blocks)
    out = deepenModel(out, { blocks: options.blocks, seed: options.seed });
  if (options.subsampleStrides) out = restrideModel(out, options.subsampleStrides);
  if (options.maxLookAheadMs !== undefined) out = limitLookAhead(out, options.maxLookAheadMs);
  if (options.alphabet) {
    // The same classes (a phone model given another dictionary or new rules): only the spelling changes.
    const same = formatTokens(options.alphabet) === formatTokens(out.alphabet);
    out = same ? { ...out, alphabet: options.alphabet } : replaceHead(out, options.alphabet, options.seed);
  }
  if (out === folder) throw new Error('nothing to change: the model already has the asked shape');
  const training = { ...folder.info.training, reshapedFrom: before };
  return { ...out, info: { ...folder.info, training } };
}
