import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModelFolder, saveModelFolder } from '../../model/checkpoint.js';
import { lookAheadMs } from '../../model/config.js';
import { reshapeModel } from '../../model/reshape.js';
import { shareOption, wholeNumberOption } from './options.js';
import { parseStrides } from './train.js';
import { phoneAlphabet } from '../../speech/phone-spelling.js';
import { loadDictionary } from '../../speech/pronouncing-dictionary.js';
import { LetterToSound } from '../../speech/g2p/letter-to-sound.js';
import type { Alphabet } from '../../speech/alphabet.js';

interface ReshapeFlags {
  model: string;
  out: string;
  channels?: string;
  blocks?: string;
  subsampleStrides?: string;
  maxLookAhead?: string;
  widenNoise?: string;
  phones?: string;
  seed: string;
}

/** The phone alphabet of a dictionary, with letter-to-sound rules learnt from it for the words it lacks. */
function phonesOf(path: string): Alphabet {
  const dictionary = loadDictionary(path);
  return phoneAlphabet(dictionary, path, LetterToSound.learn(dictionary));
}

export function registerReshape(program: Command): void {
  program
    .command('reshape')
    .description(
      'make a trained model wider, deeper, coarser-framed or quicker to answer, keeping what it learnt; train on from the result with `attune train --init`',
    )
    .requiredOption('--model <dir>', 'the trained model folder')
    .requiredOption('--out <dir>', 'model folder to write')
    .option('--channels <n>', 'model width: a whole multiple of the model’s (each channel is copied)')
    .option('--blocks <n>', 'residual blocks: more than the model’s (new blocks start near the identity)')
    .option(
      '--subsample-strides <a,b>',
      'time strides of the two subsampling convolutions (2,1: 20 ms frames)',
    )
    .option('--max-look-ahead <ms>', 'most audio an output frame may wait for when streaming')
    .option(
      '--widen-noise <x>',
      'noise added to the widened weights, as a fraction of their spread (default: 0.001)',
    )
    .option(
      '--phones <dictionary>',
      'write phones instead of letters, words spelt by this pronouncing dictionary (CMUdict format, e.g. pocketsphinx-en-us’s cmudict-en-us.dict); the output layer starts afresh; letter-to-sound rules learnt from it spell the words it lacks',
    )
    .option('--seed <n>', 'seed of the new weights', '1')
    .action((o: ReshapeFlags) => {
      const folder = loadModelFolder(resolve(o.model));
      const reshaped = reshapeModel(folder, {
        channels: o.channels === undefined ? undefined : wholeNumberOption(o.channels, 'channels'),
        blocks: o.blocks === undefined ? undefined : wholeNumberOption(o.blocks, 'blocks'),
        subsampleStrides: o.subsampleStrides === undefined ? undefined : parseStrides(o.subsampleStrides),
        maxLookAheadMs:
          o.maxLookAhead === undefined ? undefined : wholeNumberOption(o.maxLookAhead, 'max-look-ahead', 0),
        widenNoise: o.widenNoise === undefined ? undefined : shareOption(o.widenNoise, 'widen-noise'),
        alphabet: o.phones === undefined ? undefined : phonesOf(o.phones),
        seed: wholeNumberOption(o.seed, 'seed', 0),
      });
      // The old card describes the old shape: a run trained from this folder writes its own with `attune export`.
      const out = resolve(o.out);
      saveModelFolder(out, {
        ...reshaped,
        modelCard: undefined,
        info: { ...reshaped.info, parent: resolve(o.model) },
      });
      const a = reshaped.acoustic;
      process.stdout.write(
        `${out}: ${a.channels} channels, ${a.blocks} blocks, strides ${a.subsampleStrides.join(',')}, ` +
          `look-ahead ${lookAheadMs(a)} ms, ${reshaped.alphabet.phones ? 'phones' : 'letters'} (${a.vocabSize} classes)\n`,
      );
    });
}
