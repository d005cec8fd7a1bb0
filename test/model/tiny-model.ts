// A small untrained model for tests of the plumbing around a model (recogniser, engine process, app):
// its head leans towards a few letters, so speech always decodes to some (gibberish) text.
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import { saveModelFolder } from '../../src-main/model/checkpoint.js';
import { DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { checkpointFromModel } from '../../src-main/model/model-io.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';

export const TINY_CONFIG = {
  ...DEFAULT_ACOUSTIC,
  channels: 24,
  blocks: 3,
  blockRightContext: [1, 0, 1],
  kernel: 5,
};

/** Needs an initialised tfjs backend. `spaceBias` also favours word breaks. */
export function biasedModel(seed: number, spaceBias?: number): AcousticModel {
  const w = initParams(TINY_CONFIG, seed);
  const a = englishAlphabet();
  const bias = w.get('head.bias')!;
  for (const ch of 'aeost') bias[a.index.get(ch)!] = 1.5;
  if (spaceBias !== undefined) bias[a.space] = spaceBias;
  bias[a.blank] = 2;
  return new AcousticModel(TINY_CONFIG, w);
}

/** Saves biasedModel(seed) as a model folder labelled `version`. */
export function saveBiasedModel(path: string, seed: number, version: string): void {
  const m = biasedModel(seed);
  saveModelFolder(path, checkpointFromModel(m, englishAlphabet(), { version }));
  m.dispose();
}
