import * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from '../model/acoustic.js';
import { outputFrameMs } from '../model/config.js';
import { type Alphabet, normalizeText } from '../speech/alphabet.js';
import { spokenForm } from '../speech/phone-spelling.js';
import { greedyDecode } from '../speech/decode.js';
import { CorpusScorer, type ErrorRate } from '../speech/metrics.js';

/** One utterance to score: raw log-mel [frames, bins] and its reference transcript. */
export interface EvalItem {
  id: string;
  speaker: string;
  text: string;
  frames: number;
  features: () => Float32Array;
}

export interface EvalConfig {
  /** Padded frames per forward batch (memory bound). */
  maxBatchFrames: number;
  /**
   * Turns one utterance's log-probabilities [T, V] into text; null: greedy decoding (what training
   * measures: the acoustic model alone).
   */
  decode: ((logProbs: Float32Array, T: number) => string) | null;
}

export const DEFAULT_EVAL: EvalConfig = { maxBatchFrames: 12000, decode: null };

export interface EvalResult {
  wer: number;
  cer: number;
  words: ErrorRate;
  chars: ErrorRate;
  utterances: number;
  /** Per speaker, sorted by id. */
  speakers: { speaker: string; utterances: number; wer: number; cer: number }[];
  /** Per utterance hypotheses (for inspection and reports). */
  hypotheses: { id: string; speaker: string; ref: string; hyp: string; wer: number }[];
}

/**
 * Decodes every item (greedy unless config.decode says otherwise) and scores it against its normalised reference. One function serves
 * every split (dev during training, test sets, a user's held-back corrections).
 */
export function evaluate(
  model: AcousticModel,
  alphabet: Alphabet,
  items: readonly EvalItem[],
  config: Partial<EvalConfig> = {},
): EvalResult {
  const cfg = { ...DEFAULT_EVAL, ...config };
  const frameMs = outputFrameMs(model.config);
  const hyps = new Array<string>(items.length);
  forEachLogProbs(model, items, cfg.maxBatchFrames, (k, rows, T) => {
    hyps[k] = cfg.decode ? cfg.decode(rows, T) : greedyDecode(rows, T, alphabet, { frameMs }).text;
  });
  const total = new CorpusScorer();
  const bySpeaker = new Map<string, CorpusScorer>();
  const hypotheses: EvalResult['hypotheses'] = [];
  items.forEach((it, k) => {
    // Greedy output is in the model's units (phones for a phone model); a decoder writes words.
    const ref = cfg.decode ? normalizeText(it.text, alphabet) : spokenForm(it.text, alphabet).text;
    const r = total.add(ref, hyps[k]);
    if (!bySpeaker.has(it.speaker)) bySpeaker.set(it.speaker, new CorpusScorer());
    bySpeaker.get(it.speaker)!.add(ref, hyps[k]);
    hypotheses.push({ id: it.id, speaker: it.speaker, ref, hyp: hyps[k], wer: r.wer.rate });
  });
  return {
    wer: total.wer.rate,
    cer: total.cer.rate,
    words: total.wer,
    chars: total.cer,
    utterances: items.length,
    speakers: [...bySpeaker.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([speaker, s]) => ({ speaker, utterances: s.words.utterances, wer: s.wer.rate, cer: s.cer.rate })),
    hypotheses,
  };
}

/**
 * Runs the model over the items, batched by similar length up to `maxBatchFrames` padded frames, and hands
 * each item's log-probabilities to `use` (k: the item's index; logProbs [T, V], valid only during the call).
 */
export function forEachLogProbs(
  model: AcousticModel,
  items: readonly EvalItem[],
  maxBatchFrames: number,
  use: (k: number, logProbs: Float32Array, T: number) => void,
): void {
  const F = model.config.featureBins;
  const order = items.map((_, i) => i).sort((a, b) => items[a].frames - items[b].frames);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && items[order[end]].frames * (end - start + 1) <= maxBatchFrames) end++;
    const idx = order.slice(start, end);
    const Tmax = items[idx[idx.length - 1]].frames;
    const batch = new Float32Array(idx.length * Tmax * F); // [B, Tmax, F]
    idx.forEach((k, b) => batch.set(items[k].features(), b * Tmax * F));
    const lengths = idx.map((k) => items[k].frames);
    const x = tf.tensor3d(batch, [idx.length, Tmax, F]);
    const { logProbs, lengths: outLens } = model.logProbs(x, lengths);
    x.dispose();
    const data = logProbs.dataSync() as Float32Array;
    const [, T, V] = logProbs.shape;
    logProbs.dispose();
    idx.forEach((k, b) => use(k, data.subarray(b * T * V, (b * T + outLens[b]) * V), outLens[b]));
    start = end;
  }
}
