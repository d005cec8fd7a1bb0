import type { AcousticModel } from '../model/acoustic.js';
import type { Alphabet } from '../speech/alphabet.js';
import { type EvalConfig, evaluate, type EvalItem, type EvalResult } from './evaluate.js';
import type { FeatureSource } from './train.js';

/**
 * The guard between a freshly fine-tuned model and the user: the current model and the candidate are both
 * scored on the user's held-back corrections (never trained on) and on the replay set (general speech), and
 * the candidate is promoted only if the user's word error rate drops and the replay word error rate stays
 * within a set margin of the base model's. Otherwise the current model stays, and the reason says why.
 * Words are decoded as dictation writes finals: with the word language model when dictation uses one
 * (a new voice's greedy WER is so high that it barely moves when the model gets better, see
 * bench/RESULTS.md; the LM's words show it), else greedy.
 */
export interface GuardConfig {
  /** The user's WER must fall by more than this (absolute, 0 = any drop). */
  minUserWerGain: number;
  /**
   * How much general speech a version may forget, measured against the base model rather than the current
   * one (so successive versions cannot each forget a little more): the replay WER may exceed the base
   * model's by this fraction of it. 0.1 = the 10% relative rise the personal benchmark allows (its target
   * in bench/RESULTS.md). A looser margin let an enrolment on a real voice forget more general speech for
   * no gain on the voice. The user chooses it in Settings (store/settings.ts replayMargin).
   */
  replayMarginRelative: number;
  /** …or by this many points (absolute), whichever allows more: a few dozen replay clips measure coarsely. */
  replayMarginWer: number;
}

export const DEFAULT_GUARD: GuardConfig = {
  minUserWerGain: 0,
  replayMarginRelative: 0.1,
  replayMarginWer: 0.02,
};

export interface SetScore {
  wer: number;
  cer: number;
  utterances: number;
}

/** Before (the current model) and after (the candidate) on each measuring set. */
export interface GuardMetrics {
  /** How the words were decoded (absent: greedy, the acoustic model alone). */
  decoding?: 'greedy' | 'language model';
  user: { before: SetScore; after: SetScore };
  /** Null when the model has no replay set. `base`: the base model, whose score the margin is counted from. */
  replay: { before: SetScore; after: SetScore; base: SetScore } | null;
}

export interface GuardVerdict {
  promoted: boolean;
  /** Why, in plain words, with the numbers. */
  reason: string;
  /** Rejected only because it forgot too much general speech (the user's WER did drop). */
  forgot: boolean;
  metrics: GuardMetrics;
}

/** A rate as the guard's reasons write it (0.531 → "53.1%"). */
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const points = (x: number) => `${(x * 100).toFixed(1)} points`;

/** The highest replay WER a candidate may have: the base model's plus the margin. */
export function replayCeiling(baseWer: number, config: GuardConfig = DEFAULT_GUARD): number {
  return baseWer + Math.max(config.replayMarginRelative * baseWer, config.replayMarginWer);
}

function score(r: EvalResult): SetScore {
  return { wer: r.wer, cer: r.cer, utterances: r.utterances };
}

