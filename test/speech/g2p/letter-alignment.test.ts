import { describe, expect, it } from 'vitest';
import { parseDictionary } from '../../../src-main/speech/pronouncing-dictionary.js';
import {
  DEFAULT_LETTER_ALIGNMENT,
  LetterAlignment,
  LetterAlignmentError,
  type SpeltPronunciation,
} from '../../../src-main/speech/g2p/letter-alignment.js';

function entries(text: string): SpeltPronunciation[] {
  const dict = parseDictionary(text);
  return [...dict.words()].flatMap((w) => dict.pronunciations(w)!.map((phones) => ({ spelling: w, phones })));
}

/** Words where x is K S and the other letters are plain, so only x can carry two phones. */
const BOXES = `
box B AA K S
fox F AA K S
ox AA K S
tax T AE K S
wax W AE K S
six S IH K S
bob B AA B
top T AA P
fat F AE T
sit S IH T
wit W IH T
kit K IH T
`;

/** Silent k before n and silent gh after i, each shown by words that have the sounds without those letters. */
const KNIGHTS = `
knight N AY T
night N AY T
light L AY T
might M AY T
sight S AY T
knit N IH T
nit N IH T
knot N AA T
not N AA T
kit K IH T
hit HH IH T
bite B AY T
kite K AY T
go G OW
got G AA T
hot HH AA T
lot L AA T
tin T IH N
`;

describe('LetterAlignment', () => {
  it('puts both phones of "x" on the x', () => {
    const a = LetterAlignment.learn(entries(BOXES));
    expect(a.align('box', ['B', 'AA', 'K', 'S'])).toEqual([['B'], ['AA'], ['K', 'S']]);
    expect(a.align('six', ['S', 'IH', 'K', 'S'])).toEqual([['S'], ['IH'], ['K', 'S']]);
    expect(a.probability('x', ['K', 'S'])).toBeGreaterThan(0.9);
  });

  it('leaves the k of "kn" and the gh of "igh" silent', () => {
    const a = LetterAlignment.learn(entries(KNIGHTS));
    expect(a.align('knight', ['N', 'AY', 'T'])).toEqual([[], ['N'], ['AY'], [], [], ['T']]);
    expect(a.align('knot', ['N', 'AA', 'T'])).toEqual([[], ['N'], ['AA'], ['T']]);
    expect(a.probability('g', [])).toBeGreaterThan(a.probability('g', ['AY']));
  });

  it('needs pairs weighed down to keep a small dictionary from settling on bookkeeping pairs', () => {
    const free = LetterAlignment.learn(entries(KNIGHTS), { ...DEFAULT_LETTER_ALIGNMENT, pairWeight: 1 });
    expect(free.align('kit', ['K', 'IH', 'T'])).toEqual([['K', 'IH'], [], ['T']]);
    const weighed = LetterAlignment.learn(entries(KNIGHTS));
    expect(weighed.align('kit', ['K', 'IH', 'T'])).toEqual([['K'], ['IH'], ['T']]);
  });

  it('raises the likelihood on every pass and stops once it settles', () => {
    const a = LetterAlignment.learn(entries(KNIGHTS), {
      ...DEFAULT_LETTER_ALIGNMENT,
      maxIterations: 50,
      minGain: 1e-6,
    });
    const ll = a.fit.logLikelihoods;
    for (let i = 1; i < ll.length; i++) expect(ll[i]).toBeGreaterThanOrEqual(ll[i - 1] - 1e-9);
    expect(ll.length).toBeLessThan(50);
    const capped = LetterAlignment.learn(entries(KNIGHTS), {
      ...DEFAULT_LETTER_ALIGNMENT,
      maxIterations: 3,
      minGain: 0,
    });
    expect(capped.fit.logLikelihoods).toHaveLength(3);
  });

  it('sets aside pronunciations no alignment can spell, and says so', () => {
    const a = LetterAlignment.learn([
      ...entries(BOXES),
      { spelling: 'mr', phones: ['M', 'IH', 'S', 'T', 'ER'] },
      { spelling: 'a-b', phones: ['EY', 'B', 'IY'] },
    ]);
    expect(a.fit.unalignable).toBe(2);
    expect(a.align('mr', ['M', 'IH', 'S', 'T', 'ER'])).toBeUndefined();
    expect(a.align('box', ['B', 'AA', 'K', 'ZZ'])).toBeUndefined();
    expect(a.probability('x', ['K', 'S', 'S'])).toBe(0);
    expect(() => LetterAlignment.learn([{ spelling: 'mr', phones: ['M', 'IH', 'S', 'T', 'ER'] }])).toThrow(
      LetterAlignmentError,
    );
  });

  it('gives every letter a distribution over chunks', () => {
    const a = LetterAlignment.learn(entries(BOXES));
    const chunks = a.chunks;
    let sum = 0;
    for (let c = 0; c < chunks.count; c++) sum += a.probability('x', chunks.phonesOf(c));
    expect(sum).toBeCloseTo(1, 9);
  });
});
