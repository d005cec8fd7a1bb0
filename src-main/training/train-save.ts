import { existsSync, mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { saveModelFolder } from '../model/checkpoint.js';
import { checkpointFromModel } from '../model/model-io.js';
import { encodeSafetensors } from '../model/safetensors.js';
import type { EvalResult } from './evaluate.js';
import type { TrainEvent } from './train-config.js';
import { checkpointDir, type OpenRun } from './train-open.js';

/**
 * What a run writes: its checkpoint (`checkpoint/`: the model, the optimizer's moments and trainer.json,
 * swapped in whole so a kill at any moment leaves one complete checkpoint) and its best model (`best/`).
 */
export class RunSaver {
  constructor(
    private readonly runDir: string,
    private readonly run: OpenRun,
    private readonly log: (e: TrainEvent) => void,
  ) {}

  checkpoint(): void {
    const { model, alphabet, info, features, opt, state } = this.run;
    const dir = checkpointDir(this.runDir);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const training = { ...info.training, step: state.step };
    saveModelFolder(
      join(tmp, 'model'),
      checkpointFromModel(model, alphabet, { ...info, training }, features),
    );
    writeFileSync(join(tmp, 'optimizer.safetensors'), encodeSafetensors(opt.state().tensors));
    writeFileSync(join(tmp, 'trainer.json'), JSON.stringify(state, null, 2));
    rmSync(`${dir}.old`, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, `${dir}.old`);
    renameSync(tmp, dir);
    rmSync(`${dir}.old`, { recursive: true, force: true });
    this.log({ type: 'checkpoint', step: state.step, path: dir });
  }

  /** The current weights as the run's best model, with the dev scores that made them best. */
  best(result: EvalResult): void {
    const { model, alphabet, info, features, state } = this.run;
    const training = { ...info.training, step: state.step };
    const metrics = { dev: { wer: result.wer, cer: result.cer } };
    saveModelFolder(
      join(this.runDir, 'best'),
      checkpointFromModel(model, alphabet, { ...info, training, metrics }, features),
    );
  }
}
