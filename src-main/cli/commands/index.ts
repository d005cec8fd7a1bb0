import type { Command } from 'commander';
import { registerCorpus } from './corpus.js';
import { registerDecoding } from './decoding.js';
import { registerDictate } from './dictate.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerFinetune } from './finetune.js';
import { registerTestdata } from './testdata.js';
import { registerImport } from './import.js';
import { registerInfo } from './info.js';
import { registerLm } from './lm.js';
import { registerRecipeSchema } from './recipe-schema.js';
import { registerReshape } from './reshape.js';
import { registerServe } from './serve.js';
import { registerTrain } from './train.js';
import { registerTranscribe } from './transcribe.js';

/** Adds every subcommand to the program. */
export function registerCommands(program: Command): void {
  registerInfo(program);
  registerTranscribe(program);
  registerDictate(program);
  registerServe(program);
  registerCorpus(program);
  registerTrain(program);
  registerReshape(program);
  registerEval(program);
  registerExport(program);
  registerDecoding(program);
  registerFinetune(program);
  registerTestdata(program);
  registerImport(program);
  registerLm(program);
  registerRecipeSchema(program);
}
