// Hand-built CTC log-probabilities for decoder tests of phone models.
import type { Alphabet } from '../../src-main/speech/alphabet.js';

/** Frames that clearly say these phones ('|' a word break), each followed by a blank frame: [2 × names, V]. */
export function saidPhones(alphabet: Alphabet, names: readonly string[]): Float32Array {
  const V = alphabet.size;
  const out = new Float32Array(names.length * 2 * V);
  names.forEach((n, k) => {
    const c = n === '|' ? alphabet.space : alphabet.phones!.names.indexOf(n);
    if (c < 0) throw new Error(`phone-frames: ${n} is not a phone of the alphabet`);
    for (const [t, hot] of [
      [2 * k, c],
      [2 * k + 1, alphabet.blank],
    ])
      for (let v = 0; v < V; v++) out[t * V + v] = Math.log(v === hot ? 0.9 : 0.1 / (V - 1));
  });
  return out;
}
