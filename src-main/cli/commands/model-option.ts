import { resolve } from 'node:path';
import { initBackend, type BackendInfo } from '../../model/backend.js';
import { isModelFolder } from '../../model/checkpoint.js';
import { loadModel, type LoadedModel } from '../../model/model-io.js';
import { BASE_MODEL_DIR } from '../../model/paths.js';

export { BASE_MODEL_DIR };

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
  if (backend === 'webgpu')
    throw new Error(
      '--backend webgpu: WebGPU runs training and live dictation (attune train, finetune, dictate, serve); ' +
        "this command computes on this process's backends (auto, gpu, node, wasm, cpu)",
    );
  const info = await initBackend({ prefer: backend as 'auto' });
  return { loaded: loadModel(modelDir), backend: info };
}
