import type { ModelFolder } from '../model/checkpoint.js';
import type { BatchConfig } from './batches.js';
import { type AugmentConfig, DEFAULT_AUGMENT } from './feature-augment.js';
import { DEFAULT_GUARD, type GuardConfig } from './guard.js';
import { DEFAULT_HOLDOUT, type HoldoutConfig } from './holdout.js';
import { chooseRecipe } from './recipe.js';

/**
 * Personal fine-tuning: the user's corrected clips (plus replay utterances of general speech) train the
 * chosen layers of the current model (by default its front: the subsampling and the first blocks) with a
 * small learning rate, an anchor to its weights and early stopping, through the same loop as base
 * training; the guard then decides whether the result replaces the current model. One job is one
 * folder (`workDir`): a killed run resumes from its checkpoint there, and a finished one leaves its
 * result there until the caller has recorded it, so every step can be repeated safely.
 */
export interface PersonalizeConfig {
  /** Optimizer steps at most; early stopping usually ends sooner. */
  steps: number;
  /**
   * Peak learning rate: a small fraction of base training's (DEFAULT_OPTIMIZER), so the model moves
   * towards the voice in small steps instead of overwriting what it knows (the anchor bounds how far).
   */
  learningRate: number;
  /** Linear warm-up steps (the optimizer's moments start empty). */
  warmupSteps: number;
  /**
   * Pull towards the parent's weights (OptimizerConfig.anchorDecay): each adapted weight stays within
   * about 1 / anchorDecay of where it started, which bounds what the model can forget. On the personal
   * benchmark (bench/personal.ts) a looser anchor learnt the voice no better and forgot far more.
   */
  anchorDecay: number;
  /**
   * Layers adapted; the rest stay frozen. A new voice differs from the training voices first in how it
   * sounds (pitch, formants, the room), which the lowest layers see: on the personal benchmark adapting
   * the front learnt more of the voice than adapting the top, and adapting every block no more than the
   * front while forgetting more.
   */
  adaptSubsampling: boolean;
  /** The first this-many residual blocks are adapted. */
  adaptFirstBlocks: number;
  /** The last this-many residual blocks and the output head are adapted (0: neither). */
  adaptBlocks: number;
  /**
   * Replay utterances mixed into training per user utterance (limited by the replay set's size): general
   * speech in every batch, against forgetting.
   */
  replayRatio: number;
  /**
   * …and at least this many (limited by the replay set's size), so a job with few corrections still trains
   * beside enough general speech: beside fewer, a small job forgot too much to be promoted.
   */
  minReplay: number;
  /** Every k-th replay utterance is kept for the guard instead of trained on. */
  replayEvalEvery: number;
  /** Steps between early-stopping checks. */
  evalEvery: number;
  /** Stop after this many checks without improvement. */
  patience: number;
  /** Utterances scored at each early-stopping check (user training clips and replay, seeded subset). */
  devUtterances: number;
  /**
   * Augmentation of the clips: speed perturbation only, so every epoch of a few dozen clips sounds a bit
   * different. No frequency warp and no SpecAugment masks: the warp blurs the very spectrum the model is
   * adapting to, and the base model ends its training without masks (`--augment perturb`), so masked
   * clips are a new kind of input; with both, fine-tuning learnt much less of the voice.
   */
  augment: AugmentConfig | null;
  batches: BatchConfig;
  /** The held-back split the caller makes of the corrections (see holdout.ts). */
  holdout: HoldoutConfig;
  guard: GuardConfig;
  /**
   * Shares of the fine-tuning's change tried in turn while the guard finds that the candidate forgot too
   * much general speech: each candidate is parent + share · (trained − parent), a point on the straight line
   * back to the current model (see interpolateWeights). The first share is normally 1, the trained model
   * itself; the user's WER must still drop at the share kept. Only the replay set picks the share, among
   * these few fixed in advance; the held-back corrections never pick, they only veto. The whole change
   * often forgets too much general speech where part of it does not, and minutes of reading forget more than
   * a few corrections: down to a fifth, so a long enrolment still keeps what helps (bench/ENROLMENT.md).
   */
  backOff: number[];
  seed: number;
}

