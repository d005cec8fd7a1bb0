import { describe, expect, it } from 'vitest';
import { FinalDecoder } from '../../src-main/engine/final-decoder.js';
import { englishAlphabet } from '../../src-main/speech/alphabet.js';
import { greedyDecode } from '../../src-main/speech/decode.js';

const alphabet = englishAlphabet();
const V = alphabet.size;

/** Log-probabilities [frames, V]: given probabilities of a few classes ('_' blank), the rest spread evenly. */
function frames(spec: Record<string, number>[]): Float32Array {
  const out = new Float32Array(spec.length * V);
  spec.forEach((row, t) => {
    const given = new Map<number, number>();
    for (const [ch, p] of Object.entries(row))
      given.set(ch === '_' ? alphabet.blank : alphabet.index.get(ch)!, p);
    const used = [...given.values()].reduce((a, b) => a + b, 0);
    const rest = (1 - used) / (V - given.size);
    for (let v = 0; v < V; v++) out[t * V + v] = Math.log(given.get(v) ?? rest);
  });
  return out;
}

const say = (ch: string) => [{ [ch]: 0.9 }, { _: 0.9 }];
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
