/** Elapsed time as m:ss, or h:mm:ss past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A session's date and time in the user's locale. */
export function formatWhen(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The message of anything thrown, for showing. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A rate as a percentage with one decimal, as the app, the command line and the guard's reasons write every rate: "16.7%". */
export function formatPercent(rate: number, decimals = 1): string {
  return `${(rate * 100).toFixed(decimals)}%`;
}

/**
 * How a word error rate changed, in words: "85.0% → 52.0%, 39% fewer errors". The relative change is
 * what a user feels (how many of their mistakes went), the two rates what was measured.
 */
export function describeChange(before: number, after: number): string {
  const rates = `${formatPercent(before)} → ${formatPercent(after)}`;
  if (before <= 0 || Math.abs(after - before) < 0.0005) return rates;
  const relative = Math.abs(after - before) / before;
  return `${rates}, ${formatPercent(relative, 0)} ${after < before ? 'fewer' : 'more'} errors`;
}

/** Minutes of speech as "2.5 min" (one decimal below ten minutes, whole minutes above). */
export function formatMinutes(ms: number): string {
  const min = ms / 60_000;
  return `${min < 10 ? min.toFixed(1) : Math.round(min)} min`;
}

/** A backend ladder's description (`attune info`'s text): its heading, then one line per rung (✓ or ✗). */
export function ladderLines(description: string): string[] {
  return description
    .split(/\s+(?=[✓✗])/u)
    .map((l) => l.trim())
    .filter(Boolean);
}
