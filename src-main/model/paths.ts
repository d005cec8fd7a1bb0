import { join } from 'node:path';
import { appRoot } from '../app-root.js';

/** The shipped model folder (works from any working directory, from source or built). */
export const BASE_MODEL_DIR = join(appRoot(), 'models', 'base');

/**
 * The shipped word language model finals are decoded with: CMU Sphinx's general English trigram model
 * (pocketsphinx-en-us), kept in sphinx's binary trie format because the decoder loads it 2–3× faster and in
 * less memory than the same model as ARPA text (see models/lm/README.md for how it was made).
 */
export const BASE_LM_PATH = join(appRoot(), 'models', 'lm', 'en-us.lm.bin');
