// Every command's option values, parsed one way with one wording for errors: `--flag must be <rule>, got
// "<value>"`. Number() alone would take "abc" as NaN and "" or "0x10" as numbers, so the text is checked first.

/** The error for a bad option value, naming the flag, the rule and what was given. */
export function optionError(flag: string, rule: string, value: unknown): Error {
  return new Error(`--${flag} must be ${rule}, got ${JSON.stringify(String(value))}`);
}

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
const WHOLE = /^\s*[+-]?\d+\s*$/;

/** A whole number (e.g. --jobs) in [min, max]. */
export function wholeNumberOption(
  value: string,
  flag: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = WHOLE.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw optionError(flag, `a whole number ${range}`, value);
  }
  return n;
}

/** Where a number option may lie: bounds included (min, max) or excluded (above, below). */
export interface NumberRange {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

/** A decimal number (e.g. --lr) within `range`. */
export function numberOption(value: string, flag: string, range: NumberRange = {}): number {
  const x = DECIMAL.test(value) ? Number(value) : NaN;
  const { min, max, above, below } = range;
  const ok =
    Number.isFinite(x) &&
    (min === undefined || x >= min) &&
    (max === undefined || x <= max) &&
    (above === undefined || x > above) &&
    (below === undefined || x < below);
  if (!ok) throw optionError(flag, numberRule(range), value);
  return x;
}

/** A positive number (e.g. --lr, --seconds). */
export const positiveOption = (value: string, flag: string) => numberOption(value, flag, { above: 0 });

/** A share from 0 to 1 (e.g. --band-limit). */
export const shareOption = (value: string, flag: string) => numberOption(value, flag, { min: 0, max: 1 });

/** One of a fixed set of words (e.g. --augment). */
export function choiceOption<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw optionError(flag, `one of ${choices.join(', ')}`, value);
  return value as T;
}

/** A comma-separated list, each item parsed by `item` (which throws for a bad one), none empty. */
export function listOption<T>(value: string, flag: string, rule: string, item: (text: string) => T): T[] {
  const parts = value.split(',');
  try {
    if (parts.some((p) => p.trim() === '')) throw new Error('empty item');
    return parts.map((p) => item(p.trim()));
  } catch {
    throw optionError(flag, rule, value);
  }
}

/** The rule a number option's range makes, in words: "a positive number", "a number from 0 to 1", … */
function numberRule({ min, max, above, below }: NumberRange): string {
  if (min !== undefined && max !== undefined) return `a number from ${min} to ${max}`;
  if (above === 0 && min === undefined && max === undefined && below === undefined)
    return 'a positive number';
  const low = min !== undefined ? `≥ ${min}` : above !== undefined ? `> ${above}` : '';
  const high = max !== undefined ? `≤ ${max}` : below !== undefined ? `< ${below}` : '';
  return ['a number', [low, high].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
}
