// The guard on real models: the tiny base model of the personal fixture, a deliberately damaged copy of
// it, the user's clips (held back) and the base model's replay set.
import { beforeAll, describe, expect, it } from 'vitest';
import { AcousticModel } from '../../src-main/model/acoustic.js';
import { loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import {
  DEFAULT_GUARD,
  guard,
  judge,
  replayCeiling,
  type GuardMetrics,
  type GuardScores,
} from '../../src-main/training/guard.js';
import { loadUtterances, type MemoryFeatures } from '../../src-main/training/memory-features.js';
import { beamSearch, LM_BEAM_WIDTH } from '../../src-main/speech/beam-search.js';
import { vocabularyTrie, WordLm } from '../../src-main/speech/word-lm.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { loadReplay, type ReplaySet } from '../../src-main/training/replay.js';
import { seeded, useBackend } from './helpers-tf.js';
import { personalFixture, SENTENCES } from './personal-fixture.js';

let base: ModelFolder;
let heldOut: MemoryFeatures;
let replay: ReplaySet;

beforeAll(async () => {
  await useBackend('wasm');
  const f = await personalFixture();
  base = loadModelFolder(f.baseDir);
  heldOut = (
    await loadUtterances(
      f.user.filter((u) => u.id.startsWith('201-3-')),
      base.features,
    )
  ).set;
  replay = loadReplay(f.baseDir, base.features).replay!;
}, 120_000);

/** The base model with noise added to every weight: a model that is worse everywhere. */
function damaged(scale: number): AcousticModel {
  const rand = seeded(3);
  const weights = new Map<string, Float32Array>();
  for (const [name, w] of base.weights)
    weights.set(
      name,
      w.map((x) => x + scale * (rand() * 2 - 1)),
    );
  return new AcousticModel(base.acoustic, weights, base.stats);
}

const score = (wer: number) => ({ wer, cer: wer / 3, utterances: 6 });

describe('judge', () => {
  const metrics = (
    userAfter: number,
    replayAfter: number | null,
    replayBefore = 0.2,
    replayBase = 0.2,
  ): GuardMetrics => ({
    user: { before: score(0.5), after: score(userAfter) },
    replay:
      replayAfter === null
        ? null
        : { before: score(replayBefore), after: score(replayAfter), base: score(replayBase) },
  });

  it('promotes only when the user WER drops and the replay WER stays within the margin of the base', () => {
    expect(judge(metrics(0.4, 0.21)).promoted).toBe(true);
    // 0.2 base: the 2-point floor is larger than 10% of it.
    expect(replayCeiling(0.2)).toBeCloseTo(0.22, 12);
    expect(judge(metrics(0.4, 0.22)).promoted).toBe(true);
    expect(judge(metrics(0.4, 0.2201)).promoted).toBe(false);
    expect(judge(metrics(0.4, 0.25)).promoted).toBe(false);
    expect(judge(metrics(0.5, 0.1)).promoted).toBe(false);
    expect(judge(metrics(0.6, 0.1)).promoted).toBe(false);
    const strict = { ...DEFAULT_GUARD, minUserWerGain: 0.1 };
    expect(judge(metrics(0.45, 0.2), strict).promoted).toBe(false);
    expect(judge(metrics(0.35, 0.2), strict).promoted).toBe(true);
  });

  it('counts the margin from the base model, relative above 20% WER', () => {
    // 0.6 base: 10% of it (6 points) is more than the floor.
    expect(replayCeiling(0.6)).toBeCloseTo(0.66, 12);
    expect(judge(metrics(0.4, 0.65, 0.6, 0.6)).promoted).toBe(true);
    expect(judge(metrics(0.4, 0.67, 0.6, 0.6)).promoted).toBe(false);
    // A personal version already 4 points above the base may add at most 2 more, not another 6:
    // successive versions cannot each forget a little more.
    expect(judge(metrics(0.4, 0.66, 0.64, 0.6)).promoted).toBe(true);
    expect(judge(metrics(0.4, 0.7, 0.64, 0.6)).promoted).toBe(false);
    // Above the ceiling already (a stricter margin set since): a candidate no worse than the current passes.
    expect(judge(metrics(0.4, 0.7, 0.7, 0.6)).promoted).toBe(true);
    expect(judge(metrics(0.4, 0.71, 0.7, 0.6)).promoted).toBe(false);
    expect(judge(metrics(0.4, 0.65, 0.6, 0.6), { ...DEFAULT_GUARD, replayMarginRelative: 0 }).promoted).toBe(
      false,
    );
  });

  it('says why, with the numbers, in plain words', () => {
    expect(judge(metrics(0.4, 0.3)).forgot).toBe(true);
    expect(judge(metrics(0.6, 0.3)).forgot).toBe(false); // no gain for the user: forgetting is not why
    expect(judge(metrics(0.4, 0.2)).forgot).toBe(false);
    expect(judge(metrics(0.6, 0.2)).reason).toBe(
      "kept the current model: on your 6 held-back corrections the new model's word error rate is 60.0%, which does not improve on the current 50.0%",
    );
    expect(judge(metrics(0.4, 0.3)).reason).toBe(
      "kept the current model: it got better for you (50.0% → 40.0% word errors on your 6 held-back corrections) but forgot general speech: word errors on the replay set would be 30.0% (now 20.0%; allowed: up to 22.0%, the base model's 20.0% + 2.0 points)",
    );
    expect(judge(metrics(0.4, 0.2)).reason).toBe(
      "promoted: word errors on your 6 held-back corrections fell from 50.0% to 40.0%; general speech 20.0% → 20.0% (allowed: up to 22.0%, the base model's 20.0% + 2.0 points)",
    );
    expect(judge(metrics(0.4, null)).reason).toMatch(/promoted: .*general speech was not checked/);
    const none: GuardMetrics = { user: { before: score(0), after: score(0) }, replay: null };
    none.user.before.utterances = 0;
    expect(judge(none)).toEqual({
      promoted: false,
      reason: expect.stringMatching(/no held-back corrections to measure/),
      forgot: false,
    });
  });
});

describe('guard on real models', () => {
  it('never promotes a deliberately worse model, and promotes the better one over it', () => {
    const current = loadCheckpointModel(base);
    const worse = damaged(0.15);
    const v = guard(current, worse, base.alphabet, heldOut, replay.eval);
    console.log(
      `guard: user WER ${v.metrics.user.before.wer.toFixed(3)} → ${v.metrics.user.after.wer.toFixed(3)}, ` +
        `replay WER ${v.metrics.replay!.before.wer.toFixed(3)} → ${v.metrics.replay!.after.wer.toFixed(3)}`,
    );
    expect(v.promoted).toBe(false);
    expect(v.metrics.user.before.utterances).toBe(6);
    expect(v.metrics.replay!.before.utterances).toBe(replay.eval.items.length);
    expect(v.metrics.user.after.cer).toBeGreaterThan(v.metrics.user.before.cer);
    expect(v.reason).toMatch(/^kept the current model/);

    // The other way round the base model is the better candidate: promoted.
    const back = guard(worse, current, base.alphabet, heldOut, replay.eval);
    expect(back.promoted).toBe(true);
    expect(back.metrics.user.before).toEqual(v.metrics.user.after);
    expect(back.metrics.user.after).toEqual(v.metrics.user.before);
    expect(back.reason).toMatch(/^promoted: /);

    // From a personal model, forgetting counts from the base model, scored on the same replay set.
    const anchored = guard(worse, current, base.alphabet, heldOut, replay.eval, DEFAULT_GUARD, current);
    expect(anchored.metrics.replay!.base).toEqual(v.metrics.replay!.before);
    expect(anchored.metrics.replay!.before).toEqual(v.metrics.replay!.after);
    expect(v.metrics.replay!.base).toEqual(v.metrics.replay!.before);

    // Without held-back corrections nothing is promoted, however good.
    const empty = guard(worse, current, base.alphabet, heldOut.pick([]), replay.eval);
    expect(empty.promoted).toBe(false);
    current.dispose();
    worse.dispose();
  });

  it('decodes as dictation writes finals when given the language model, and says so', () => {
    const current = loadCheckpointModel(base);
    const worse = damaged(0.15);
    const lm = new WordLm(buildLanguageModel(SENTENCES, [], { order: 3, minCount: [1, 1] }).arpa);
    const lmDecoding = { lm, vocabulary: vocabularyTrie(lm, base.alphabet) };
    const decoded: string[] = [];
    const decode = (logProbs: Float32Array, T: number) => {
      const text = beamSearch(
        logProbs,
        T,
        base.alphabet,
        null,
        { beamWidth: LM_BEAM_WIDTH },
        lmDecoding,
      ).text;
      decoded.push(text);
      return text;
    };
    const how = { kind: 'language model', decode } as const;
    const scores: GuardScores = new Map();
    const v = guard(current, worse, base.alphabet, heldOut, replay.eval, DEFAULT_GUARD, null, how, scores);
    // Both models, both sets: every utterance went through the LM's decoding, which writes only its words.
    const perModel = heldOut.items.length + replay.eval.items.length;
    expect(decoded).toHaveLength(2 * perModel);
    // Only the last word may be unfinished: a clip cut off mid-word leaves every prefix inside a word,
    // and the search then writes the best as it stands (beam-search.ts), a beginning of one of its words.
    for (const text of decoded) {
      const words = text.split(' ').filter(Boolean);
      for (const w of words.slice(0, -1)) expect([w, lm.id(w) >= 0]).toEqual([w, true]);
      const last = words.at(-1);
      if (last) expect([last, lm.words.some((x) => x.startsWith(last))]).toEqual([last, true]);
    }
    expect(v.metrics.decoding).toBe('language model');
    expect(v.promoted).toBe(false);
    expect(v.reason).toMatch(/held-back corrections \(decoded with the language model\)/);
    // A second candidate judged with the same scores: only it is decoded; the current model's scores are reused.
    const slightly = damaged(0.05);
    const second = guard(
      current,
      slightly,
      base.alphabet,
      heldOut,
      replay.eval,
      DEFAULT_GUARD,
      null,
      how,
      scores,
    );
    expect(decoded).toHaveLength(3 * perModel);
    expect(second.metrics.user.before).toEqual(v.metrics.user.before);
    expect(second.metrics.replay!.before).toEqual(v.metrics.replay!.before);
    expect(scores.size).toBe(3);
    const greedy = guard(current, worse, base.alphabet, heldOut, replay.eval);
    expect(greedy.metrics.decoding).toBe('greedy');
    expect(greedy.reason).not.toMatch(/language model/);
    current.dispose();
    worse.dispose();
    slightly.dispose();
  });
});
