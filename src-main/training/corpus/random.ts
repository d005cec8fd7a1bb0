import { createHash } from 'node:crypto';

/**
 * Seeded randomness for corpus planning. Every utterance gets its own generator, derived from the
 * corpus seed and the utterance's place in the plan, so its voice, sentence and augmentation do not
 * depend on how many other utterances were drawn before it or in which order workers ran.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Log-uniform in [lo, hi): equal odds per octave, for frequencies. */
  logUniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One key, with odds proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** A standard normal draw (Box–Muller). */
  gaussian(): number;
}

/** 32-bit hash of any list of keys (first four bytes of their SHA-256). */
export function hash32(...keys: readonly (string | number)[]): number {
  return createHash('sha256').update(keys.join('\u0000')).digest().readUInt32LE(0);
}

/** Hash of the keys mapped to [0, 1): stable for ever, used to assign sentences to splits. */
export function hashUnit(...keys: readonly (string | number)[]): number {
  return hash32(...keys) / 2 ** 32;
}

/** A generator seeded from the given keys (mulberry32: tiny, fast, good enough for sampling). */
export function rngFor(...keys: readonly (string | number)[]): Rng {
  let state = hash32(...keys);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    logUniform: (lo, hi) => lo * Math.pow(hi / lo, next()),
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('cannot pick from an empty list');
      return items[Math.floor(next() * items.length)];
    },
    weighted: (weights) => {
      const entries = (Object.entries(weights) as [keyof typeof weights, number][]).filter(([, w]) => w > 0);
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      if (entries.length === 0 || !(total > 0)) throw new Error('weighted choice needs a positive weight');
      let r = next() * total;
      for (const [key, w] of entries) {
        r -= w;
        if (r < 0) return key;
      }
      return entries[entries.length - 1][0];
    },
    gaussian: () => {
      const u = 1 - next(); // (0, 1]: log stays finite
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
  return rng;
}

/** Fisher–Yates shuffle of a copy, driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
