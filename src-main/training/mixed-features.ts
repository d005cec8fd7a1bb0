import type { FeatureSource } from './train.js';

/** One corpus in a training mix and how many times an epoch sees each of its utterances. */
export interface MixPart {
  source: FeatureSource;
  /** Whole number ≥ 1: a small real corpus beside hours of synthetic speech is repeated to weigh more. */
  repeat: number;
}

/**
 * Several corpora trained on as one: items are the parts' items in order, each part's repeated
 * `repeat` times (oversampling). Features are read from the part that owns the item, so nothing is
 * copied; the repeats differ at training time because augmentation draws anew for each.
 */
export class MixedFeatures implements FeatureSource {
  readonly items: FeatureSource['items'];
  readonly bins: number;
  /** For each item: [part, index in that part]. */
  private readonly owner: Int32Array;

  constructor(readonly parts: readonly MixPart[]) {
    if (parts.length === 0) throw new Error('a training mix needs at least one corpus');
    this.bins = parts[0].source.bins;
    const items: FeatureSource['items'][number][] = [];
    const owner: number[] = [];
    parts.forEach((p, k) => {
      if (!Number.isInteger(p.repeat) || p.repeat < 1)
        throw new Error(`a corpus's repeat count must be a whole number ≥ 1, got ${p.repeat}`);
      if (p.source.bins !== this.bins)
        throw new Error(
          `corpora in one mix must share their features: ${p.source.bins} bins beside ${this.bins}`,
        );
      for (let r = 0; r < p.repeat; r++)
        p.source.items.forEach((it, i) => {
          items.push(it);
          owner.push(k, i);
        });
    });
    this.items = items;
    this.owner = Int32Array.from(owner);
  }

  features(i: number): Float32Array {
    return this.parts[this.owner[2 * i]].source.features(this.owner[2 * i + 1]);
  }
}
