import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { ArpaSource } from './arpa.js';

/** Log10 values with 6 significant digits, as formatArpa writes them. */
const fmt = (x: number) => (x === 0 ? '0' : x.toPrecision(6).replace(/\.?0+(?=e|$)/, ''));

/** Lines are gathered into chunks of this many characters before they become bytes. */
const CHUNK_CHARS = 1 << 22;

/**
 * Writes a source's n-grams as ARPA text, gzipped when the name ends in .gz: one visit, no entry objects,
 * so a model of millions of n-grams is written in the memory of its text. `counts` are the source's; the
 * visit must agree with them (an ArpaError from a reader stops the writing first).
 */
export function writeArpaSource(path: string, source: ArpaSource): { ngrams: number[]; bytes: number } {
  const order = source.counts.length;
  const header = ['\\data\\', ...source.counts.map((c, k) => `ngram ${k + 1}=${c}`)];
  const chunks: Buffer[] = [Buffer.from(header.join('\n') + '\n')];
  const seen = new Array<number>(order).fill(0);
  let text = '';
  let current = 0;
  const flush = () => {
    chunks.push(Buffer.from(text));
    text = '';
  };
  // Every order gets its section, an empty one too.
  const sectionsUpTo = (n: number) => {
    for (; current < n; current++) text += `\n\\${current + 1}-grams:\n`;
  };
  source.forEach((n, words, logProb, backoff) => {
    if (n !== current) sectionsUpTo(n);
    text += `${fmt(logProb)}\t${words.join(' ')}${backoff !== 0 ? `\t${fmt(backoff)}` : ''}\n`;
    seen[n - 1]++;
    if (text.length > CHUNK_CHARS) flush();
  });
  sectionsUpTo(order);
  text += '\n\\end\\\n';
  flush();
  seen.forEach((count, k) => {
    if (count !== source.counts[k])
      throw new Error(`the model promised ${source.counts[k]} ${k + 1}-grams and gave ${count}`);
  });
  const bytes = Buffer.concat(chunks);
  const out = path.endsWith('.gz') ? gzipSync(bytes, { level: 9 }) : bytes;
  writeFileSync(path, out);
  return { ngrams: seen, bytes: out.length };
}
