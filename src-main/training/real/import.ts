import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { normalizeText } from '../../speech/alphabet.js';
import { run } from '../corpus/run.js';
import type { RealClip } from './clip.js';
import { type RealSource, realSources } from './sources.js';
import { assignSplits, REAL_SPLITS, type RealSplit } from './split.js';

/**
 * Writes real-speech sources as LibriSpeech-layout sets: `<out>/<split>/<source>/<speaker>/1/*.flac`
 * (16 kHz mono, 16-bit) with `.trans.txt` transcripts (normalised, upper case) and the source's
 * licence in `<out>/<split>/<source>/LICENSE`. A source is written to a scratch folder and moved into
 * place when complete, so an interrupted import never leaves half a source, and a source already
 * imported with the same seed is skipped.
 */
export interface ImportConfig {
  out: string;
  /** Seed of the split rules that draw at random (game casts, capped speakers). */
  seed: number;
  /** Clips converted at once (each runs one SoX or FFmpeg process). */
  jobs: number;
}

export const DEFAULT_IMPORT: Omit<ImportConfig, 'out'> = { seed: 1, jobs: 2 };

/** What one source contributed to each split. */
export interface SourceReport {
  name: string;
  licence: string;
  credit: string;
  seed: number;
  splits: Partial<Record<RealSplit, { clips: number; seconds: number; speakers: string[] }>>;
  /** Clips read but not written, and why (no words after normalisation, over a speaker cap). */
  skipped: { empty: number; overCap: number };
}

const SAMPLE_RATE = 16000;

/** Imports one source (or reports the one already there). */
export async function importSource(
  source: RealSource,
  cfg: ImportConfig,
  onClip?: (done: number, total: number) => void,
): Promise<SourceReport> {
  const reportPath = join(cfg.out, 'sources', `${source.name}.json`);
  if (existsSync(reportPath)) {
    const old = JSON.parse(readFileSync(reportPath, 'utf8')) as SourceReport;
    if (old.seed === cfg.seed) return old;
  }
  const why = source.missing();
  if (why) throw new Error(`${source.name}: ${why}`);

  const clips: RealClip[] = [];
  let empty = 0;
  for await (const clip of source.read()) {
    const text = normalizeText(clip.text).toUpperCase();
    if (text === '') empty++;
    else clips.push({ ...clip, text });
  }
  const splits = assignSplits(clips, source.split, cfg.seed);
  const scratch = join(cfg.out, `.importing-${source.name}`);
  rmSync(scratch, { recursive: true, force: true });

  const report: SourceReport = {
    name: source.name,
    licence: source.licence,
    credit: source.credit,
    seed: cfg.seed,
    splits: {},
    skipped: { empty, overCap: splits.filter((s) => s === null).length },
  };
  const work = clips.map((clip, i) => ({ clip, split: splits[i] })).filter((w) => w.split !== null);
  let done = 0;
  await forEachLimited(work, cfg.jobs, async ({ clip, split }) => {
    const speakerId = speakerFolder(source.name, clip.speaker);
    const dir = join(scratch, split!, source.name, speakerId, '1');
    mkdirSync(dir, { recursive: true });
    const id = `${speakerId}-1-${clip.id}`;
    const seconds = await writeFlac(clip, join(dir, `${id}.flac`));
    const entry = (report.splits[split!] ??= { clips: 0, seconds: 0, speakers: [] });
    entry.clips++;
    entry.seconds += seconds;
    if (!entry.speakers.includes(speakerId)) entry.speakers.push(speakerId);
    onClip?.(++done, work.length);
  });
  writeTranscripts(scratch, source.name, work);
  moveIntoPlace(scratch, source, cfg.out);
  for (const s of Object.values(report.splits)) s.speakers.sort();
  mkdirSync(join(cfg.out, 'sources'), { recursive: true });
  writeFileSync(reportPath, JSON.stringify(report, null, 2) + '\n');
  return report;
}

