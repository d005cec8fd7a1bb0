// Word and character error rates of pocketsphinx (Debian's python3-pocketsphinx, default US-English model and
// language model) on a LibriSpeech-layout set, scored like `attune eval` so the two can be compared:
//
//   npx tsx bench/peer.ts <set-dir> [--json] [--limit N]
//
// Prints a table by speaker and the overall WER/CER; with --json, only one JSON object
// {set, utterances, wer, cer, bySpeaker, seconds, decodeSeconds, audioSeconds, skipped}.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { progressBar } from '../src-main/cli/progress.js';
import { type PeerScores, pocketsphinxScores } from './peer-score.js';

const USAGE = 'usage: npx tsx bench/peer.ts <set-dir> [--json] [--limit N]';

interface PeerArgs {
  dir: string;
  json: boolean;
  limit: number | undefined;
}

/** Reads the command line; throws with the usage line when it is wrong. */
function parseCommandLine(argv: string[]): PeerArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, limit: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error(`expected one set folder\n${USAGE}`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new Error(`--limit must be a positive whole number, got ${JSON.stringify(values.limit)}\n${USAGE}`);
  return { dir: positionals[0], json: values.json ?? false, limit };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** One table row: name, utterance count, WER, CER. */
function row(name: string, utterances: number, wer: number, cer: number): string {
  return `${name.padEnd(24)} ${String(utterances).padStart(5)} ${pct(wer).padStart(8)} ${pct(cer).padStart(8)}\n`;
}

/** The human-readable report: per-speaker table, overall line, speed. */
function formatTable(s: PeerScores): string {
  let out = `${'speaker'.padEnd(24)} ${'utts'.padStart(5)} ${'WER'.padStart(8)} ${'CER'.padStart(8)}\n`;
  for (const sp of s.bySpeaker) out += row(sp.speaker, sp.utterances, sp.wer, sp.cer);
  out += row('all', s.utterances, s.wer, s.cer);
  const speed = s.seconds > 0 ? s.audioSeconds / s.seconds : 0;
  out +=
    `${s.audioSeconds.toFixed(1)} s of audio in ${s.seconds.toFixed(1)} s ` +
    `(${speed.toFixed(2)} audio-s/s; ${s.decodeSeconds.toFixed(1)} s converting and decoding)\n`;
  return out;
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2));
  const bar = args.json ? null : progressBar('pocketsphinx');
  let started = false;
  const scores = await pocketsphinxScores(args.dir, {
    limit: args.limit,
    onProgress: (done, total) => {
      if (!started) bar?.start(total, 0);
      started = true;
      bar?.update(done);
    },
  });
  if (started) bar?.stop();
  for (const s of scores.skipped) process.stderr.write(`skipped ${s.id}: ${s.reason}\n`);
  if (args.json) {
    const { hypotheses: _hypotheses, ...summary } = scores;
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    process.stdout.write(formatTable(scores));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
