// A random back-off trigram model, its n-grams listed in a shuffled order within each section, and a plain
// reference scorer of the ARPA back-off rule over string maps: what WordLm and its snapshot must agree with.
import type { ArpaModel } from '../../src-main/speech/arpa.js';
import { mulberry32 } from '../../src-main/speech/prng.js';

export interface RandomArpa {
  model: ArpaModel;
  words: string[];
  /** log10 P(w | context) by the back-off rule, straight from the listed n-grams. */
  reference: (context: string[], w: string) => number;
}

export function randomArpa(seed: number, vocabulary = 120, bigrams = 900, trigrams = 1500): RandomArpa {
  const rand = mulberry32(seed);
  const words = ['<s>', '</s>', ...Array.from({ length: vocabulary - 2 }, (_, i) => `w${i}`)];
  const pick = () => words[1 + Math.floor(rand() * (words.length - 1))]; // never <s> as a predicted word
  const value = () => -Math.round(rand() * 30000) / 10000;
  const listed = new Map<string, { p: number; bo: number }>();
  const entries: ArpaModel['entries'] = [[], [], []];
  for (const w of words) {
    const e = { words: [w], logProb: w === '<s>' ? -99 : value(), backoff: value() };
    entries[0].push(e);
  }
  const add = (n: number, ws: string[]) => {
    const key = ws.join(' ');
    if (listed.has(key) || (n === 3 && !listed.has(ws.slice(0, 2).join(' ')))) return;
    const e = { words: ws, logProb: value(), backoff: n === 3 ? 0 : value() };
    listed.set(key, { p: e.logProb, bo: e.backoff });
    entries[n - 1].push(e);
  };
  while (entries[1].length < bigrams) add(2, [words[Math.floor(rand() * words.length)], pick()]);
  for (let tries = 0; entries[2].length < trigrams && tries < trigrams * 50; tries++) {
    const b = entries[1][Math.floor(rand() * entries[1].length)].words;
    add(3, [...b, pick()]);
  }
  for (const e of entries[0]) listed.set(e.words[0], { p: e.logProb, bo: e.backoff });
  for (const list of entries.slice(1))
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
  const reference = (context: string[], w: string): number => {
    const h = context.slice(-2);
    for (let k = h.length; k >= 0; k--) {
      const hit = listed.get([...h.slice(h.length - k), w].join(' '));
      if (hit) {
        let bo = 0;
        for (let j = h.length; j > k; j--) bo += listed.get(h.slice(h.length - j).join(' '))?.bo ?? 0;
        return bo + hit.p;
      }
    }
    throw new Error(`unigram ${w} missing`);
  };
  return { model: { entries }, words, reference };
}