/** The speaker id of a source's voice: the source's name, then the voice's label unless they are the same. */
export function speakerFolder(source: string, speaker: string): string {
  return (speaker === source ? source : `${source}${speaker}`).replace(/[^a-z0-9]/g, '');
}

/** Every source imported into `out` so far, in the order `realSources` knows them (unknown ones last). */
export function importedReports(out: string): SourceReport[] {
  const dir = join(out, 'sources');
  if (!existsSync(dir)) return [];
  const order = realSources({ sharedCorpora: '' }).map((s) => s.name);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SourceReport)
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** One `.trans.txt` per speaker folder, lines sorted by utterance id. */
function writeTranscripts(
  scratch: string,
  name: string,
  work: { clip: RealClip; split: RealSplit | null }[],
): void {
  const files = new Map<string, string[]>();
  for (const { clip, split } of work) {
    const speakerId = speakerFolder(name, clip.speaker);
    const path = join(scratch, split!, name, speakerId, '1', `${speakerId}-1.trans.txt`);
    files.set(path, [...(files.get(path) ?? []), `${speakerId}-1-${clip.id} ${clip.text}`]);
  }
  for (const [path, lines] of files) writeFileSync(path, lines.sort().join('\n') + '\n');
}

/** Replaces the source's folders in each split with the freshly written ones, licence beside them. */
function moveIntoPlace(scratch: string, source: RealSource, out: string): void {
  for (const split of REAL_SPLITS) {
    const target = join(out, split, source.name);
    rmSync(target, { recursive: true, force: true });
    const written = join(scratch, split, source.name);
    if (!existsSync(written)) continue;
    const lic = source.licenceText;
    if ('file' in lic) copyFileSync(lic.file, join(written, 'LICENSE'));
    else writeFileSync(join(written, 'LICENSE'), lic.text);
    mkdirSync(join(out, split), { recursive: true });
    renameSync(written, target);
  }
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * Converts one clip to 16 kHz mono 16-bit FLAC; returns its duration in seconds. SoX does every format
 * it can (it starts in a few ms, FFmpeg in a tenth of a second: thousands of game clips notice); FFmpeg
 * only G.722, which SoX lacks.
 */
async function writeFlac(clip: RealClip, path: string): Promise<number> {
  const a = clip.audio;
  const flacOut = ['-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', path];
  if (a.kind === 'pcm') {
    const raw = Buffer.from(a.samples.buffer, a.samples.byteOffset, a.samples.byteLength);
    const rawIn = ['-t', 'raw', '-r', String(a.sampleRate), '-e', 'floating-point', '-b', '32', '-c', '1'];
    await run('sox', ['-q', '-L', ...rawIn, '-', ...flacOut], { input: raw });
  } else if (a.kind === 'file') {
    await run('sox', ['-q', a.path, ...flacOut]);
  } else if (a.format !== 'g722') {
    await run('sox', ['-q', '-t', a.format, '-', ...flacOut], { input: Buffer.from(a.bytes) });
  } else {
    const args = ['-v', 'error', '-f', a.format, '-i', 'pipe:0', '-ac', '1', '-ar', String(SAMPLE_RATE)];
    await run('ffmpeg', [...args, '-sample_fmt', 's16', '-y', path], { input: Buffer.from(a.bytes) });
  }
  return flacSeconds(path);
}

/** Duration from a FLAC file's STREAMINFO block (sample rate and total samples). */
export function flacSeconds(path: string): number {
  const b = readFileSync(path).subarray(0, 42);
  if (b.toString('latin1', 0, 4) !== 'fLaC' || (b[4] & 0x7f) !== 0)
    throw new Error(`${path}: not a FLAC file starting with STREAMINFO`);
  // STREAMINFO from byte 8: 20 bits sample rate at bit 80, then 3 + 5 bits, then 36 bits of total samples.
  const rate = (b[18] << 12) | (b[19] << 4) | (b[20] >> 4);
  const total = (b[21] & 0x0f) * 2 ** 32 + b.readUInt32BE(22);
  return total / rate;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}
