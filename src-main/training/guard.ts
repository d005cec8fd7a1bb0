import type { AcousticModel } from '../model/acoustic.js';
import type { Alphabet } from '../speech/alphabet.js';
import { evaluate, type EvalItem, type EvalResult } from './evaluate.js';
import type { FeatureSource } from './train.js';

/**
 * The guard between a freshly fine-tuned model and the user: the current model and the candidate are both
 * scored on the user's held-back corrections (never trained on) and on the replay set (general speech), and
 * the candidate is promoted only if the user's word error rate drops and the replay word error rate does
 * not rise by more than a set margin. Otherwise the current model stays, and the reason says why.
 */
export interface GuardConfig {
  /** The user's WER must fall by more than this (absolute, 0 = any drop). */
  minUserWerGain: number;
  /** The replay WER may rise by at most this (absolute: 0.02 = two percentage points). */
  replayMarginWer: number;
}

export const DEFAULT_GUARD: GuardConfig = { minUserWerGain: 0, replayMarginWer: 0.02 };

export interface SetScore {
  wer: number;
  cer: number;
  utterances: number;
}

/** Before (the current model) and after (the candidate) on each measuring set. */
export interface GuardMetrics {
  user: { before: SetScore; after: SetScore };
  /** Null when the model has no replay set. */
  replay: { before: SetScore; after: SetScore } | null;
}

export interface GuardVerdict {
  promoted: boolean;
  /** Why, in plain words, with the numbers. */
  reason: string;
  metrics: GuardMetrics;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const points = (x: number) => `${(x * 100).toFixed(1)} points`;

function score(r: EvalResult): SetScore {
  return { wer: r.wer, cer: r.cer, utterances: r.utterances };
}

/** The decision on measured numbers (pure, so every rule is checked directly by tests). */
export function judge(
  metrics: GuardMetrics,
  config: GuardConfig = DEFAULT_GUARD,
): { promoted: boolean; reason: string } {
  const { user, replay } = metrics;
  const n = user.before.utterances;
  if (n === 0) {
    return {
      promoted: false,
      reason:
        'kept the current model: there are no held-back corrections to measure a new model on yet (correct a few more phrases)',
    };
  }
  const gain = user.before.wer - user.after.wer;
  const on = `on your ${n} held-back correction${n === 1 ? '' : 's'}`;
  if (!(gain > config.minUserWerGain)) {
    const needed = config.minUserWerGain > 0 ? ` by more than ${points(config.minUserWerGain)}` : '';
    return {
      promoted: false,
      reason: `kept the current model: ${on} the new model's word error rate is ${pct(user.after.wer)}, which does not improve${needed} on the current ${pct(user.before.wer)}`,
    };
  }
  if (replay) {
    const rise = replay.after.wer - replay.before.wer;
    if (rise > config.replayMarginWer) {
      return {
        promoted: false,
        reason: `kept the current model: it got better for you (${pct(user.before.wer)} → ${pct(user.after.wer)} word errors ${on}) but forgot general speech: word errors on the replay set rose from ${pct(replay.before.wer)} to ${pct(replay.after.wer)}, more than the allowed ${points(config.replayMarginWer)}`,
      };
    }
  }
  const general = replay
    ? `; general speech ${pct(replay.before.wer)} → ${pct(replay.after.wer)} (allowed rise ${points(config.replayMarginWer)})`
    : '; general speech was not checked (the model has no replay set)';
  return {
    promoted: true,
    reason: `promoted: word errors ${on} fell from ${pct(user.before.wer)} to ${pct(user.after.wer)}${general}`,
  };
}

/** Every item of a feature source, as evaluate() takes them. */
export function evalItemsOf(source: FeatureSource): EvalItem[] {
  return source.items.map((it, i) => ({
    id: it.id,
    speaker: it.speaker,
    text: it.text,
    frames: it.frames,
    features: () => source.features(i),
  }));
}

/** Scores both models on both sets and judges. */
export function guard(
  current: AcousticModel,
  candidate: AcousticModel,
  alphabet: Alphabet,
  heldOut: FeatureSource,
  replay: FeatureSource | null,
  config: GuardConfig = DEFAULT_GUARD,
): GuardVerdict {
  const user = evalItemsOf(heldOut);
  const general = replay && replay.items.length > 0 ? evalItemsOf(replay) : null;
  const empty: SetScore = { wer: 0, cer: 0, utterances: 0 };
  const metrics: GuardMetrics = {
    user:
      user.length === 0
        ? { before: empty, after: empty }
        : {
            before: score(evaluate(current, alphabet, user)),
            after: score(evaluate(candidate, alphabet, user)),
          },
    replay: general
      ? {
          before: score(evaluate(current, alphabet, general)),
          after: score(evaluate(candidate, alphabet, general)),
        }
      : null,
  };
  return { ...judge(metrics, config), metrics };
}
