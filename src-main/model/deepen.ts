import type { ModelFolder } from './checkpoint.js';
import { type AcousticConfig, configProblems } from './config.js';
import { initParams } from './acoustic.js';

/**
 * Growing a trained model deeper, so a run that has run out of capacity keeps what it learnt: the new
 * residual blocks go after the last one and start as near-identities, so the deeper model begins where the
 * shallower one stopped and training gives the new blocks work only as it finds some.
 *
 * Why not an exact identity: a block adds ReLU(LN(…)·γ + β) to its input, and with γ = β = 0 every unit
 * sits at ReLU's kink where its gradient is 0 — the block would never wake up. A small γ keeps half the
 * units alive with a branch about 1% of the residual stream's size.
 */
export interface DeepenConfig {
  /** Blocks of the deeper model (more than the model has). */
  blocks: number;
  /**
   * Look-ahead of each new block, in output frames. 0: the new blocks are causal, so the model's latency
   * (its look-ahead) does not change.
   */
  rightContext: number;
  /** Layer-norm scale of the new blocks' branches: small, so they start near the identity. */
  gamma: number;
  /** Seed of the new blocks' weights. */
  seed: number;
}

export const DEFAULT_DEEPEN: Omit<DeepenConfig, 'blocks'> = { rightContext: 0, gamma: 0.01, seed: 1 };

/** The folder's model with `blocks` blocks: every trained weight kept, new blocks appended. */
export function deepenModel(
  folder: ModelFolder,
  options: Pick<DeepenConfig, 'blocks'> & Partial<DeepenConfig>,
): ModelFolder {
  const cfg: DeepenConfig = { ...DEFAULT_DEEPEN, ...options };
  const from = folder.acoustic;
  if (!(Number.isInteger(cfg.blocks) && cfg.blocks > from.blocks))
    throw new Error(`a model can only be made deeper: it has ${from.blocks} blocks, asked for ${cfg.blocks}`);
  const added = cfg.blocks - from.blocks;
  const acoustic: AcousticConfig = {
    ...from,
    blocks: cfg.blocks,
    blockRightContext: [...from.blockRightContext, ...Array<number>(added).fill(cfg.rightContext)],
  };
  const problems = configProblems(acoustic);
  if (problems.length > 0) throw new Error(`cannot deepen the model: ${problems.join('; ')}`);

  const fresh = initParams(acoustic, cfg.seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, init] of fresh) {
    const block = /^blocks\.(\d+)\./.exec(name);
    if (block && Number(block[1]) >= from.blocks) {
      if (name.endsWith('.norm.gamma')) init.fill(cfg.gamma);
      weights.set(name, init);
    } else {
      const trained = folder.weights.get(name);
      if (!trained) throw new Error(`the model has no weight ${name}`);
      weights.set(name, trained.slice());
    }
  }
  return { ...folder, acoustic, weights };
}
