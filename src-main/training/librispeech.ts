import { readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { run } from './corpus/run.js';

/**
 * Reader for corpora in LibriSpeech layout: `<speaker>/<chapter>/<speaker>-<chapter>-<n>.flac`
 * next to `<speaker>-<chapter>.trans.txt`, whose lines are `<utterance id> <TRANSCRIPT>`. Works on a
 * corpus root holding several splits, on one split folder, or on any folder above them: transcript
 * files are found recursively (hidden folders skipped).
 */
export interface LibriSpeechUtterance {
  /** `<speaker>-<chapter>-<n>`, as in the transcript. */
  id: string;
  speaker: string;
  chapter: string;
  /** Absolute path of the `.flac` (or `.wav`) file. */
  audioPath: string;
  /** The transcript exactly as in the file (LibriSpeech: upper case, no punctuation). */
  text: string;
}

export interface LibriSpeechCorpus {
  /** The folder that was read, absolute. */
  root: string;
  /** Sorted by id. */
  utterances: LibriSpeechUtterance[];
  /** Things worth knowing that do not stop training, e.g. audio files no transcript mentions. */
  warnings: string[];
}

export class CorpusReadError extends Error {
  override readonly name = 'CorpusReadError';
  constructor(
    message: string,
    /** The file or folder at fault. */
    readonly file: string,
  ) {
    super(message);
  }
}

const TRANSCRIPT_SUFFIX = '.trans.txt';
const AUDIO_EXTENSIONS = ['.flac', '.wav'] as const;
const LINE = /^(\S+)\s+(\S.*?)\s*$/;
const UTTERANCE_ID = /^([^-\s]+)-([^-\s]+)-([^-\s]+)$/;

/** Reads every transcript under `dir` and pairs each line with its audio file. */
export async function readLibriSpeech(dir: string): Promise<LibriSpeechCorpus> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info) throw new CorpusReadError(`corpus folder ${root} does not exist`, root);
  if (!info.isDirectory())
    throw new CorpusReadError(`${root} is not a folder (expected a LibriSpeech-layout corpus)`, root);

  const transcripts: string[] = [];
  const audio = new Set<string>();
  await walk(root, (path) => {
    if (path.endsWith(TRANSCRIPT_SUFFIX)) transcripts.push(path);
    else if (AUDIO_EXTENSIONS.some((ext) => path.endsWith(ext))) audio.add(path);
  });
  if (transcripts.length === 0) {
    throw new CorpusReadError(
      `no *${TRANSCRIPT_SUFFIX} files under ${root}: expected LibriSpeech layout ` +
        `<speaker>/<chapter>/<speaker>-<chapter>${TRANSCRIPT_SUFFIX} beside <speaker>-<chapter>-<n>.flac`,
      root,
    );
  }

  const utterances: LibriSpeechUtterance[] = [];
  const seen = new Map<string, string>();
  for (const file of transcripts.sort()) {
    const folder = dirname(file);
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      const m = LINE.exec(line);
      const id = m?.[1] ?? '';
      const parts = UTTERANCE_ID.exec(id);
      if (!m || !parts) {
        throw new CorpusReadError(
          `${where}: malformed transcript line ${JSON.stringify(line.slice(0, 120))}: ` +
            `expected "<speaker>-<chapter>-<n> TRANSCRIPT"`,
          file,
        );
      }
      const earlier = seen.get(id);
      if (earlier)
        throw new CorpusReadError(`${where}: utterance ${id} is already listed in ${earlier}`, file);
      seen.set(id, where);
      const audioPath = AUDIO_EXTENSIONS.map((ext) => join(folder, id + ext)).find((p) => audio.has(p));
      if (!audioPath) {
        throw new CorpusReadError(
          `${where}: transcript names utterance ${id} but its audio ${join(folder, id + '.flac')} (or .wav) is missing`,
          file,
        );
      }
      audio.delete(audioPath);
      utterances.push({ id, speaker: parts[1], chapter: parts[2], audioPath, text: m[2] });
    });
  }
  const warnings = [...audio].sort().map((p) => `audio file ${p} has no transcript line (skipped)`);
  utterances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { root, utterances, warnings };
}

/**
 * Visits every file below dir. Symbolic links are followed (a corpus subset is often a folder of links into
 * the full one); a linked folder already being walked is not entered again, so a link loop ends.
 */
async function walk(dir: string, visit: (path: string) => void, open = new Set<string>()): Promise<void> {
  const real = await realpath(dir);
  if (open.has(real)) return;
  open.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // work folders, editor files
    const path = join(dir, entry.name);
    const target = entry.isSymbolicLink() ? await stat(path).catch(() => null) : entry;
    if (target?.isDirectory()) await walk(path, visit, open);
    else if (target?.isFile()) visit(path);
  }
  open.delete(real);
}

export interface DurationOptions {
  /** JSON file remembering durations by path, size and modification time; read and updated. */
  cacheFile?: string;
  /** Files per `soxi` call. */
  batchSize?: number;
}

interface DurationCache {
  version: 1;
  entries: Record<string, { size: number; mtimeMs: number; seconds: number }>;
}

/** Duration in seconds of each audio file, read from its header by `soxi -D` (many files per call). */
export async function audioDurations(
  paths: readonly string[],
  options: DurationOptions = {},
): Promise<number[]> {
  const batchSize = options.batchSize ?? 200;
  const cache = options.cacheFile ? await loadCache(options.cacheFile) : { version: 1 as const, entries: {} };
  const stats = await Promise.all(paths.map((p) => stat(p)));
  const seconds = new Array<number>(paths.length);
  const todo: number[] = [];
  paths.forEach((p, i) => {
    const hit = cache.entries[resolve(p)];
    if (hit && hit.size === stats[i].size && hit.mtimeMs === stats[i].mtimeMs) seconds[i] = hit.seconds;
    else todo.push(i);
  });
  for (let b = 0; b < todo.length; b += batchSize) {
    const batch = todo.slice(b, b + batchSize);
    const { stdout } = await run('soxi', ['-D', ...batch.map((i) => paths[i])]);
    const values = stdout.toString().trim().split('\n').map(Number);
    if (values.length !== batch.length || values.some((v) => !Number.isFinite(v))) {
      throw new CorpusReadError(
        `soxi -D gave ${values.length} durations for ${batch.length} files`,
        paths[batch[0]],
      );
    }
    batch.forEach((i, j) => {
      seconds[i] = values[j];
      cache.entries[resolve(paths[i])] = {
        size: stats[i].size,
        mtimeMs: stats[i].mtimeMs,
        seconds: values[j],
      };
    });
  }
  if (options.cacheFile && todo.length > 0) {
    // Write-then-rename: a killed run never leaves a half-written cache.
    const tmp = join(dirname(options.cacheFile), `.${basename(options.cacheFile)}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(cache));
    await rename(tmp, options.cacheFile);
  }
  return seconds;
}

async function loadCache(file: string): Promise<DurationCache> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as DurationCache;
    if (parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object') return parsed;
  } catch {
    // Missing or unreadable cache: start afresh.
  }
  return { version: 1, entries: {} };
}

/** The corpus's utterances with their durations (seconds), using `cacheFile` if given. */
export async function withDurations(
  corpus: LibriSpeechCorpus,
  options: DurationOptions = {},
): Promise<(LibriSpeechUtterance & { seconds: number })[]> {
  const seconds = await audioDurations(
    corpus.utterances.map((u) => u.audioPath),
    options,
  );
  return corpus.utterances.map((u, i) => ({ ...u, seconds: seconds[i] }));
}
