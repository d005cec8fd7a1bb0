import type { Command } from 'commander';
import { type TranscriptionProgress, transcribeFile } from '../../engine/transcribe-file.js';
import { progressBar } from '../progress.js';
import { wordDecoding } from '../../speech/dictionary-lm.js';
import { addLmOptions, beamWidthOption, languageModelFor, type LmOption } from './lm-option.js';
import { openModel } from './model-option.js';

export function registerTranscribe(program: Command): void {
  const command = program
    .command('transcribe')
    .description('transcribe audio files (WAV, FLAC, MP3, OGG, …) with word times and confidences')
    .argument('<files...>', 'audio files')
    .option('--model <dir>', 'model folder (default: the shipped base model)')
    .option('--backend <name>', 'compute backend: auto, gpu, node, wasm, cpu', 'auto')
    .option('--json', 'one JSON object per file');
  addLmOptions(command, true).action(
    async (
      files: string[],
      o: { model?: string; backend: string; json?: boolean; lm: LmOption; beamWidth: string },
    ) => {
      const beamWidth = beamWidthOption(o.beamWidth);
      const { loaded } = await openModel(o.model, o.backend);
      const lm = wordDecoding(languageModelFor(o.lm, true, loaded.alphabet), loaded.alphabet);
      let failed = 0;
      for (const file of files) {
        try {
          const progress = fileProgress(files.length > 1 ? file : '');
          const t = await transcribeFile(file, loaded, { lm, beamWidth }, {}, progress.update).finally(
            progress.stop,
          );
          if (o.json) {
            process.stdout.write(JSON.stringify(t) + '\n');
          } else {
            const prefix = files.length > 1 ? `${file}: ` : '';
            process.stdout.write(`${prefix}${t.text}\n`);
            for (const w of t.warnings) process.stderr.write(`${file}: warning: ${w}\n`);
          }
        } catch (err) {
          // One unreadable file does not stop the others; the exit code says something failed.
          failed++;
          const message = (err as Error).message;
          if (o.json) process.stdout.write(JSON.stringify({ file, error: message }) + '\n');
          else process.stderr.write(`attune: ${message}\n`);
        }
      }
      if (failed > 0) process.exitCode = 1;
    },
  );
}

/** Files at least this long show a progress bar (on stderr, when it is a terminal); shorter ones are quick. */
const PROGRESS_AFTER_SEC = 60;

/** A progress bar in seconds of audio, started once the file is known to be long. */
function fileProgress(name: string): { update: TranscriptionProgress; stop: () => void } {
  let bar: ReturnType<typeof progressBar> | null = null;
  return {
    update: (doneSec, totalSec) => {
      if (!bar && totalSec !== null && totalSec >= PROGRESS_AFTER_SEC) {
        bar = progressBar(`transcribing${name ? ` ${name}` : ''} (s of audio)`);
        bar.start(Math.round(totalSec), 0);
      }
      bar?.update(Math.min(Math.round(doneSec), bar.getTotal()));
    },
    stop: () => bar?.stop(),
  };
}
