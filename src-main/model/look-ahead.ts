import type { ModelFolder } from './checkpoint.js';
import { causalFromTop, configProblems, lookAheadMs } from './config.js';

/**
 * Cutting a trained model's look-ahead (its streaming latency) without starting over. The last blocks
 * that look ahead become causal until the model waits for at most `maxMs` of audio. A block's depthwise
 * taps keep the time offsets they were trained at: the taps that looked into the future are dropped and
 * the new taps further in the past start at 0. A model whose future taps were already 0 is unchanged
 * by this; a trained one loses what those taps added, and fine-tuning lets the rest make up for it.
 */
export function limitLookAhead(folder: ModelFolder, maxMs: number): ModelFolder {
  const from = folder.acoustic;
  if (lookAheadMs(from) <= maxMs) return folder;
  const acoustic = causalFromTop(from, maxMs);
  if (lookAheadMs(acoustic) > maxMs)
    throw new Error(
      `the model's look-ahead cannot be cut to ${maxMs} ms: its subsampling alone looks ${lookAheadMs(acoustic)} ms ahead`,
    );
  const problems = configProblems(acoustic);
  if (problems.length > 0) throw new Error(`cannot limit the model's look-ahead: ${problems.join('; ')}`);

  const weights = new Map(folder.weights);
  const K = from.kernel;
  const C = from.channels;
  for (let b = 0; b < from.blocks; b++) {
    const shift = from.blockRightContext[b] - acoustic.blockRightContext[b];
    if (shift === 0) continue;
    const name = `blocks.${b}.depthwise`;
    const old = folder.weights.get(name);
    if (!old || old.length !== K * C) throw new Error(`the model has no ${K}×${C} weight ${name}`);
    // [K, C]: tap k reads the frame at offset k − (K − 1 − right). The same offset is tap k + shift now.
    const taps = new Float32Array(K * C);
    taps.set(old.subarray(0, (K - shift) * C), shift * C);
    weights.set(name, taps);
  }
  return { ...folder, acoustic, weights };
}
