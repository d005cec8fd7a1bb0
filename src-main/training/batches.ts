import { mulberry32 } from '../speech/prng.js';

/**
 * Length-bucketed batching: utterances of similar length share a batch so little compute is spent
 * on padding, and each batch holds about the same number of frames so step time and memory are
 * steady. Batch order is shuffled per epoch from a seed, so a resumed run sees the same batches.
 */

export interface BatchConfig {
  /**
   * Upper bound on padded feature frames per batch (B × Tmax), i.e. ~audio per step: 3200 = 32 s.
   * Activation memory grows with it; 32 s keeps training under 1 GB with matMuls still large.
   */
  maxFrames: number;
  /** Upper bound on utterances per batch. */
  maxUtterances: number;
  /** Utterances longer than this many frames are left out of training (and counted). */
  maxUtteranceFrames: number;
}

export const DEFAULT_BATCHES: BatchConfig = {
  maxFrames: 3200,
  maxUtterances: 32,
  maxUtteranceFrames: 2000,
};

/** Seeded uniform numbers in [0, 1): data order and augmentation are reproducible from the seed. */
export const seededRandom = mulberry32;

/** Groups item indices into batches by length. `frames[i]` is item i's length. */
export function makeBatches(
  frames: readonly number[],
  cfg: BatchConfig,
): { batches: number[][]; dropped: number } {
  const order = frames
    .map((f, i) => [f, i] as const)
    .filter(([f]) => f > 0 && f <= cfg.maxUtteranceFrames)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const batches: number[][] = [];
  let cur: number[] = [];
  let curMax = 0;
  for (const [f, i] of order) {
    if (
      cur.length > 0 &&
      (Math.max(curMax, f) * (cur.length + 1) > cfg.maxFrames || cur.length >= cfg.maxUtterances)
    ) {
      batches.push(cur);
      cur = [];
      curMax = 0;
    }
    cur.push(i);
    curMax = Math.max(curMax, f);
  }
  if (cur.length > 0) batches.push(cur);
  return { batches, dropped: frames.length - order.length };
}

/** The batch order of one epoch: a seeded shuffle of the buckets (each keeps its items). */
export function epochOrder(batches: readonly number[][], seed: number, epoch: number): number[][] {
  const rand = seededRandom(seed * 1000003 + epoch);
  const out = batches.map((b) => [...b]);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
