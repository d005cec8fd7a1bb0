/**
 * A whole-number option (e.g. --jobs) in [min, max], or an error naming the flag and what was given: Number()
 * alone would take "abc" as NaN and "2.5" or "" as numbers.
 */
export function wholeNumberOption(
  value: string,
  flag: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`--${flag} must be a whole number ${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}
