import type { PersonalizeConfig } from './personalize.js';

/**
 * How boldly personal fine-tuning adapts, chosen by how much of the user's speech it has to learn from. A
 * handful of corrections can only nudge the model (a few layers, small steps, anchored to its weights);
 * minutes of read prompts carry enough of the voice to adapt the whole model further without learning the
 * clips by heart. The tiers are tried from the last: the first whose `fromSeconds` the training speech
 * reaches is used. Explicit settings (the CLI's flags, the app's config) are laid over the tier's choice.
 */
export interface RecipeTier {
  /** Shown with the result ("enrolment"). */
  name: string;
  /** The tier applies from this much training speech (the clips trained on, not those held back), s. */
  fromSeconds: number;
  /** Adapt every block and the output head as well as the subsampling (else the tier's config says). */
  adaptAll: boolean;
  /**
   * Passes over the user's clips, which set the steps: about epochs × speech / speech per batch, within
   * [minSteps, config.steps]. Early stopping usually ends sooner.
   */
  epochs: number;
  minSteps: number;
  /** What the tier changes from DEFAULT_PERSONALIZE. */
  config: Partial<PersonalizeConfig>;
}

export interface RecipeConfig {
  tiers: RecipeTier[];
}

export const DEFAULT_RECIPE: RecipeConfig = {
  tiers: [
    {
      // Corrections: today's conservative recipe (DEFAULT_PERSONALIZE; its measurements in bench/RESULTS.md).
      name: 'corrections',
      fromSeconds: 0,
      adaptAll: false,
      epochs: 0,
      minSteps: 0,
      config: {},
    },
    {
      // Minutes of reading: of the learning rates tried on the real-dev voice with the guard at its default
      // margin, the one that learnt the most of the voice (bench/RECIPE-CHOICE.md); bolder ones forgot so
      // much general speech that the guard kept less of their change.
      name: 'enrolment',
      fromSeconds: 120,
      adaptAll: true,
      // 20 passes: 300 steps for 4 minutes of speech.
      epochs: 20,
      minSteps: 100,
      config: { steps: 400, learningRate: 2e-3, anchorDecay: 0, warmupSteps: 20, patience: 3 },
    },
  ],
};

export interface ChosenRecipe {
  name: string;
  /** To lay over DEFAULT_PERSONALIZE (before any explicit settings). */
  config: Partial<PersonalizeConfig>;
}

/**
 * The recipe for `speechSeconds` of training speech on a model `blocks` deep. `batchSeconds` is the
 * audio one step sees (PersonalizeConfig.batches.maxFrames at 100 frames a second).
 */
export function chooseRecipe(
  speechSeconds: number,
  blocks: number,
  batchSeconds: number,
  config: RecipeConfig = DEFAULT_RECIPE,
): ChosenRecipe {
  if (!(speechSeconds >= 0))
    throw new Error(`speech length must be a number of seconds ≥ 0, got ${speechSeconds}`);
  const tier = [...config.tiers].reverse().find((t) => speechSeconds >= t.fromSeconds);
  if (!tier) throw new Error(`no recipe tier starts at or below ${speechSeconds.toFixed(1)} s of speech`);
  const chosen: Partial<PersonalizeConfig> = { ...tier.config };
  if (tier.adaptAll) {
    // The last `blocks` blocks and the head, plus the first ones: every layer of the model.
    Object.assign(chosen, { adaptSubsampling: true, adaptFirstBlocks: blocks, adaptBlocks: blocks });
  }
  if (tier.epochs > 0 && tier.config.steps !== undefined) {
    const perEpoch = speechSeconds / Math.max(1, batchSeconds);
    chosen.steps = Math.round(Math.min(tier.config.steps, Math.max(tier.minSteps, tier.epochs * perEpoch)));
  }
  return { name: tier.name, config: chosen };
}
