// The judging phase of personal fine-tuning alone: a model trained here on the user's clips without any
// replay (so it learns the voice and forgets general speech) is judged against the fixture's tiny base
// model, stepping back along the line between them while it forgets too much.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcousticModel } from '../../src-main/model/acoustic.js';
import { loadModelFolder, type ModelFolder } from '../../src-main/model/checkpoint.js';
import { interpolateWeights } from '../../src-main/model/interpolate.js';
import { loadCheckpointModel } from '../../src-main/model/model-io.js';
import { writeArpa } from '../../src-main/speech/arpa.js';
import { type GuardConfig, guard, type GuardVerdict } from '../../src-main/training/guard.js';
import { buildLanguageModel } from '../../src-main/training/language-model.js';
import { loadUtterances, type MemoryFeatures } from '../../src-main/training/memory-features.js';
import { DEFAULT_OPTIMIZER } from '../../src-main/training/optimizer.js';
import { DEFAULT_PERSONALIZE } from '../../src-main/training/personalize-config.js';
import { jobRunDir, type PersonalizeJob } from '../../src-main/training/personalize-job.js';
import {
  guardDecoding,
  jobLanguageModel,
  judgeTrained,
  judgeWithBackOff,
} from '../../src-main/training/personalize-judge.js';
import type { TrainingMix } from '../../src-main/training/personalize-mix.js';
import { loadReplay, type ReplaySet } from '../../src-main/training/replay.js';
import { train } from '../../src-main/training/train.js';
import { useBackend } from './helpers-tf.js';
import { type PersonalFixture, personalFixture, SENTENCES } from './personal-fixture.js';

let f: PersonalFixture;
let root: string;
let parent: ModelFolder;
let trained: ModelFolder;
let current: AcousticModel;
let user: MemoryFeatures;
let heldOut: MemoryFeatures;
let replay: ReplaySet;
/** The job whose run/best is `trained`. */
let workDir: string;

