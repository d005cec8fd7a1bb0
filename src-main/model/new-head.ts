import type { Alphabet } from '../speech/alphabet.js';
import type { ModelFolder } from './checkpoint.js';
import type { AcousticConfig } from './config.js';
import { initParams } from './acoustic.js';

/**
 * A trained model given a new output alphabet (letters to phones, say): every weight below the output layer is
 * kept, so what the model learnt about sound carries over, and the output layer starts afresh for the new
 * classes. The blank and the word break mean the same in any alphabet, so their columns are kept: the new
 * model already knows where nothing and where a word break is said, and learns only which sound it hears.
 */
export function replaceHead(folder: ModelFolder, alphabet: Alphabet, seed: number): ModelFolder {
  const from = folder.acoustic;
  const acoustic: AcousticConfig = { ...from, vocabSize: alphabet.size };
  const fresh = initParams(acoustic, seed);
  const C = from.channels;
  const oldV = from.vocabSize;
  const V = alphabet.size;
  const oldW = folder.weights.get('head.weight')!; // [C, oldV]
  const oldB = folder.weights.get('head.bias')!; // [oldV]
  const W = fresh.get('head.weight')!; // [C, V]
  const B = fresh.get('head.bias')!; // [V]
  const kept: [number, number][] = [[folder.alphabet.blank, alphabet.blank]];
  if (folder.alphabet.space >= 0 && alphabet.space >= 0) kept.push([folder.alphabet.space, alphabet.space]);
  for (const [o, n] of kept) {
    for (let c = 0; c < C; c++) W[c * V + n] = oldW[c * oldV + o];
    B[n] = oldB[o];
  }
  const weights = new Map(folder.weights);
  weights.set('head.weight', W);
  weights.set('head.bias', B);
  return { ...folder, acoustic, alphabet, weights };
}
