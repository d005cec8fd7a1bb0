import { join } from 'node:path';
import { appRoot } from '../app-root.js';

/** The shipped model folder (works from any working directory, from source or built). */
export const BASE_MODEL_DIR = join(appRoot(), 'models', 'base');
