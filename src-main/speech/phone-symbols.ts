/**
 * One character per phone, so a phone model's output is a string like a letter model's: the CMUdict phones
 * (ARPAbet) as the IPA letter nearest each, the five diphthongs as capitals (no single IPA letter spells
 * them). A phone outside this set gets a character of Unicode's private use area: usable, just not readable.
 */
const SYMBOLS: Readonly<Record<string, string>> = {
  AA: 'ɑ',
  AE: 'æ',
  AH: 'ʌ',
  AO: 'ɔ',
  AW: 'W',
  AY: 'I',
  EH: 'ɛ',
  ER: 'ɝ',
  EY: 'E',
  IH: 'ɪ',
  IY: 'i',
  OW: 'O',
  OY: 'Y',
  UH: 'ʊ',
  UW: 'u',
  B: 'b',
  CH: 'ʧ',
  D: 'd',
  DH: 'ð',
  F: 'f',
  G: 'g',
  HH: 'h',
  JH: 'ʤ',
  K: 'k',
  L: 'l',
  M: 'm',
  N: 'n',
  NG: 'ŋ',
  P: 'p',
  R: 'r',
  S: 's',
  SH: 'ʃ',
  T: 't',
  TH: 'θ',
  V: 'v',
  W: 'w',
  Y: 'j',
  Z: 'z',
  ZH: 'ʒ',
};

const PRIVATE_USE = 0xe000;
const others = new Map<string, string>();

/** The character that carries a phone (the same for a name every time). */
export function phoneSymbol(name: string): string {
  const known = SYMBOLS[name];
  if (known) return known;
  let c = others.get(name);
  if (!c) {
    c = String.fromCodePoint(PRIVATE_USE + others.size);
    others.set(name, c);
  }
  return c;
}
