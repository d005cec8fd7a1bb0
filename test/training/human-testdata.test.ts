import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  importPocketsphinxTestdata,
  parseSphinxTranscription,
} from '../../src-main/training/human-testdata.js';
import { readLibriSpeech } from '../../src-main/training/librispeech.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-human-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pocketsphinx test recordings', () => {
  it('parses Sphinx transcription lines', () => {
    expect(
      parseSphinxTranscription('<s> ten of clubs  </s> (001)\n\nnoise\n<s> five five </s> (004)\n'),
    ).toEqual([
      { id: '001', text: 'ten of clubs' },
      { id: '004', text: 'five five' },
    ]);
  });

  it('imports the real recordings as a LibriSpeech-layout corpus', async () => {
    expect(importPocketsphinxTestdata(dir).utterances).toBe(10);
    const corpus = await readLibriSpeech(dir);
    expect(corpus.utterances.map((u) => u.speaker).sort()).toEqual([
      ...Array(5).fill('cards'),
      ...Array(5).fill('librivox'),
    ]);
    expect(readFileSync(join(dir, 'cards', '1', 'cards-1.trans.txt'), 'utf8')).toContain(
      'cards-1-0000 TEN OF CLUBS',
    );
  });

  it('says which package to install when the recordings are missing', () => {
    expect(() => importPocketsphinxTestdata(dir, join(dir, 'nowhere'))).toThrow(/pocketsphinx-testdata/);
  });
});