export const DEFAULT_PERSONALIZE: PersonalizeConfig = {
  steps: 300,
  learningRate: 3e-4,
  warmupSteps: 10,
  anchorDecay: 60,
  adaptSubsampling: true,
  adaptFirstBlocks: 4,
  adaptBlocks: 0,
  replayRatio: 2,
  minReplay: 40,
  replayEvalEvery: 2,
  evalEvery: 25,
  patience: 3,
  devUtterances: 60,
  augment: { ...DEFAULT_AUGMENT, warp: [1, 1], freqMasks: 0, timeMasksPerSecond: 0 },
  // 16 s of padded audio per step: small enough that a step on a CPU takes a few seconds.
  batches: { maxFrames: 1600, maxUtterances: 16, maxUtteranceFrames: 2000 },
  holdout: DEFAULT_HOLDOUT,
  guard: DEFAULT_GUARD,
  backOff: [1, 0.8, 0.6, 0.4, 0.2],
  seed: 1,
};

/** The layers fine-tuning adapts (see PersonalizeConfig). */
export type AdaptedLayers = Pick<PersonalizeConfig, 'adaptSubsampling' | 'adaptFirstBlocks' | 'adaptBlocks'>;

/** Throws unless the back-off shares are in (0, 1], largest first. */
export function checkBackOff(shares: number[]): void {
  const ok = shares.length > 0 && shares.every((x, i) => x > 0 && x <= 1 && (i === 0 || x < shares[i - 1]));
  if (!ok)
    throw new Error(
      `backOff ${JSON.stringify(shares)}: needs at least one share of the trained change, each in (0, 1], largest first`,
    );
}

/** Throws when the choice of layers adapts nothing. */
export function checkAdaptedLayers({ adaptSubsampling, adaptFirstBlocks, adaptBlocks }: AdaptedLayers): void {
  if (!adaptSubsampling && adaptFirstBlocks <= 0 && adaptBlocks <= 0)
    throw new Error('nothing to adapt: no subsampling, no first blocks and no last blocks were chosen');
}

/** Whether fine-tuning adapts a parameter, by name, for a model `blocks` deep. */
export function adaptedParameters(blocks: number, layers: AdaptedLayers): (name: string) => boolean {
  checkAdaptedLayers(layers);
  const { adaptSubsampling, adaptFirstBlocks, adaptBlocks } = layers;
  const last = blocks - adaptBlocks;
  return (name) => {
    if (name.startsWith('subsample.')) return adaptSubsampling;
    if (name.startsWith('head.')) return adaptBlocks > 0;
    const m = /^blocks\.(\d+)\./.exec(name);
    if (m === null) return false;
    const i = Number(m[1]);
    return i < adaptFirstBlocks || i >= last;
  };
}

/** A job's settings, and what chose them. */
export interface JobConfig {
  config: PersonalizeConfig;
  /** The recipe the amount of speech chose (recipe.ts). */
  recipe: string;
  /** Speech in the clips trained on, s. */
  speechSeconds: number;
}

/**
 * The settings for `trainFrames` feature frames of the user's speech on the parent model: the recipe the
 * amount of speech chooses, with the job's own settings laid over it. Throws on settings that cannot run.
 */
export function jobConfig(
  trainFrames: number,
  parent: Pick<ModelFolder, 'acoustic' | 'features'>,
  own: Partial<PersonalizeConfig> | undefined,
): JobConfig {
  const framesPerSecond = parent.features.sampleRate / parent.features.hopLength;
  const speechSeconds = trainFrames / framesPerSecond;
  const batchSeconds = (own?.batches ?? DEFAULT_PERSONALIZE.batches).maxFrames / framesPerSecond;
  const recipe = chooseRecipe(speechSeconds, parent.acoustic.blocks, batchSeconds);
  const config: PersonalizeConfig = { ...DEFAULT_PERSONALIZE, ...recipe.config, ...own };
  checkAdaptedLayers(config);
  checkBackOff(config.backOff);
  return { config, recipe: recipe.name, speechSeconds };
}
