import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendInfo } from '../../model/backend.js';
import { isModelFolder } from '../../model/checkpoint.js';
import { loadModel, type LoadedModel } from '../../model/model-io.js';

/** The shipped model folder, found relative to the source tree (works from any working directory). */
export const BASE_MODEL_DIR = fileURLToPath(new URL('../../../models/base', import.meta.url));

/** Starts the compute backend and loads a model folder (default: the shipped base model). */
export async function openModel(
  dir: string | undefined,
  backend = 'auto',
): Promise<{ loaded: LoadedModel; backend: BackendInfo }> {
  const modelDir = dir ? resolve(dir) : BASE_MODEL_DIR;
  if (!dir && !isModelFolder(modelDir)) {
    throw new Error(
      `no model yet: ${modelDir} has no trained weights (train one with \`attune train\`, or pass --model)`,
    );
  }
  const info = await initBackend({ prefer: backend as 'auto' });
  return { loaded: loadModel(modelDir), backend: info };
}
