import { mulberry32 } from '../../speech/prng.js';

/**
 * Which real voices train the model and which judge it. The rule is per source and by speaker, so a
 * voice in real-dev or real-test is never heard in training; where a source has one voice, the
 * whole source goes to one split. Dev and test sets of a source may be capped to keep evaluations
 * quick and balanced (a few hundred spoken digits must not outweigh sentences).
 */
export type RealSplit = 'real-train' | 'real-dev' | 'real-test';
export const REAL_SPLITS: readonly RealSplit[] = ['real-train', 'real-dev', 'real-test'];

export type SplitPolicy =
  /** Every clip of the source in one split (single-voice sources). */
  | { kind: 'whole'; split: RealSplit }
  /** Named speakers to named splits; speakers not listed train. */
  | { kind: 'speakers'; splits: Record<string, RealSplit>; capPerSpeaker?: number }
  /**
   * Characters of a cast drawn at random (from the seed) for dev and test until each holds about
   * `heldOutShare` of the clips; characters with more than `maxHeldOutShare` of the clips always
   * train (a lead's voice is too much to lose), and so does `unknown`.
   */
  | { kind: 'cast'; heldOutShare: number; maxHeldOutShare: number };

export interface SplitItem {
  id: string;
  speaker: string;
}

/** The split of every item, in the items' order; null for a clip left out (over a held-out speaker's cap). */
export function assignSplits(
  items: readonly SplitItem[],
  policy: SplitPolicy,
  seed: number,
): (RealSplit | null)[] {
  if (policy.kind === 'whole') return items.map(() => policy.split);
  if (policy.kind === 'speakers') return capped(items, policy, seed);
  return castSplits(items, policy, seed);
}

function capped(
  items: readonly SplitItem[],
  policy: Extract<SplitPolicy, { kind: 'speakers' }>,
  seed: number,
): (RealSplit | null)[] {
  const out = items.map((it) => policy.splits[it.speaker] ?? 'real-train');
  const cap = policy.capPerSpeaker;
  if (cap === undefined) return out;
  // A held-out speaker keeps a seeded sample of `cap` clips; the rest are left out.
  const rand = mulberry32(seed);
  const keys = items.map(() => rand());
  const bySpeaker = new Map<string, number[]>();
  items.forEach((it, i) => {
    if (out[i] === 'real-train') return;
    bySpeaker.set(it.speaker, [...(bySpeaker.get(it.speaker) ?? []), i]);
  });
  const drop = new Set<number>();
  for (const idx of bySpeaker.values())
    idx
      .sort((a, b) => keys[a] - keys[b])
      .slice(cap)
      .forEach((i) => drop.add(i));
  return out.map((s, i) => (drop.has(i) ? null : s));
}

function castSplits(
  items: readonly SplitItem[],
  policy: Extract<SplitPolicy, { kind: 'cast' }>,
  seed: number,
): RealSplit[] {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.speaker, (counts.get(it.speaker) ?? 0) + 1);
  const total = items.length;
  const rand = mulberry32(seed);
  const candidates = [...counts.keys()]
    .sort()
    .filter((s) => s !== 'unknown' && counts.get(s)! <= policy.maxHeldOutShare * total)
    .map((s) => ({ s, r: rand() }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.s);
  const splitOf = new Map<string, RealSplit>();
  const held = { 'real-test': 0, 'real-dev': 0 };
  for (const s of candidates) {
    // Test is filled first: it is the number that is reported.
    const target = held['real-test'] < policy.heldOutShare * total ? 'real-test' : 'real-dev';
    if (held[target] >= policy.heldOutShare * total) break;
    splitOf.set(s, target);
    held[target] += counts.get(s)!;
  }
  return items.map((it) => splitOf.get(it.speaker) ?? 'real-train');
}
