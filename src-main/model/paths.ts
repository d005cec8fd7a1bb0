import { join } from 'node:path';
import { appRoot } from '../app-root.js';

/** The shipped model folder (works from any working directory, from source or built). */
export const BASE_MODEL_DIR = join(appRoot(), 'models', 'base');

/**
 * The shipped word language model finals are decoded with (ARPA, gzipped): English n-grams from WordNet's
 * definitions and example sentences, built by `attune lm` (see models/lm/README.md).
 */
export const BASE_LM_PATH = join(appRoot(), 'models', 'lm', 'english.arpa.gz');
