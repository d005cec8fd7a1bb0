// The personal fine-tuning benchmark's table: relative changes, the curve, and which model's numbers count
// (the fine-tuned one only when the guard promoted it).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PERSONAL_BENCH,
  type FinetuneJson,
  type PersonalBenchResult,
  type PersonalRun,
  personalSection,
  relativeChange,
} from '../../bench/personal.js';
import type { Row } from '../../bench/report.js';

const score = (wer: number, utterances = 30) => ({ wer, cer: wer / 2, utterances, skipped: 0 });

function finetune(n: number, promoted: boolean, extra: Partial<FinetuneJson> = {}): FinetuneJson {
  const trainPairs = n - Math.ceil(n / 5);
  return {
    status: promoted ? 'promoted' : 'rejected',
    promoted,
    reason: promoted ? 'promoted: word errors fell' : 'kept the current model',
    model: '/m',
    out: promoted ? `/tmp/model-${n}` : null,
    user: { before: { wer: 0.9, cer: 0.5, utterances: 6 }, after: { wer: 0.6, cer: 0.3, utterances: 6 } },
    replay: {
      before: { wer: 0.8, cer: 0.4, utterances: 40 },
      after: { wer: 0.84, cer: 0.42, utterances: 40 },
    },
    lexicon: null,
    training: {
      steps: 50,
      bestStep: 25,
      stopped: 'early',
      recipe: 'corrections',
      speechSeconds: 3 * trainPairs,
      userUtterances: trainPairs,
      replayUtterances: trainPairs,
    },
    trainPairs,
    heldOutPairs: n - trainPairs,
    skipped: [],
    warnings: [],
    seconds: 50,
    peakRssBytes: 600e6,
    ...extra,
  };
}

function run(n: number, promoted: boolean, userWer: number, otherWer: number, extra = {}): PersonalRun {
  return {
    corrections: n,
    finetune: finetune(n, promoted, extra),
    wallSeconds: 60,
    inUse: promoted ? 'fine-tuned' : 'starting',
    user: score(userWer),
    other: score(otherWer),
    // With the language model, words come out better: here at 60% of the greedy WER.
    userLm: score(userWer * 0.6),
    otherLm: score(otherWer * 0.5),
  };
}

function result(runs: PersonalRun[]): PersonalBenchResult {
  const { keep: _keep, ...config } = DEFAULT_PERSONAL_BENCH;
  return {
    config,
    model: { dir: 'models/base', description: '"Attune base model (English)", training step 3500' },
    sentences: { train: ['A B C D'], test: ['E F G H'], pool: 1643, failed: 0, textSha256: 'ab'.repeat(32) },
    tools: { flite: 'flite-2.2', sox: 'SoX v14.4.2' },
    base: { user: score(0.8), other: score(0.5), userLm: score(0.48), otherLm: score(0.25) },
    runs,
    elapsedSeconds: 300,
  };
}

const row = (rows: Row[], start: string): Row => {
  const r = rows.find((x) => x.name.startsWith(start));
  if (!r)
    throw new Error(`no row starting ${JSON.stringify(start)} in ${rows.map((x) => x.name).join(' | ')}`);
  return r;
};

describe('relativeChange', () => {
  it('is the change relative to the starting value, in percent', () => {
    expect(relativeChange(0.8, 0.4)).toBeCloseTo(-50);
    expect(relativeChange(0.5, 0.55)).toBeCloseTo(10);
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 0.1)).toBe(Infinity);
  });
});

describe('personalSection', () => {
  it('reports the curve and the relative changes at the most corrections', () => {
    const s = personalSection(result([run(5, false, 0.8, 0.5), run(30, true, 0.4, 0.52)]));
    expect(row(s.rows, 'user WER, starting model').value).toBeCloseTo(80);
    expect(row(s.rows, 'user WER after 5 corrections (kept the starting model)').value).toBeCloseTo(80);
    expect(row(s.rows, 'user WER after 30 corrections (promoted)').value).toBeCloseTo(40);
    const drop = row(s.rows, 'relative WER drop for the user after 30');
    expect(drop.value).toBeCloseTo(50);
    expect(drop.target).toEqual({ compare: '≥', value: 30 });
    // As dictation writes it, with the language model: 48% → 24%.
    expect(row(s.rows, 'user WER as dictation writes it').value).toBeCloseTo(48);
    expect(row(s.rows, 'user WER with the language model after 30').value).toBeCloseTo(24);
    expect(row(s.rows, 'relative WER drop for the user after 30 corrections, with').value).toBeCloseTo(50);
    // Promoted: the candidate's replay score is the one in use (0.8 → 0.84 is a 5% rise).
    expect(row(s.rows, 'replay WER after 30').value).toBeCloseTo(84);
    expect(row(s.rows, 'replay WER relative rise').value).toBeCloseTo(5);
    expect(row(s.rows, 'other-voice WER relative rise').value).toBeCloseTo(4);
    // The other voice as dictation writes it: 25% → 26%, a 4% rise, judged against the same target.
    expect(row(s.rows, 'other-voice WER with the language model, starting').value).toBeCloseTo(25);
    expect(row(s.rows, 'other-voice WER with the language model after 30').value).toBeCloseTo(26);
    const otherLm = row(s.rows, 'other-voice WER relative rise, with the language model');
    expect(otherLm.value).toBeCloseTo(4);
    expect(otherLm.target).toEqual({ compare: '≤', value: 10 });
    expect(row(s.rows, 'fine-tuning wall time, 30 corrections').value).toBe(60);
    expect(row(s.rows, 'peak RSS of the fine-tuning process, 30').value).toBeCloseTo(600);
    expect(s.rows.some((r) => r.name.includes('lexicon'))).toBe(false);
    expect(s.title).toContain('models/base');
    expect(s.notes[0]).toContain('step 3500');
    expect(s.notes.some((n) => n.startsWith('30 corrections: trained on 24, held back 6'))).toBe(true);
  });

  it('counts the starting model when the guard kept it, and shows the lexicon effect when measured', () => {
    const lexicon = {
      words: 7,
      greedy: { wer: 0.9, cer: 0.5, utterances: 6 },
      boosted: { wer: 0.7, cer: 0.45, utterances: 6 },
      languageModel: {
        plain: { wer: 0.6, cer: 0.4, utterances: 6 },
        boosted: { wer: 0.5, cer: 0.35, utterances: 6 },
      },
    };
    const s = personalSection(result([run(30, false, 0.8, 0.5, { lexicon })]));
    expect(row(s.rows, 'relative WER drop').value).toBeCloseTo(0);
    // Kept: replay stays at the starting model's score whatever the rejected candidate did.
    expect(row(s.rows, 'replay WER after 30').value).toBeCloseTo(80);
    expect(row(s.rows, 'replay WER relative rise').value).toBeCloseTo(0);
    expect(row(s.rows, 'held-back WER at 30, greedy').value).toBeCloseTo(90);
    expect(row(s.rows, 'held-back WER at 30, lexicon-boosted (7 words)').value).toBeCloseTo(70);
    expect(row(s.rows, 'held-back WER at 30, language model').value).toBeCloseTo(60);
    expect(row(s.rows, 'held-back WER at 30, language model and lexicon').value).toBeCloseTo(50);
  });

  it('leaves replay rows unmeasured when the model has no replay set', () => {
    const s = personalSection(result([run(30, true, 0.4, 0.5, { replay: null })]));
    expect(row(s.rows, 'replay WER relative rise').value).toBeNull();
  });
});
