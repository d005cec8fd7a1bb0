import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { arpaSource, formatArpa, parseArpa, readArpa } from '../../src-main/speech/arpa.js';
import { writeArpaSource } from '../../src-main/speech/arpa-writer.js';
import { TINY_ARPA } from './lm-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-arpa-writer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeArpaSource', () => {
  it('writes the text formatArpa writes, plain or gzipped, in one visit of the source', () => {
    const model = parseArpa(TINY_ARPA);
    const plain = join(dir, 'tiny.arpa');
    expect(writeArpaSource(plain, arpaSource(model))).toMatchObject({ ngrams: [5, 3] });
    expect(readFileSync(plain, 'utf8')).toBe(formatArpa(model));
    const gz = join(dir, 'tiny.arpa.gz');
    writeArpaSource(gz, arpaSource(model));
    expect(gunzipSync(readFileSync(gz)).toString('utf8')).toBe(formatArpa(model));
    expect(readArpa(gz)).toEqual(model);
  });

  it('writes an empty section for an order without n-grams', () => {
    const model = parseArpa(TINY_ARPA);
    model.entries.push([]);
    const path = join(dir, 'empty-top.arpa');
    writeArpaSource(path, arpaSource(model));
    expect(readArpa(path).entries.map((l) => l.length)).toEqual([5, 3, 0]);
  });

  it('refuses a source that gives other counts than it promised', () => {
    const source = { ...arpaSource(parseArpa(TINY_ARPA)), counts: [5, 4] };
    expect(() => writeArpaSource(join(dir, 'bad.arpa'), source)).toThrow(/promised 4 2-grams and gave 3/);
  });
});
