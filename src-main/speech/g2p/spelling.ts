/**
 * The letters pronunciations are predicted from: a–z and the apostrophe (it, or the letters it stands for,
 * is sometimes heard: "'em", "o'clock"). Everything else in a written word (hyphens, full stops, digits) is
 * left out, so "ad-hoc" is spelt as "adhoc".
 */
export const LETTERS = "abcdefghijklmnopqrstuvwxyz'";

const CODE = new Map([...LETTERS].map((ch, i) => [ch, i]));

/** The word's letters, lower-cased, without the characters that are not letters. */
export function spellingOf(word: string): string {
  return word.toLowerCase().replace(/[^a-z']/g, '');
}

/** Index of a letter in LETTERS, or −1 for any other character. */
export function letterCode(ch: string): number {
  return CODE.get(ch) ?? -1;
}

/** Whether a spelling has a letter proper (a–z), not only apostrophes. */
export function hasLetter(spelling: string): boolean {
  return /[a-z]/.test(spelling);
}
