// evaluate(): hypotheses are the greedy decoding of each utterance's own log-probs; the scores are the
// corpus-level error rates of those hypotheses; batching never changes the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcousticModel, initParams } from '../../src-main/model/acoustic.js';
import { type AcousticConfig, outputFrameMs } from '../../src-main/model/config.js';
import { englishAlphabet, normalizeText } from '../../src-main/speech/alphabet.js';
import { greedyDecode } from '../../src-main/speech/decode.js';
import { CorpusScorer } from '../../src-main/speech/metrics.js';
import { type EvalItem, evaluate } from '../../src-main/training/evaluate.js';
import { offlineLogProbs, randomFeatures, SMALL, useBackend } from './helpers-tf.js';

const CFG: AcousticConfig = { ...SMALL, vocabSize: 29 };
const F = CFG.featureBins;
const alphabet = englishAlphabet();

const TEXTS = [
  'Hello, World!',
  "It's 3 o'clock.",
  'the cat sat on the mat',
  'A',
  '',
  'Open the door — please?',
  'see you later',
];
const SPEAKERS = ['carol', 'alice', 'bob'];

function items(): EvalItem[] {
  const lengths = [120, 64, 300, 1, 40, 9, 201, 150, 77, 3, 230];
  return lengths.map((frames, k) => {
    const data = randomFeatures(frames, F, 50 + k);
    return {
      id: `u${k}`,
      speaker: SPEAKERS[k % SPEAKERS.length],
      text: TEXTS[k % TEXTS.length],
      frames,
      features: () => data.slice(),
    };
  });
}

/** A model whose head ignores its input and always favours `cls`. */
function forced(cls: number): AcousticModel {
  const w = initParams(CFG, 1);
  w.get('head.weight')!.fill(0);
  const bias = new Float32Array(CFG.vocabSize);
  bias[cls] = 20;
  w.set('head.bias', bias);
  return new AcousticModel(CFG, w);
}

describe('evaluate', () => {
  const models: AcousticModel[] = [];
  beforeAll(() => useBackend('wasm'));
  afterAll(() => models.forEach((m) => m.dispose()));

  it('scores an all-blank model as deleting every reference character and word', () => {
    const model = forced(alphabet.blank);
    models.push(model);
    const its = items();
    const r = evaluate(model, alphabet, its);
    expect(r.hypotheses.every((h) => h.hyp === '')).toBe(true);
    const refChars = its.reduce((s, it) => s + normalizeText(it.text).length, 0);
    const refWords = its.reduce((s, it) => s + normalizeText(it.text).split(' ').filter(Boolean).length, 0);
    expect(r.chars.deletions).toBe(refChars);
    expect(r.chars.refLength).toBe(refChars);
    expect(r.words.deletions).toBe(refWords);
    expect(r.cer).toBe(1);
    expect(r.wer).toBe(1);
  });

  it("scores a model that always says 'a' as hypothesis 'a' for every utterance with output frames", () => {
    const a = alphabet.index.get('a')!;
    const model = forced(a);
    models.push(model);
    const its = items();
    const r = evaluate(model, alphabet, its);
    const check = new CorpusScorer();
    its.forEach((it, k) => {
      const hyp = r.hypotheses[k];
      expect(hyp.id).toBe(it.id);
      expect(hyp.hyp).toBe('a'); // every frame 'a', merged into one character
      expect(hyp.ref).toBe(normalizeText(it.text, alphabet));
      check.add(hyp.ref, 'a');
    });
    expect(r.cer).toBe(check.cer.rate);
    expect(r.wer).toBe(check.wer.rate);
  });

  it('decodes each utterance as its own greedy decoding and scores exactly those hypotheses', () => {
    const model = new AcousticModel(CFG, initParams(CFG, 5));
    models.push(model);
    const its = items();
    const r = evaluate(model, alphabet, its);
    expect(r.utterances).toBe(its.length);
    const total = new CorpusScorer();
    const bySpeaker = new Map<string, CorpusScorer>();
    its.forEach((it, k) => {
      const lp = offlineLogProbs(model, it.features(), it.frames, F);
      const want = greedyDecode(lp.data, lp.frames, alphabet, { frameMs: outputFrameMs(CFG) }).text;
      const h = r.hypotheses[k];
      expect(h).toMatchObject({ id: it.id, speaker: it.speaker, hyp: want });
      const s = total.add(h.ref, h.hyp);
      expect(h.wer).toBe(s.wer.rate);
      if (!bySpeaker.has(it.speaker)) bySpeaker.set(it.speaker, new CorpusScorer());
      bySpeaker.get(it.speaker)!.add(h.ref, h.hyp);
    });
    // A random model says something: the comparison is not trivially between empty strings.
    expect(r.hypotheses.some((h) => h.hyp.length > 3)).toBe(true);
    expect(r.wer).toBe(total.wer.rate);
    expect(r.cer).toBe(total.cer.rate);
    expect(r.words).toEqual(total.wer);
    expect(r.chars).toEqual(total.cer);
    // Per speaker: sorted, counts add up, rates are each speaker's own corpus rates.
    expect(r.speakers.map((s) => s.speaker)).toEqual([...SPEAKERS].sort());
    expect(r.speakers.reduce((s, x) => s + x.utterances, 0)).toBe(its.length);
    for (const s of r.speakers) {
      const mine = bySpeaker.get(s.speaker)!;
      expect(s.utterances).toBe(its.filter((it) => it.speaker === s.speaker).length);
      expect(s.wer).toBe(mine.wer.rate);
      expect(s.cer).toBe(mine.cer.rate);
    }
  });

  it('gives the same result whatever the batch size', () => {
    const model = new AcousticModel(CFG, initParams(CFG, 6));
    models.push(model);
    const its = items();
    const one = evaluate(model, alphabet, its, { maxBatchFrames: 1 }); // one utterance per batch
    for (const maxBatchFrames of [350, 1000, 1e9]) {
      expect(evaluate(model, alphabet, its, { maxBatchFrames })).toEqual(one);
    }
  });

  it('handles an empty item list', () => {
    const model = models[0];
    const r = evaluate(model, alphabet, []);
    expect(r.utterances).toBe(0);
    expect(r.hypotheses).toEqual([]);
    expect(r.speakers).toEqual([]);
  });
});
