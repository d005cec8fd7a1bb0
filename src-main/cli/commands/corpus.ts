import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CORPUS_SPLITS, DEFAULT_CORPUS_CONFIG } from '../../training/corpus/config.js';
import { generateCorpus, type CorpusProgress } from '../../training/corpus/generate.js';
import { progressBar } from '../progress.js';
import { positiveOption, wholeNumberOption } from './options.js';

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Hours for big amounts, minutes for the small evaluation splits. */
const duration = (seconds: number): string =>
  seconds >= 3600 ? `${(seconds / 3600).toFixed(2)} h` : `${(seconds / 60).toFixed(1)} min`;

/** `attune corpus`: makes (or resumes) the synthetic training corpus in LibriSpeech layout. */
export function registerCorpus(program: Command): void {
  const d = DEFAULT_CORPUS_CONFIG;
  program
    .command('corpus')
    .description(
      'synthesise a multi-voice English speech corpus in LibriSpeech layout (resumes an unfinished one)',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--hours <h>', 'total hours of audio across all splits', String(d.hours))
    .option('--seed <n>', 'seed for every random choice (same seed, same corpus)', String(d.seed))
    .option('--jobs <n>', 'synthesis batches run at once', String(d.jobs))
    .option('--voices <patterns>', 'comma-separated voice name patterns to use', d.voices.join(','))
    .option(
      '--held-out <patterns>',
      'comma-separated voice patterns kept for test-unseen',
      d.heldOutVoices.join(','),
    )
    .action(
      async (o: {
        out: string;
        hours: string;
        seed: string;
        jobs: string;
        voices: string;
        heldOut: string;
      }) => {
        const hours = positiveOption(o.hours, 'hours');
        const seed = wholeNumberOption(o.seed, 'seed', Number.MIN_SAFE_INTEGER);
        const jobs = wholeNumberOption(o.jobs, 'jobs');
        const bar = progressBar('corpus', '| {audio} h audio | {speed}x real time');
        let started = false;
        const onProgress = (p: CorpusProgress): void => {
          const values = {
            audio: (p.audioSeconds / 3600).toFixed(2),
            speed: p.elapsedSeconds > 0 ? (p.generatedSeconds / p.elapsedSeconds).toFixed(0) : '-',
          };
          if (!started) {
            bar.start(p.total, p.done, values);
            started = true;
          } else bar.update(p.done, values);
        };
        const result = await generateCorpus(
          {
            outDir: resolve(o.out),
            hours,
            seed,
            jobs,
            voices: list(o.voices),
            heldOutVoices: list(o.heldOut),
          },
          onProgress,
        ).finally(() => bar.stop());
        const s = result.manifest.splits;
        const total = CORPUS_SPLITS.reduce((sum, k) => sum + s[k].hours, 0);
        const perSplit = CORPUS_SPLITS.map((k) => `${k} ${s[k].utterances} (${duration(s[k].seconds)})`).join(
          ', ',
        );
        const speed = result.wallSeconds > 0 ? result.generatedSeconds / result.wallSeconds : 0;
        process.stdout.write(
          `corpus ${result.outDir}: ${total.toFixed(2)} h — ${perSplit}; ` +
            `made ${result.generated} in ${result.wallSeconds.toFixed(0)} s (${speed.toFixed(1)} audio-s/s), ` +
            `${result.skipped} already there, ${result.failed.length} failed\n`,
        );
      },
    );
}
