import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Word n-gram language models in the ARPA back-off format: the plain-text format every n-gram toolkit
 * (KenLM, SRILM, IRSTLM) reads and writes, so a user can decode with a model built elsewhere and ours
 * can be inspected or reused. Files may be gzip-compressed (detected by their magic bytes, not the name).
 *
 *   \data\
 *   ngram 1=3
 *   ngram 2=2
 *
 *   \1-grams:
 *   -1.2  <s>  -0.3          log10 probability, words, optional log10 back-off weight
 *   ...
 *   \end\
 */
export interface ArpaEntry {
  words: string[];
  /** log10 P(last word | the others). */
  logProb: number;
  /** log10 back-off weight of these words as a context (0 when absent). */
  backoff: number;
}

export interface ArpaModel {
  /** entries[n - 1]: the n-grams, in file order. */
  entries: ArpaEntry[][];
}

export class ArpaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArpaError';
  }
}

/** Parses ARPA text. `source` names the file in errors, each of which gives the line it is about. */
export function parseArpa(text: string, source = 'language model'): ArpaModel {
  const lines = text.split('\n');
  let i = 0;
  const fail = (msg: string): never => {
    throw new ArpaError(`${source}: line ${i + 1}: ${msg}`);
  };
  while (i < lines.length && lines[i].trim() !== '\\data\\') i++;
  if (i === lines.length) throw new ArpaError(`${source}: not an ARPA language model (no \\data\\ header)`);
  i++;
  const counts: number[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = /^ngram\s+(\d+)\s*=\s*(\d+)$/.exec(line);
    if (!m) break;
    const n = Number(m[1]);
    if (n !== counts.length + 1) fail(`expected "ngram ${counts.length + 1}=…", found "${line}"`);
    counts.push(Number(m[2]));
  }
  if (counts.length === 0) fail('the \\data\\ section lists no n-gram counts');
  const entries: ArpaEntry[][] = [];
  for (let n = 1; n <= counts.length; n++) {
    while (i < lines.length && lines[i].trim() === '') i++;
    if (i === lines.length) throw new ArpaError(`${source}: ends before the ${n}-grams (truncated file?)`);
    if (lines[i].trim() !== `\\${n}-grams:`) fail(`expected "\\${n}-grams:", found "${lines[i].trim()}"`);
    i++;
    const list: ArpaEntry[] = [];
    for (; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      if (line.startsWith('\\')) break;
      const f = line.split(/\s+/);
      if (f.length !== n + 1 && f.length !== n + 2)
        fail(`a ${n}-gram line needs ${n + 1} or ${n + 2} fields, has ${f.length}`);
      const logProb = Number(f[0]);
      const backoff = f.length === n + 2 ? Number(f[n + 1]) : 0;
      if (!Number.isFinite(logProb) && f[0] !== '-inf' && f[0] !== '-99')
        fail(`bad log probability "${f[0]}"`);
      if (!Number.isFinite(backoff)) fail(`bad back-off weight "${f[n + 1]}"`);
      list.push({ words: f.slice(1, n + 1), logProb: Number.isFinite(logProb) ? logProb : -99, backoff });
    }
    if (list.length !== counts[n - 1]) {
      throw new ArpaError(
        `${source}: the header promises ${counts[n - 1]} ${n}-grams, the file has ${list.length} (truncated or edited file?)`,
      );
    }
    entries.push(list);
  }
  while (i < lines.length && lines[i].trim() === '') i++;
  if (i === lines.length || lines[i].trim() !== '\\end\\') {
    throw new ArpaError(`${source}: no \\end\\ marker after the ${counts.length}-grams (truncated file?)`);
  }
  return { entries };
}

const fmt = (x: number) => (x === 0 ? '0' : x.toPrecision(6).replace(/\.?0+(?=e|$)/, ''));

/** ARPA text of a model (back-off weights written only where they are not 0, as the format allows). */
export function formatArpa(model: ArpaModel): string {
  const out: string[] = ['\\data\\'];
  model.entries.forEach((list, k) => out.push(`ngram ${k + 1}=${list.length}`));
  model.entries.forEach((list, k) => {
    out.push('', `\\${k + 1}-grams:`);
    for (const e of list) {
      out.push(`${fmt(e.logProb)}\t${e.words.join(' ')}${e.backoff !== 0 ? `\t${fmt(e.backoff)}` : ''}`);
    }
  });
  out.push('', '\\end\\', '');
  return out.join('\n');
}

/** Reads an ARPA file, plain or gzipped. */
export function readArpa(path: string): ArpaModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ArpaError(`cannot read language model ${path}: ${(err as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new ArpaError(`${path}: damaged gzip data (${(err as Error).message})`);
    }
  }
  return parseArpa(bytes.toString('utf8'), path);
}

/** Writes an ARPA file, gzipped when the name ends in .gz. */
export function writeArpa(path: string, model: ArpaModel): void {
  const text = formatArpa(model);
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(text, { level: 9 }) : text);
}
