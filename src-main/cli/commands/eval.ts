import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readLibriSpeech } from '../../training/librispeech.js';
import { scoringFeatures } from '../../training/scoring-features.js';
import { evaluate } from '../../training/evaluate.js';
import { progressBar } from '../progress.js';
import { beamSearch } from '../../speech/beam-search.js';
import { addLmOptions, beamWidthOption, languageModelFor, type LmOption } from './lm-option.js';
import { openModel } from './model-option.js';
import { wholeNumberOption } from './options.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('measure WER and CER on a LibriSpeech-layout folder (last line: one JSON object)')
    .argument('<dir>', 'corpus or split folder with *.trans.txt transcripts')
    .option('--model <dir>', 'model folder (default: the shipped base model)')
    .option('--backend <name>', 'compute backend: auto, gpu, node, wasm, cpu', 'auto')
    .option('--jobs <n>', 'parallel audio decoders', '2')
    .option('--json', 'print only the JSON result (with per-speaker and per-utterance detail)');
  // Greedy unless --lm: eval measures the acoustic model unless asked to measure decoding with an LM.
  addLmOptions(command, false).action(
    async (
      dir: string,
      o: { model?: string; backend: string; jobs: string; json?: boolean; lm: LmOption; beamWidth: string },
    ) => {
      const beamWidth = beamWidthOption(o.beamWidth);
      const jobs = wholeNumberOption(o.jobs, 'jobs', 1, 64);
      const { loaded } = await openModel(o.model, o.backend);
      const lm = languageModelFor(o.lm, false, loaded.alphabet);
      const beam = { beamWidth };
      const corpus = await readLibriSpeech(dir);
      const bar = o.json ? null : progressBar('reading audio');
      bar?.start(corpus.utterances.length, 0);
      const { items, report, close } = await scoringFeatures(corpus.utterances, {
        features: loaded.features,
        jobs,
        purpose: 'eval',
        key: [resolve(dir)],
        onProgress: (d) => bar?.update(d),
      });
      bar?.stop();
      // What reading tolerated, each naming its file (e.g. a FLAC that ends early, scored as far as it goes).
      for (const w of report.warnings)
        process.stderr.write(
          `warning: ${w.warning.includes(w.file) ? w.warning : `${w.file}: ${w.warning}`}\n`,
        );
      if (items.length === 0) {
        const e = report.skipped[0];
        throw new Error(
          `nothing to score in ${dir}: none of its ${corpus.utterances.length} recordings could be read` +
            (e ? ` (e.g. ${e.id}: ${e.reason})` : ''),
        );
      }
      const t0 = performance.now();
      const r = evaluate(loaded.model, loaded.alphabet, items, {
        decode: lm ? (rows, T) => beamSearch(rows, T, loaded.alphabet, null, beam, lm).text : null,
      });
      close();
      if (r.words.refLength === 0)
        throw new Error(
          `nothing to score in ${dir}: the transcripts of its ${items.length} readable recordings are empty`,
        );
      const seconds = (performance.now() - t0) / 1000;
      const audioSeconds =
        (items.reduce((s, it) => s + it.frames, 0) * loaded.features.hopLength) / loaded.features.sampleRate;
      if (!o.json) {
        process.stdout.write(
          `${'speaker'.padEnd(24)} ${'utts'.padStart(5)} ${'WER'.padStart(8)} ${'CER'.padStart(8)}\n`,
        );
        for (const s of r.speakers) {
          process.stdout.write(
            `${s.speaker.padEnd(24)} ${String(s.utterances).padStart(5)} ${pct(s.wer).padStart(8)} ${pct(s.cer).padStart(8)}\n`,
          );
        }
        process.stdout.write(
          `${'all'.padEnd(24)} ${String(r.utterances).padStart(5)} ${pct(r.wer).padStart(8)} ${pct(r.cer).padStart(8)}\n`,
        );
        if (report.skipped.length > 0)
          process.stderr.write(
            `skipped ${report.skipped.length} unreadable file(s), e.g. ${report.skipped[0].id}: ${report.skipped[0].reason}\n`,
          );
      }
      const summary = {
        wer: r.wer,
        cer: r.cer,
        utterances: r.utterances,
        skipped: report.skipped.length,
        warnings: report.warnings,
        words: { ...r.words },
        chars: { ...r.chars },
        speakers: r.speakers,
        decoding: lm ? { languageModel: lm.lm.source, beamWidth } : 'greedy',
        realTimeFactor: audioSeconds > 0 ? seconds / audioSeconds : 0,
        ...(o.json ? { hypotheses: r.hypotheses } : {}),
      };
      process.stdout.write(JSON.stringify(summary) + '\n');
    },
  );
}
