import type { ModelFolder } from './checkpoint.js';
import { configProblems } from './config.js';

/**
 * Changing a trained model's output frame rate (its subsampling strides) without starting over. No weight
 * changes shape: the subsampling convolutions read the same neighbouring frames, only further apart, and the
 * blocks work on frames that each stand for more audio. A block that looked one frame ahead now looks one
 * longer frame ahead, so the model's look-ahead grows with the frame (cut it after with limitLookAhead).
 * The restrided model starts out hearing speech at the wrong pace, as if sped up by the stride ratio;
 * fine-tuning teaches it the new one far sooner than a fresh model learns everything.
 */
export function restrideModel(folder: ModelFolder, strides: [number, number]): ModelFolder {
  const from = folder.acoustic;
  if (from.subsampleStrides[0] === strides[0] && from.subsampleStrides[1] === strides[1]) return folder;
  const acoustic = { ...from, subsampleStrides: [strides[0], strides[1]] as [number, number] };
  const problems = configProblems(acoustic);
  if (problems.length > 0)
    throw new Error(`cannot give the model subsampling strides ${strides.join(',')}: ${problems.join('; ')}`);
  return { ...folder, acoustic };
}
