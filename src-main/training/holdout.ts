/**
 * The held-back split of a user's corrections: what a new personal model is measured on and never
 * trained on. The split rotates with the training round, so the held-back items are not always the
 * same positions (e.g. always the first correction of a batch).
 */
export interface HoldoutConfig {
  /** Share of a round's new corrections held back for measuring (0.2: one in five). */
  heldOutFraction: number;
  /** Held back per round at least, when there are two items or more (one must stay to train on). */
  minHeldOut: number;
}

export const DEFAULT_HOLDOUT: HoldoutConfig = { heldOutFraction: 0.2, minHeldOut: 1 };

/**
 * Splits items into training and held-back sets: every k-th item (k = 1 / heldOutFraction), starting at an
 * offset that moves with `round`, then more from the end of the rotation if fewer than minHeldOut were
 * taken. A single item is always trained on.
 */
export function splitHeldOut<T>(
  items: readonly T[],
  round: number,
  config: HoldoutConfig = DEFAULT_HOLDOUT,
): { train: T[]; heldOut: T[] } {
  if (!(config.heldOutFraction > 0 && config.heldOutFraction < 1))
    throw new Error(`heldOutFraction must be between 0 and 1, got ${config.heldOutFraction}`);
  if (items.length < 2) return { train: [...items], heldOut: [] };
  const k = Math.max(2, Math.round(1 / config.heldOutFraction));
  const offset = ((round % k) + k) % k;
  const held = new Set<number>();
  for (let i = 0; i < items.length; i++) if ((i + offset) % k === 0) held.add(i);
  // Top up (items counted back from the end, skipping taken ones), but always leave one to train on.
  const want = Math.min(Math.max(config.minHeldOut, held.size), items.length - 1);
  for (let i = items.length - 1; held.size < want && i >= 0; i--) held.add(i);
  while (held.size > items.length - 1) held.delete(Math.max(...held));
  return {
    train: items.filter((_, i) => !held.has(i)),
    heldOut: items.filter((_, i) => held.has(i)),
  };
}
