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

/** Visits n-grams in file order (all unigrams, then all bigrams, …); words are the line's own array. */
export type ArpaVisitor = (n: number, words: string[], logProb: number, backoff: number) => void;

/** A model's n-grams to be visited once, without holding them all as objects (see WordLm.load). */
export interface ArpaSource {
  /** N-grams per order, from the header. */
  counts: number[];
  forEach(visit: ArpaVisitor): void;
}

/** The entries of a parsed model as a source. */
export function arpaSource(model: ArpaModel): ArpaSource {
  return {
    counts: model.entries.map((l) => l.length),
    forEach: (visit) =>
      model.entries.forEach((list, k) => {
        for (const e of list) visit(k + 1, e.words, e.logProb, e.backoff);
      }),
  };
}

/**
 * ARPA text as a source: the header is read now, the n-grams as they are visited (line by line, no
 * array of lines), and every problem found is thrown with its line. `source` names the file in errors.
 */
export function scanArpa(text: string, source = 'language model'): ArpaSource {
  let pos = 0;
  let lineNo = 0;
  let line = '';
  const next = (): boolean => {
    if (pos > text.length) return false;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    line = text.slice(pos, end).trim();
    pos = end + 1;
    lineNo++;
    return true;
  };
  const fail = (msg: string): never => {
    throw new ArpaError(`${source}: line ${lineNo}: ${msg}`);
  };
  let found = false;
  while (next()) {
    if (line === '\\data\\') {
      found = true;
      break;
    }
  }
  if (!found) throw new ArpaError(`${source}: not an ARPA language model (no \\data\\ header)`);
  const counts: number[] = [];
  let pending = false; // `line` holds the first line after the header, not yet used
  while (next()) {
    if (line === '') continue;
    const m = /^ngram\s+(\d+)\s*=\s*(\d+)$/.exec(line);
    if (!m) {
      pending = true;
      break;
    }
    if (Number(m[1]) !== counts.length + 1) fail(`expected "ngram ${counts.length + 1}=…", found "${line}"`);
    counts.push(Number(m[2]));
  }
  if (counts.length === 0) fail('the \\data\\ section lists no n-gram counts');
  let visited = false;
  return {
    counts,
    forEach(visit) {
      if (visited) throw new Error('an ARPA source can be visited once');
      visited = true;
      for (let n = 1; n <= counts.length; n++) {
        while ((pending || next()) && line === '') pending = false;
        if (!pending && pos > text.length && line === '')
          throw new ArpaError(`${source}: ends before the ${n}-grams (truncated file?)`);
        pending = false;
        if (line !== `\\${n}-grams:`) {
          if (pos > text.length && line === '')
            throw new ArpaError(`${source}: ends before the ${n}-grams (truncated file?)`);
          fail(`expected "\\${n}-grams:", found "${line}"`);
        }
        let count = 0;
        while (next()) {
          if (line === '') continue;
          if (line.startsWith('\\')) {
            pending = true;
            break;
          }
          const f = line.split(/\s+/);
          if (f.length !== n + 1 && f.length !== n + 2)
            fail(`a ${n}-gram line needs ${n + 1} or ${n + 2} fields, has ${f.length}`);
          const logProb = Number(f[0]);
          const backoff = f.length === n + 2 ? Number(f[n + 1]) : 0;
          if (!Number.isFinite(logProb) && f[0] !== '-inf') fail(`bad log probability "${f[0]}"`);
          if (!Number.isFinite(backoff)) fail(`bad back-off weight "${f[n + 1]}"`);
          visit(n, f.slice(1, n + 1), Number.isFinite(logProb) ? logProb : -99, backoff);
          count++;
        }
        if (count !== counts[n - 1]) {
          throw new ArpaError(
            `${source}: the header promises ${counts[n - 1]} ${n}-grams, the file has ${count} (truncated or edited file?)`,
          );
        }
      }
      while ((pending || next()) && line === '') pending = false;
      if (line !== '\\end\\') {
        throw new ArpaError(
          `${source}: no \\end\\ marker after the ${counts.length}-grams (truncated file?)`,
        );
      }
    },
  };
}

/** Parses ARPA text into entries. `source` names the file in errors, each of which gives the line it is about. */
export function parseArpa(text: string, source = 'language model'): ArpaModel {
  const scan = scanArpa(text, source);
  const entries: ArpaEntry[][] = scan.counts.map(() => []);
  scan.forEach((n, words, logProb, backoff) => entries[n - 1].push({ words, logProb, backoff }));
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

/** The text of an ARPA file, plain or gzipped. */
export function readArpaText(path: string): string {
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
  return bytes.toString('utf8');
}

/** Reads an ARPA file, plain or gzipped. */
export function readArpa(path: string): ArpaModel {
  return parseArpa(readArpaText(path), path);
}

/** Writes an ARPA file, gzipped when the name ends in .gz. */
export function writeArpa(path: string, model: ArpaModel): void {
  const text = formatArpa(model);
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(text, { level: 9 }) : text);
}
