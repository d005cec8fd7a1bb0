// Non-rhotic pronunciations (southern British English and the accents like it) from CMUdict's rhotic US
// ones: an R after a vowel is not said unless a vowel follows in the word, and where it coloured a front or
// back vowel a schwa is left in its place (care K EH R → K EH AH, here HH IY R → HH IY AH, four F AO R →
// F AO); a word-final ER of a longer word is the schwa (butter B AH T ER → B AH T AH). ER inside a word
// stays: it stands for the long NURSE vowel (bird), which has no symbol of its own in the phone set.
// bench/recipe-choice.ts enrols VCTK p239 through these pronunciations to see whether US ones hold it back.
import { PronouncingDictionary } from '../src-main/speech/pronouncing-dictionary.js';

const VOWELS = new Set('AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW'.split(' '));
/** Vowels that keep a schwa where their R was (centring diphthongs); the others just lose the R. */
const CENTRING = new Set('EH IH IY UH UW AY AW EY OY'.split(' '));

/** One pronunciation as a non-rhotic speaker says it. */
export function nonRhotic(phones: readonly string[]): string[] {
  const vowels = phones.filter((p) => VOWELS.has(p)).length;
  const out: string[] = [];
  phones.forEach((p, i) => {
    const next = phones[i + 1];
    const beforeVowel = next !== undefined && VOWELS.has(next);
    const prev = out[out.length - 1];
    if (p === 'R' && prev !== undefined && VOWELS.has(prev) && !beforeVowel) {
      if (CENTRING.has(prev)) out.push('AH');
    } else if (p === 'ER' && next === undefined && vowels >= 2) out.push('AH');
    else out.push(p);
  });
  return out;
}

/**
 * The dictionary with each word's non-rhotic pronunciations first, its own after them (a search with it
 * may still take either; training targets take the first).
 */
export function nonRhoticDictionary(dict: PronouncingDictionary): PronouncingDictionary {
  const out = new PronouncingDictionary();
  for (const word of dict.words()) {
    const own = dict.pronunciations(word)!;
    for (const p of own) out.add(word, nonRhotic(p));
    for (const p of own) out.add(word, p);
  }
  return out;
}
