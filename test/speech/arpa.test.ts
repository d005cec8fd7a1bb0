import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArpaError, formatArpa, parseArpa, readArpa, writeArpa } from '../../src-main/speech/arpa.js';
import { TINY_ARPA } from './lm-fixtures.js';

describe('ARPA files', () => {
  it('parses n-grams with their log probabilities and back-off weights', () => {
    const m = parseArpa(TINY_ARPA);
    expect(m.entries.map((l) => l.length)).toEqual([5, 3]);
    expect(m.entries[0][0]).toEqual({ words: ['<s>'], logProb: -99, backoff: -0.30103 });
    expect(m.entries[0][1]).toEqual({ words: ['</s>'], logProb: -0.69897, backoff: 0 });
    expect(m.entries[1][1]).toEqual({ words: ['the', 'cat'], logProb: -0.09691, backoff: 0 });
  });

  it('writes what it reads (plain and gzipped)', () => {
    const m = parseArpa(TINY_ARPA);
    expect(parseArpa(formatArpa(m))).toEqual(m);
    const dir = mkdtempSync(join(tmpdir(), 'attune-arpa-'));
    writeArpa(join(dir, 'lm.arpa.gz'), m);
    expect(readFileSync(join(dir, 'lm.arpa.gz'))[0]).toBe(0x1f); // gzip magic
    expect(readArpa(join(dir, 'lm.arpa.gz'))).toEqual(m);
    writeArpa(join(dir, 'lm.arpa'), m);
    expect(readArpa(join(dir, 'lm.arpa'))).toEqual(m);
  });

  it('says what is wrong with a bad file, and where', () => {
    expect(() => parseArpa('hello\nworld\n', 'x.arpa')).toThrow(/x\.arpa: not an ARPA language model/);
    expect(() => parseArpa(TINY_ARPA.replace('ngram 2=3', 'ngram 2=4'), 'x.arpa')).toThrow(
      /promises 4 2-grams, the file has 3/,
    );
    expect(() => parseArpa(TINY_ARPA.replace('\\end\\', ''), 'x.arpa')).toThrow(/no \\end\\ marker/);
    expect(() => parseArpa(TINY_ARPA.replace('-0.09691\tthe cat', '-0.09691\tthe cat sat x'))).toThrow(
      /line 15: a 2-gram line needs 3 or 4 fields, has 5/,
    );
    expect(() => parseArpa(TINY_ARPA.replace('-0.69897\tcat', 'lots\tcat'))).toThrow(
      /bad log probability "lots"/,
    );
    const cut = TINY_ARPA.slice(0, TINY_ARPA.indexOf('\\2-grams:'));
    expect(() => parseArpa(cut, 'x.arpa')).toThrow(/ends before the 2-grams \(truncated file\?\)/);
    const dir = mkdtempSync(join(tmpdir(), 'attune-arpa-'));
    expect(() => readArpa(join(dir, 'missing.arpa'))).toThrow(ArpaError);
    writeFileSync(join(dir, 'broken.gz'), gzipSync(TINY_ARPA).subarray(0, 40));
    expect(() => readArpa(join(dir, 'broken.gz'))).toThrow(/damaged gzip data/);
  });
});
