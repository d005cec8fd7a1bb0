import type { Command } from 'commander';
import { describeComputeBackend, startComputeBackend } from '../../compute/compute-backend.js';
import { isModelFolder, loadModelFolder } from '../../model/checkpoint.js';
import { lookAheadMs, outputFrameMs } from '../../model/config.js';
import { BASE_MODEL_DIR } from './model-option.js';
import { TRAINING_BACKEND_HELP } from './training-backend.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the compute backend in use (and why the others are not) and the model')
    .option('--model <dir>', 'model folder (default: the shipped base model)')
    .option('--backend <name>', TRAINING_BACKEND_HELP, 'auto')
    .action(async (o: { model?: string; backend: string }) => {
      // The ladder as training walks it: WebGPU first when a GPU is found.
      const backend = await startComputeBackend({ prefer: o.backend as 'auto', autoWebGpu: true });
      await backend.host?.close();
      process.stdout.write(describeComputeBackend(backend) + '\n');
      const dir = o.model ?? BASE_MODEL_DIR;
      if (!isModelFolder(dir)) {
        process.stdout.write(`model: none at ${dir}\n`);
        return;
      }
      const m = loadModelFolder(dir);
      const params = [...m.weights.values()].reduce((s, w) => s + w.length, 0);
      process.stdout.write(
        `model: ${dir}\n  ${params.toLocaleString('en')} parameters, ${m.acoustic.blocks} blocks × ${m.acoustic.channels} channels, ` +
          `${outputFrameMs(m.acoustic)} ms frames, look-ahead ${lookAheadMs(m.acoustic)} ms, ${m.alphabet.size} tokens\n`,
      );
    });
}
