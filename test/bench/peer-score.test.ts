// The pocketsphinx peer benchmark: scoring normalises both sides as `attune eval` does, and a real decode of
// the pocketsphinx test recordings gives the words spoken.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPocketsphinx, pocketsphinxScores, scorePeer, SYSTEM_PYTHON } from '../../bench/peer-score.js';
import { importPocketsphinxTestdata, POCKETSPHINX_TESTDATA } from '../../src-main/training/human-testdata.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-peer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Decoding needs Debian's python3-pocketsphinx, which loads only under /usr/bin/python3, and the recordings
// of pocketsphinx-testdata; without them the decoding test cannot run at all.
const canDecode = hasPocketsphinx(SYSTEM_PYTHON) && existsSync(POCKETSPHINX_TESTDATA);

describe('pocketsphinx peer scores', () => {
  it('normalises reference and hypothesis alike and scores per speaker', () => {
    const utterances = [
      { id: 'a-1-0', speaker: 'a', text: "DON'T STOP TWO" },
      { id: 'a-1-1', speaker: 'a', text: 'HELLO WORLD' },
      { id: 'b-1-0', speaker: 'b', text: 'SEVEN OF CLUBS' },
    ];
    const hyps = new Map([
      ['a-1-0', "Don't stop, 2!"],
      ['a-1-1', 'hello word'],
      ['b-1-0', 'seven of clubs'],
    ]);
    const s = scorePeer(utterances, hyps);
    expect(s.hypotheses.map((h) => h.hyp)).toEqual(["don't stop two", 'hello word', 'seven of clubs']);
    expect(s.utterances).toBe(3);
    expect(s.wer).toBeCloseTo(1 / 8);
    expect(s.bySpeaker.map((b) => [b.speaker, b.utterances, b.wer])).toEqual([
      ['a', 2, 1 / 5],
      ['b', 1, 0],
    ]);
  });

  it('leaves out utterances that have no hypothesis', () => {
    const s = scorePeer([{ id: 'a-1-0', speaker: 'a', text: 'HI' }], new Map());
    expect(s.utterances).toBe(0);
    expect(s.bySpeaker).toEqual([]);
  });

  // About 35 s of audio; pocketsphinx decodes it in 15–40 s on two busy cores.
  it.skipIf(!canDecode)(
    `decodes the pocketsphinx test recordings${canDecode ? '' : ' (skipped: needs python3-pocketsphinx under /usr/bin/python3 and pocketsphinx-testdata)'}`,
    async () => {
      importPocketsphinxTestdata(dir);
      const s = await pocketsphinxScores(dir);
      expect(s.utterances).toBe(10);
      expect(s.skipped).toEqual([]);
      expect(s.bySpeaker.map((b) => b.speaker)).toEqual(['cards', 'librivox']);
      const hyp = (id: string) => s.hypotheses.find((h) => h.id === id)?.hyp;
      // Measured: 22.8% WER overall (cards 4.8%, librivox 28.2%), CER 14.7%.
      expect(hyp('cards-1-0000')).toBe('ten of clubs');
      expect(hyp('cards-1-0004')).toBe('eight of spades four of clubs seven of hearts');
      expect(hyp('librivox-1-0004')).toContain('amiable himself');
      expect(s.wer).toBeLessThan(0.4);
      expect(s.cer).toBeLessThan(0.3);
      expect(s.bySpeaker[0].wer).toBeLessThan(0.2);
      expect(s.audioSeconds).toBeGreaterThan(30);
      expect(s.seconds).toBeGreaterThan(0);
    },
    240_000,
  );
});
