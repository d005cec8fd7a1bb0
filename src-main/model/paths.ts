import { fileURLToPath } from 'node:url';

/** The shipped model folder, found relative to the source tree (works from any working directory). */
export const BASE_MODEL_DIR = fileURLToPath(new URL('../../models/base', import.meta.url));