/** The decision on measured numbers (pure, so every rule is checked directly by tests). */
export function judge(
  metrics: GuardMetrics,
  config: GuardConfig = DEFAULT_GUARD,
): { promoted: boolean; reason: string; forgot: boolean } {
  const { user, replay } = metrics;
  const n = user.before.utterances;
  if (n === 0) {
    return {
      promoted: false,
      reason:
        'kept the current model: there are no held-back corrections to measure a new model on yet (correct a few more phrases)',
      forgot: false,
    };
  }
  const gain = user.before.wer - user.after.wer;
  const decoded = metrics.decoding === 'language model' ? ' (decoded with the language model)' : '';
  const on = `on your ${n} held-back correction${n === 1 ? '' : 's'}${decoded}`;
  if (!(gain > config.minUserWerGain)) {
    const needed = config.minUserWerGain > 0 ? ` by more than ${points(config.minUserWerGain)}` : '';
    return {
      promoted: false,
      reason: `kept the current model: ${on} the new model's word error rate is ${pct(user.after.wer)}, which does not improve${needed} on the current ${pct(user.before.wer)}`,
      forgot: false,
    };
  }
  const ceiling = replay ? replayCeiling(replay.base.wer, config) : 0;
  const allowed = replay
    ? `allowed: up to ${pct(ceiling)}, the base model's ${pct(replay.base.wer)} + ${points(ceiling - replay.base.wer)}`
    : '';
  // Above the ceiling is forgetting, unless the current model is there already and the candidate is no
  // worse (a margin made stricter after a promotion must not lock the user out of improvements). A hair
  // of tolerance: a WER exactly at the ceiling passes whatever the float rounding.
  if (replay && replay.after.wer > ceiling + 1e-9 && replay.after.wer > replay.before.wer) {
    return {
      promoted: false,
      reason: `kept the current model: it got better for you (${pct(user.before.wer)} → ${pct(user.after.wer)} word errors ${on}) but forgot general speech: word errors on the replay set would be ${pct(replay.after.wer)} (now ${pct(replay.before.wer)}; ${allowed})`,
      forgot: true,
    };
  }
  const general = replay
    ? `; general speech ${pct(replay.before.wer)} → ${pct(replay.after.wer)} (${allowed})`
    : '; general speech was not checked (the model has no replay set)';
  return {
    promoted: true,
    reason: `promoted: word errors ${on} fell from ${pct(user.before.wer)} to ${pct(user.after.wer)}${general}`,
    forgot: false,
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

/** How the guard decodes: greedy, or a decoder of one utterance's log-probs [T, V] with the language model. */
export type GuardDecoding =
  { kind: 'greedy' } | { kind: 'language model'; decode: NonNullable<EvalConfig['decode']> };

/**
 * Scores already measured, model → measuring set → score: a job that judges several candidates against the
 * same current model passes one, so the current and base models are scored once. The models must not change
 * while it is in use.
 */
export type GuardScores = Map<AcousticModel, Map<FeatureSource, SetScore>>;

/**
 * Scores both models on both sets and judges. `base` is the base model the margin on general speech counts
 * from; null when the current model is the base.
 */
export function guard(
  current: AcousticModel,
  candidate: AcousticModel,
  alphabet: Alphabet,
  heldOut: FeatureSource,
  replay: FeatureSource | null,
  config: GuardConfig = DEFAULT_GUARD,
  base: AcousticModel | null = null,
  decoding: GuardDecoding = { kind: 'greedy' },
  scores: GuardScores = new Map(),
): GuardVerdict {
  const how = { decode: decoding.kind === 'greedy' ? null : decoding.decode };
  const scoreOn = (model: AcousticModel, source: FeatureSource): SetScore => {
    let byModel = scores.get(model);
    if (!byModel) scores.set(model, (byModel = new Map()));
    let s = byModel.get(source);
    if (!s) byModel.set(source, (s = score(evaluate(model, alphabet, evalItemsOf(source), how))));
    return s;
  };
  const user = heldOut.items.length;
  const general = replay && replay.items.length > 0 ? replay : null;
  const empty: SetScore = { wer: 0, cer: 0, utterances: 0 };
  let replayScores: GuardMetrics['replay'] = null;
  if (general) {
    const before = scoreOn(current, general);
    replayScores = {
      before,
      after: scoreOn(candidate, general),
      base: base ? scoreOn(base, general) : before,
    };
  }
  const metrics: GuardMetrics = {
    decoding: decoding.kind,
    user:
      user === 0
        ? { before: empty, after: empty }
        : {
            before: scoreOn(current, heldOut),
            after: scoreOn(candidate, heldOut),
          },
    replay: replayScores,
  };
  return { ...judge(metrics, config), metrics };
}