beforeAll(async () => {
  await useBackend('wasm');
  f = await personalFixture();
  root = mkdtempSync(join(tmpdir(), 'attune-personalize-judge-'));
  parent = loadModelFolder(f.baseDir);
  user = (
    await loadUtterances(
      f.user.filter((u) => !u.id.startsWith('201-3-')),
      parent.features,
    )
  ).set;
  heldOut = (
    await loadUtterances(
      f.user.filter((u) => u.id.startsWith('201-3-')),
      parent.features,
    )
  ).set;
  replay = loadReplay(f.baseDir, parent.features).replay!;
  workDir = join(root, 'job');
  const steps = 100;
  const r = await train(
    { train: user, dev: user },
    {
      runDir: jobRunDir(workDir),
      acoustic: parent.acoustic,
      initFrom: f.baseDir,
      optimizer: {
        ...DEFAULT_OPTIMIZER,
        learningRate: 3e-3,
        warmupSteps: 5,
        decay: 'constant',
        totalSteps: steps,
        weightDecay: 0,
      },
      augment: null,
      batches: { maxFrames: 1600, maxUtterances: 8, maxUtteranceFrames: 2000 },
      steps,
      evalEvery: 25,
      checkpointEvery: steps,
      seed: 1,
    },
  );
  r.model.dispose();
  trained = loadModelFolder(join(jobRunDir(workDir), 'best'));
  current = loadCheckpointModel(parent);
}, 120_000);
afterAll(() => {
  current?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const LENIENT: GuardConfig = { minUserWerGain: 0, replayMarginRelative: 0, replayMarginWer: 1 };
const GREEDY = { kind: 'greedy' } as const;
const pct = (x: number) => `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;

/** The guard's verdict on one share of the trained change, judged on its own. */
function verdictAt(share: number, config: GuardConfig): GuardVerdict {
  const model = loadCheckpointModel(share === 1 ? trained : interpolateWeights(parent, trained, share));
  try {
    return guard(current, model, parent.alphabet, heldOut, replay.eval, config, null);
  } finally {
    model.dispose();
  }
}

async function judged(backOff: number[], config: GuardConfig, folder: ModelFolder = trained) {
  let judgedShares = 0;
  const r = await judgeWithBackOff(
    { current, base: null, parent, trained: folder },
    { heldOut, replay: replay.eval },
    { guard: config, backOff },
    GREEDY,
    async () => void judgedShares++,
  );
  try {
    const weights = new Map([...r.candidate.weights()].map(([name, w]) => [name, w.slice()]));
    return { ...r, judgedShares, weights };
  } finally {
    r.candidate.dispose();
  }
}

describe('judgeWithBackOff', () => {
  it('promotes the whole change when it learnt the voice within the margin, judging nothing more', async () => {
    const r = await judged([1, 0.5], LENIENT);
    const m = r.verdict.metrics;
    expect(m.user.after.wer).toBeLessThan(m.user.before.wer);
    expect(r.verdict.promoted).toBe(true);
    expect(r.verdict.reason).toMatch(/^promoted: [^(]*\([^)]*\)$/); // no step back to speak of
    expect(r.kept).toBe(1);
    expect(r.judgedShares).toBe(1);
    for (const [name, w] of trained.weights) expect(r.weights.get(name), name).toEqual(w);
  });

  it('steps back towards the current model while the trained one forgets too much', async () => {
    // A margin of 60% of what the whole change forgot: the whole change fails, smaller shares are tried.
    const whole = verdictAt(1, LENIENT).metrics;
    const forgot = whole.replay!.after.wer - whole.replay!.before.wer;
    expect(forgot).toBeGreaterThan(0);
    const margin: GuardConfig = { ...LENIENT, replayMarginWer: forgot * 0.6 };
    const backOff = [1, 0.5, 0.2];
    const r = await judged(backOff, margin);
    console.log(`back-off: ${r.verdict.reason}`);
    expect(r.verdict.promoted).toBe(true);
    expect(r.kept).toBeLessThan(1);
    expect(r.judgedShares).toBe(backOff.indexOf(r.kept) + 1);
    // The verdict is the guard's on the share kept, which is exactly that point between the two models.
    const alone = verdictAt(r.kept, margin);
    expect(r.verdict.metrics).toEqual(alone.metrics);
    expect(r.verdict.promoted).toBe(alone.promoted);
    const point = interpolateWeights(parent, trained, r.kept);
    for (const [name, w] of point.weights) expect(r.weights.get(name), name).toEqual(w);
    // Its reason names each larger share with the replay WER that made it too much.
    const larger = backOff.slice(0, backOff.indexOf(r.kept));
    const named = larger.map((s) => `${pct(s)}: ${pct(verdictAt(s, margin).metrics.replay!.after.wer)}`);
    expect(r.verdict.reason).toBe(
      `${alone.reason} (with ${pct(r.kept)} of the fine-tuning's change; more of it forgot too much general ` +
        `speech, replay word errors with ${named.join(', ')})`,
    );
  });

  it('keeps the current model when every share forgets too much', async () => {
    const none: GuardConfig = { minUserWerGain: 0, replayMarginRelative: 0, replayMarginWer: 0 };
    const last = verdictAt(0.9, none);
    expect(last.forgot).toBe(true);
    const r = await judged([1, 0.9], none);
    expect(r.verdict).toMatchObject({ promoted: false, forgot: true });
    expect(r.kept).toBe(0.9);
    expect(r.judgedShares).toBe(2);
    const whole = pct(verdictAt(1, none).metrics.replay!.after.wer);
    expect(r.verdict.reason).toBe(
      `${last.reason} (with 90% of the fine-tuning's change; more of it forgot too much general speech, ` +
        `replay word errors with 100%: ${whole})`,
    );
  });

  it('rejects a change that does not help the user without stepping back', async () => {
    const r = await judged([1, 0.5], LENIENT, parent);
    expect(r.verdict).toMatchObject({ promoted: false, forgot: false });
    expect(r.verdict.reason).toMatch(/^kept the current model: .* does not improve on the current [\d.]+%$/);
    expect(r.kept).toBe(1);
    expect(r.judgedShares).toBe(1);
  });

  it('refuses back-off shares that are not in (0, 1], largest first', async () => {
    await expect(judged([0.5, 1], LENIENT)).rejects.toThrow(/largest first/);
  });
});

