import { resolve } from 'node:path';
import type { Command } from 'commander';
import { importPocketsphinxTestdata } from '../../training/human-testdata.js';

export function registerTestdata(program: Command): void {
  program
    .command('testdata')
    .description(
      "copy the real human recordings of Debian's pocketsphinx-testdata into a LibriSpeech-layout folder for `attune eval`",
    )
    .requiredOption('--out <dir>', 'folder to write')
    .action((o: { out: string }) => {
      const r = importPocketsphinxTestdata(resolve(o.out));
      process.stdout.write(`${r.utterances} utterances in ${resolve(o.out)}\n`);
    });
}
