// Hand-built CTC log-probabilities for decoder tests, over the English alphabet.
import { englishAlphabet } from '../../src-main/speech/alphabet.js';

export const alphabet = englishAlphabet();
const V = alphabet.size;

/**
 * Log-probabilities [frames, V] from per-frame probabilities of a few classes ('_' is the blank, ' ' the
 * space); what is left of each frame is spread evenly over the other classes.
 */
export function frames(spec: Record<string, number>[]): Float32Array {
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

/** A clearly spoken character: most of the frame on it, then a blank frame. */
export const say = (ch: string) => [{ [ch]: 0.9 }, { _: 0.9 }];
