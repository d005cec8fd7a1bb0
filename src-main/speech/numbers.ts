/**
 * Spells out numbers the way an English speaker reads them aloud, so training targets match the
 * audio: "$5.50" → "five dollars fifty cents", "1984" → "nineteen eighty four", "21st" → "twenty first".
 */

const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES = ['', 'thousand', 'million', 'billion', 'trillion', 'quadrillion'];
const ORDINAL_WORDS: Record<string, string> = {
  one: 'first',
  two: 'second',
  three: 'third',
  five: 'fifth',
  eight: 'eighth',
  nine: 'ninth',
  twelve: 'twelfth',
};

function below1000(n: number): string {
  const words: string[] = [];
  if (n >= 100) {
    words.push(ONES[Math.floor(n / 100)], 'hundred');
    n %= 100;
  }
  if (n >= 20) {
    words.push(TENS[Math.floor(n / 10)]);
    n %= 10;
    if (n > 0) words.push(ONES[n]);
  } else if (n > 0 || words.length === 0) {
    words.push(ONES[n]);
  }
  return words.join(' ');
}

/** Cardinal words for a non-negative integer given as a digit string (any length up to 10^18). */
export function cardinal(digits: string): string {
  const clean = digits.replace(/^0+(?=\d)/, '');
  if (clean.length > 18) return [...clean].map((d) => ONES[Number(d)]).join(' ');
  let n = BigInt(clean);
  if (n === 0n) return 'zero';
  const groups: string[] = [];
  let scale = 0;
  while (n > 0n) {
    const g = Number(n % 1000n);
    if (g > 0) groups.unshift(below1000(g) + (SCALES[scale] ? ' ' + SCALES[scale] : ''));
    n /= 1000n;
    scale++;
  }
  return groups.join(' ');
}

/** Ordinal words: "21" → "twenty first". */
export function ordinal(digits: string): string {
  const words = cardinal(digits).split(' ');
  const last = words[words.length - 1];
  words[words.length - 1] =
    ORDINAL_WORDS[last] ?? (last.endsWith('y') ? last.slice(0, -1) + 'ieth' : last + 'th');
  return words.join(' ');
}

/** A four-digit year read in pairs: 1984 → "nineteen eighty four", 2005 → "two thousand five". */
export function year(digits: string): string {
  const n = Number(digits);
  if (n % 1000 < 10 && n % 1000 !== 0 && n >= 2000) return cardinal(digits);
  if (n % 1000 === 0) return cardinal(digits);
  const hi = Math.floor(n / 100);
  const lo = n % 100;
  if (lo === 0) return `${below1000(hi)} hundred`;
  return `${below1000(hi)} ${lo < 10 ? 'oh ' + ONES[lo] : below1000(lo)}`;
}

function digitsOneByOne(digits: string): string {
  return [...digits].map((d) => ONES[Number(d)]).join(' ');
}

const CURRENCY: Record<string, [string, string, string, string]> = {
  $: ['dollar', 'dollars', 'cent', 'cents'],
  '£': ['pound', 'pounds', 'penny', 'pence'],
  '€': ['euro', 'euros', 'cent', 'cents'],
};

function plural(n: string, one: string, many: string): string {
  return `${cardinal(n)} ${Number(n) === 1 ? one : many}`;
}

/** Replaces every number-like token in `text` with its spoken words. */
export function spellNumbers(text: string): string {
  let s = text;
  // Currency: $5, $5.50, £1,200.
  s = s.replace(
    /([$£€])\s?(\d[\d,]*)(?:\.(\d{1,2}))?\b/g,
    (_m, sym: string, whole: string, frac?: string) => {
      const [one, many, subOne, subMany] = CURRENCY[sym];
      const w = whole.replace(/,/g, '');
      let out = plural(w, one, many);
      if (frac && Number(frac) > 0) out += ' ' + plural(frac.padEnd(2, '0'), subOne, subMany);
      return ` ${out} `;
    },
  );
  // Times of day: 10:30, 3:05, 7:00.
  s = s.replace(/\b(\d{1,2}):(\d{2})\b/g, (_m, h: string, m: string) => {
    const mm = Number(m);
    const mWords = mm === 0 ? "o'clock" : mm < 10 ? `oh ${ONES[mm]}` : below1000(mm);
    return ` ${cardinal(h)} ${mWords} `;
  });
  // Ordinals: 1st, 22nd, 103rd, 4th.
  s = s.replace(/\b(\d[\d,]*)(st|nd|rd|th)\b/gi, (_m, n: string) => ` ${ordinal(n.replace(/,/g, ''))} `);
  // Percentages: 50%, 3.5%.
  s = s.replace(/(\d[\d,]*(?:\.\d+)?)\s?%/g, (_m, n: string) => ` ${n} percent `);
  // Decimals: 3.14 → three point one four.
  s = s.replace(/(^|[^\d.])(\d[\d,]*)\.(\d+)(?![\d.])/g, (_m, pre: string, whole: string, frac: string) => {
    return `${pre} ${cardinal(whole.replace(/,/g, ''))} point ${digitsOneByOne(frac)} `;
  });
  // Negative numbers at word start.
  s = s.replace(/(^|\s)-(\d)/g, '$1minus $2');
  // Grouped thousands: 1,000,000.
  s = s.replace(/\b\d{1,3}(?:,\d{3})+\b/g, (m) => ` ${cardinal(m.replace(/,/g, ''))} `);
  // Years: four digits in 1100–2099 are read in pairs, as people say them.
  s = s.replace(/\b(1[1-9]\d\d|20\d\d)\b(?!\s*(?:percent|dollars|pounds|euros))/g, (m) => ` ${year(m)} `);
  // Decades: 1990s / 90s.
  s = s.replace(/\b(\d{2,4})'?s\b/g, (_m, n: string) => {
    const w = n.length === 4 ? year(n) : cardinal(n);
    return ` ${w.endsWith('y') ? w.slice(0, -1) + 'ies' : w + 's'} `;
  });
  // Everything else: plain cardinals; leading zeros are read digit by digit ("007").
  s = s.replace(/\d+/g, (m) => ` ${m.length > 1 && m.startsWith('0') ? digitsOneByOne(m) : cardinal(m)} `);
  return s;
}
