import { describe, expect, it } from 'vitest';
import { FinalDecoder } from '../../src-main/engine/final-decoder.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { alphabet, frames, say } from '../speech/log-prob-frames.js';

// "call zorba now", the z sounding a little more like s.
const spec = [...'call ']
  .flatMap(say)
  .concat([{ s: 0.5, z: 0.4 }, { _: 0.9 }, ...[...'orba now'].flatMap(say)]);
const lp = frames(spec);
const T = spec.length;
const greedy = greedyDecode(lp, T, alphabet, { frameMs: 20 });

describe('FinalDecoder', () => {
  it('boosts lexicon words in finals, with times from the aligned transcript', () => {
    expect(greedy.text).toBe('call sorba now');
    const d = new FinalDecoder();
    d.setWords(['Zorba']);
    const r = d.decode(lp, T, alphabet, 20, greedy);
    expect(r.text).toBe('call zorba now');
    // Words the lexicon did not change keep greedy decoding's times and confidences.
    expect(r.words[0]).toEqual(greedy.words[0]);
    expect(r.words[2]).toEqual(greedy.words[2]);
    expect(r.words[1]).toMatchObject({ word: 'zorba', startMs: greedy.words[1].startMs });
    expect(r.words[1].endMs).toBe(greedy.words[1].endMs);
    expect(r.words[1].confidence).toBeLessThan(greedy.words[1].confidence); // z at 0.4, not s at 0.5
  });

  it('gives greedy decoding’s own result when switched off, with no words, or where the beam agrees', () => {
    const d = new FinalDecoder({ lexiconBoost: false });
    d.setWords(['zorba']);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
    d.setBoost(true);
    expect(d.decode(lp, T, alphabet, 20, greedy).text).toBe('call zorba now');
    d.setWords([]);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
    d.setWords(['kettle']);
    expect(d.size(alphabet)).toBe(1);
    expect(d.decode(lp, T, alphabet, 20, greedy)).toBe(greedy);
  });
});
