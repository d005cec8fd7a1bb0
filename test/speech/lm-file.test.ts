import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openLanguageModel } from '../../src-main/speech/lm-file.js';
import { TINY_ARPA } from './lm-fixtures.js';
import { sphinxLmBytes, tinyTrigramFixture } from './sphinx-lm-fixture.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-lm-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openLanguageModel', () => {
  it('tells the formats apart by their first bytes, whatever the name says', () => {
    const bin = join(dir, 'model.arpa');
    writeFileSync(bin, sphinxLmBytes(tinyTrigramFixture()));
    const a = openLanguageModel(bin);
    expect(a.format).toBe('sphinx-trie');
    expect(a.sphinx?.words).toEqual(['</s>', '<s>', 'a', 'b']);
    expect(a.source.counts).toEqual([4, 4, 2]);
    const gz = join(dir, 'model.lm.bin');
    writeFileSync(gz, gzipSync(TINY_ARPA));
    const b = openLanguageModel(gz);
    expect(b).toMatchObject({ format: 'arpa', sphinx: null });
    expect(b.source.counts).toEqual([5, 3]);
  });

  it('names a file it cannot read', () => {
    expect(() => openLanguageModel(join(dir, 'missing'))).toThrow(/cannot read language model .*missing/);
  });
});
