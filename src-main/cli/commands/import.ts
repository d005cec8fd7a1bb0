import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { appRoot } from '../../app-root.js';
import {
  DEFAULT_IMPORT,
  importedReports,
  importSource,
  type SourceReport,
} from '../../training/real/import.js';
import { realSources } from '../../training/real/sources.js';
import { REAL_SPLITS } from '../../training/real/split.js';
import { progressBar } from '../progress.js';
import { wholeNumberOption } from './options.js';

export function registerImport(program: Command): void {
  const all = realSources({ sharedCorpora: '' }).map((s) => s.name);
  program
    .command('import')
    .description(
      'write the real speech this machine has (Debian packages, shared corpora) as real-train, real-dev and real-test sets in LibriSpeech layout',
    )
    .option('--out <dir>', 'folder to write', 'corpora/real')
    .option('--sources <names>', `comma-separated sources (${all.join(', ')})`, all.join(','))
    .option(
      '--shared <dir>',
      'folder holding vctk-p239/ and fsdd/',
      join(appRoot(), '..', 'shared', 'corpora'),
    )
    .option('--seed <n>', 'seed of the split rules that draw at random', String(DEFAULT_IMPORT.seed))
    .option('--jobs <n>', 'clips converted at once', String(DEFAULT_IMPORT.jobs))
    .option('--skip-missing', 'leave out sources that are not installed instead of stopping')
    .action(
      async (o: {
        out: string;
        sources: string;
        shared: string;
        seed: string;
        jobs: string;
        skipMissing?: boolean;
      }) => {
        const out = resolve(o.out);
        const seed = wholeNumberOption(o.seed, 'seed', Number.MIN_SAFE_INTEGER);
        const jobs = wholeNumberOption(o.jobs, 'jobs');
        const sources = realSources({ sharedCorpora: resolve(o.shared) });
        const wanted = o.sources
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = wanted.filter((w) => !sources.some((s) => s.name === w));
        if (unknown.length > 0)
          throw new Error(`--sources: unknown source ${unknown.join(', ')} (known: ${all.join(', ')})`);
        const reports: SourceReport[] = [];
        for (const source of sources.filter((s) => wanted.includes(s.name))) {
          const why = source.missing();
          if (why && o.skipMissing) {
            process.stderr.write(`${source.name}: skipped, ${why}\n`);
            continue;
          }
          const bar = progressBar(source.name);
          let started = false;
          const report = await importSource(source, { out, seed, jobs }, (done, total) => {
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(done);
          });
          if (started) bar.stop();
          reports.push(report);
          process.stderr.write(`${source.name}: ${summary(report)}\n`);
        }
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'README.md'), setsReadme(importedReports(out)));
        process.stdout.write(
          `${reports.length} source(s) in ${out}; splits described in ${join(out, 'README.md')}\n`,
        );
      },
    );
}

function summary(r: SourceReport): string {
  return REAL_SPLITS.filter((s) => r.splits[s])
    .map((s) => `${s} ${r.splits[s]!.clips} clips (${(r.splits[s]!.seconds / 60).toFixed(1)} min)`)
    .join(', ');
}

/** The sets' README: what each split holds, by source and voice, and each source's licence. */
export function setsReadme(reports: readonly SourceReport[]): string {
  const rows = reports.flatMap((r) =>
    REAL_SPLITS.filter((s) => r.splits[s]).map((s) => {
      const e = r.splits[s]!;
      return `| ${r.name} | ${s} | ${e.clips} | ${(e.seconds / 60).toFixed(1)} | ${e.speakers.join(' ')} |`;
    }),
  );
  const credits = reports.map(
    (r) =>
      `- **${r.name}**: ${r.credit}. Licence: ${r.licence} (text in each split's \`${r.name}/LICENSE\`).`,
  );
  return [
    '# Real speech sets',
    '',
    'Written by `attune import`. Voices are split by speaker: a voice in real-dev or real-test is never in real-train.',
    '',
    '| source | split | clips | minutes | voices |',
    '|---|---|---:|---:|---|',
    ...rows,
    '',
    '## Sources',
    '',
    ...credits,
    '',
  ].join('\n');
}
