// The PyTorch recipe computes what Attune computes: the same log-mel from a real clip, and the same logits from
// the same weights in both directions (an Attune folder read by PyTorch; a folder PyTorch writes read by
// Attune), on a real LibriVox clip.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../src-main/model/model-io.js';
import { DEFAULT_ACOUSTIC } from '../../../src-main/model/config.js';
import { logMel } from '../../../src-main/speech/features.js';
import { computeFeatures } from '../../../src-main/speech/front-end.js';
import { parseWav } from '../../../src-main/speech/wav.js';
import { maxAbsDiff, useBackend } from '../../training/helpers-tf.js';
import {
  clipPath,
  librivoxClips,
  missingPrerequisite,
  python,
  readF32,
  RECIPE,
  ROOT,
  writeF32,
} from './helpers.js';

const missing = missingPrerequisite();
const dir = mkdtempSync(join(tmpdir(), 'attune-torch-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The logits of a loaded Attune model on one utterance's features: [T', V] row-major. */
function attuneLogits(modelDir: string, features: Float32Array, frames: number): Float32Array {
  const { model } = loadModel(modelDir);
  try {
    const input = tf.tensor3d(features, [1, frames, model.config.featureBins]);
    const { logits } = model.forward(input, [frames]);
    const out = logits.dataSync() as Float32Array;
    input.dispose();
    logits.dispose();
    return out;
  } finally {
    model.dispose();
  }
}

function samples(name: string): Float32Array {
  return parseWav(readFileSync(clipPath(name)), name).mono;
}

describe.skipIf(missing !== null)(
  `PyTorch recipe parity with Attune${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    beforeAll(() => useBackend('wasm'));
    const clip = librivoxClips()[0].name;

    it('computes the same log-mel from a real clip (features.py vs src-main/speech/features.ts)', async () => {
      const out = join(dir, 'mel.f32');
      const run = await python(join(RECIPE, 'features.py'), [clipPath(clip), out]);
      expect(run.code, run.stderr).toBe(0);
      const theirs = readF32(out);
      const ours = logMel(samples(clip));
      expect(theirs.length).toBe(ours.data.length);
      // torchaudio runs its FFT in float32: bins far below the speech (power < e^-10) carry its rounding, about
      // 1e-3 in log units; everywhere the speech is, the two agree to 1e-4.
      let loud = 0;
      for (let i = 0; i < theirs.length; i++)
        if (theirs[i] > -10) loud = Math.max(loud, Math.abs(theirs[i] - ours.data[i]));
      expect(loud).toBeLessThan(2e-4);
      expect(maxAbsDiff(theirs, ours.data)).toBeLessThan(5e-3);
    });

    it('gives the shipped model the same logits as Attune (an Attune folder loaded into PyTorch)', async () => {
      const base = join(ROOT, 'models', 'base');
      const { features } = loadModel(base);
      const feats = computeFeatures(samples(clip), features, base); // [T, F] log-mel and phone features
      writeF32(join(dir, 'base.f32'), feats.data);
      const out = join(dir, 'base-logits.f32');
      const run = await python(join(RECIPE, 'logits.py'), [
        '--model',
        base,
        '--features',
        join(dir, 'base.f32'),
        '--out',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const ours = attuneLogits(base, feats.data, feats.frames);
      const theirs = readF32(out);
      expect(theirs.length).toBe(ours.length);
      expect(maxAbsDiff(theirs, ours)).toBeLessThanOrEqual(1e-4);
    });

    it('writes a folder Attune loads with the same logits (PyTorch weights into Attune)', async () => {
      const mel = logMel(samples(clip));
      writeF32(join(dir, 'mel-in.f32'), mel.data);
      const folder = join(dir, 'fresh');
      const out = join(dir, 'fresh-logits.f32');
      // A shape unlike the shipped one (odd kernel, strides [2, 2], look-ahead in the subsampling), so a
      // layout mistake in any weight cannot hide behind a symmetric shape.
      const config = {
        ...DEFAULT_ACOUSTIC,
        channels: 48,
        blocks: 3,
        kernel: 5,
        subsampleStrides: [2, 2],
        blockRightContext: [1, 0, 2],
      };
      const run = await python(
        join(RECIPE, 'logits.py'),
        [
          ['--fresh', JSON.stringify(config), '--write', folder, '--seed', '7'],
          ['--features', join(dir, 'mel-in.f32'), '--out', out],
        ].flat(),
      );
      expect(run.code, run.stderr).toBe(0);
      const ours = attuneLogits(folder, mel.data, mel.frames);
      const theirs = readF32(out);
      expect(theirs.length).toBe(ours.length);
      expect(maxAbsDiff(theirs, ours)).toBeLessThanOrEqual(1e-4);
      // The logits are not trivially equal (a random model still varies over the clip).
      expect(Math.max(...ours) - Math.min(...ours)).toBeGreaterThan(1);
    });

    it('names the folder and the problem when a model folder is damaged', async () => {
      const folder = join(dir, 'damaged');
      await python(
        join(RECIPE, 'logits.py'),
        [
          ['--fresh', JSON.stringify(DEFAULT_ACOUSTIC), '--write', folder],
          ['--features', join(dir, 'mel-in.f32'), '--out', join(dir, 'unused.f32')],
        ].flat(),
      );
      const weights = readFileSync(join(folder, 'model.safetensors'));
      writeFileSync(join(folder, 'model.safetensors'), weights.subarray(0, weights.length / 2));
      const run = await python(join(RECIPE, 'logits.py'), [
        '--model',
        folder,
        '--features',
        join(dir, 'mel-in.f32'),
        '--out',
        join(dir, 'unused.f32'),
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`model folder ${folder}:`);
      expect(run.stderr).toContain('model.safetensors');
      expect(run.stderr).not.toContain('Traceback');
    });
  },
);