describe('judgeTrained', () => {
  function mix(): TrainingMix {
    return {
      config: { ...DEFAULT_PERSONALIZE, guard: LENIENT, backOff: [1] },
      recipe: 'corrections',
      speechSeconds: user.totalFrames / 100,
      user,
      heldOut,
      replay: replay.train,
      replayEval: replay.eval,
      train: user.concat(replay.train),
      skipped: [],
      warnings: [],
    };
  }
  function job(patch: Partial<PersonalizeJob> = {}): PersonalizeJob {
    return {
      workDir,
      parentDir: f.baseDir,
      outDir: join(root, 'out'),
      label: 'personal 1',
      train: [],
      heldOut: [],
      ...patch,
    };
  }

  it('judges the job’s best model and measures the lexicon with the model in use', async () => {
    const lmPath = join(root, 'sentences.arpa');
    writeArpa(lmPath, buildLanguageModel(SENTENCES, [], { order: 3, minCount: [1, 1] }).arpa);
    const r = await judgeTrained(job({ languageModel: lmPath, lexicon: ['morning', 'door'] }), parent, mix());
    try {
      expect(r.warnings).toEqual([]);
      expect(r.kept).toBe(1);
      expect(r.verdict.metrics.decoding).toBe('language model');
      expect(r.verdict.metrics.user.before.utterances).toBe(6);
      // Forgetting counts from the parent itself: it is the replay set's owner.
      expect(r.verdict.metrics.replay!.base).toEqual(r.verdict.metrics.replay!.before);
      expect(r.lexicon).toMatchObject({ words: 2 });
      expect(r.lexicon!.languageModel).toBeDefined();
      for (const [name, w] of trained.weights) expect(r.candidate.weights().get(name), name).toEqual(w);
    } finally {
      r.candidate.dispose();
    }
  });

  it('measures greedily, with a warning, when the language model cannot be read', async () => {
    const r = await judgeTrained(job({ languageModel: join(root, 'missing.arpa') }), parent, mix());
    r.candidate.dispose();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^measured without the language model: /);
    expect(r.verdict.metrics.decoding).toBe('greedy');
    expect(r.lexicon).toBeNull(); // no lexicon words
  });

  it('counts forgetting from the base model when the parent is a personal one', async () => {
    // The trained model as the parent of another round: the base model's replay WER is the margin's start.
    const r = await judgeTrained(
      job({ parentDir: join(workDir, 'run', 'best'), replayDir: f.baseDir }),
      trained,
      mix(),
    );
    r.candidate.dispose();
    const base = verdictAt(1, LENIENT).metrics.replay!;
    expect(r.verdict.metrics.replay!.base).toEqual(base.before);
    expect(r.verdict.metrics.replay!.before).toEqual(base.after);
  });
});

describe('the guard’s decoding', () => {
  it('is greedy without a language model, with it a beam search', () => {
    expect(guardDecoding(null, parent.alphabet)).toEqual({ kind: 'greedy' });
    expect(jobLanguageModel({}, parent.alphabet, [])).toBeNull();
    const lmPath = join(root, 'decode.arpa');
    writeArpa(lmPath, buildLanguageModel(SENTENCES, [], { order: 3, minCount: [1, 1] }).arpa);
    const warnings: string[] = [];
    const lm = jobLanguageModel({ languageModel: lmPath }, parent.alphabet, warnings);
    expect(warnings).toEqual([]);
    expect(guardDecoding(lm, parent.alphabet).kind).toBe('language model');
  });
});
