// The tfjs CTC op: its value and gradient are exactly the TypeScript reference's (and so PyTorch's), through
// tf.grad, with no tensors left behind.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctcLoss } from '../../src-main/model/ctc-op.js';
import { CtcWorkspace, ctcLossAndGradBatch } from '../../src-main/speech/ctc.js';
import { maxAbsDiff, randomValues, seeded, useBackend } from '../training/helpers-tf.js';

interface BatchFixture {
  B: number;
  Tmax: number;
  C: number;
  blank: number;
  inputLengths: number[];
  targets: number[][];
  logits: string;
  results: { reduction: string; zeroInfinity: boolean; loss: number | string; grad: string }[];
}

/** PyTorch's ctc_loss on a padded batch (test/fixtures/ctc/make_fixtures.py). */
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/ctc/batch.json', import.meta.url), 'utf8'),
) as BatchFixture;

function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

/** A random batch with one utterance whose target cannot fit its frames. */
function randomBatch(seed: number) {
  const [B, T, C, blank] = [4, 30, 9, 3];
  const rand = seeded(seed);
  const lengths = [30, 22, 4, 13];
  const targets = [10, 7, 6, 0].map((L) =>
    Int32Array.from({ length: L }, () => {
      const k = Math.floor(rand() * (C - 1));
      return k >= blank ? k + 1 : k;
    }),
  );
  return { B, T, C, blank, lengths, targets, logits: randomValues(B * T * C, seed, -3, 3) };
}

describe.each(['wasm', 'cpu'] as const)('ctcLoss op on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('gives the reference loss, per-utterance losses and infeasible count', () => {
    const { B, T, C, blank, lengths, targets, logits } = randomBatch(1);
    const want = ctcLossAndGradBatch(logits, B, T, C, lengths, targets, blank);
    expect(want.infeasible).toBe(1); // 6 labels in 4 frames
    const x = tf.tensor3d(logits, [B, T, C]);
    const r = ctcLoss(x, lengths, targets, blank);
    expect(r.infeasible).toBe(1);
    expect(r.loss.dataSync()[0]).toBeCloseTo(want.loss, 5);
    expect([...r.losses]).toEqual([...want.losses]);
    expect(r.losses[2]).toBe(0); // zeroInfinity
    tf.dispose([x, r.loss]);
  });

  it('has exactly the reference gradient through tf.grad, scaled by the upstream gradient', () => {
    for (const reduction of ['mean', 'sum'] as const) {
      const { B, T, C, blank, lengths, targets, logits } = randomBatch(2);
      const want = ctcLossAndGradBatch(logits, B, T, C, lengths, targets, blank, {
        reduction,
        zeroInfinity: true,
      });
      const x = tf.tensor3d(logits, [B, T, C]);
      const g = tf.grad((t: tf.Tensor) =>
        tf.mul(
          ctcLoss(t as tf.Tensor3D, lengths, targets, blank, { reduction, zeroInfinity: true }).loss,
          2.5,
        ),
      )(x);
      const got = g.dataSync() as Float32Array;
      const scaled = want.grad.map((v) => v * 2.5);
      expect(maxAbsDiff(got, scaled), reduction).toBeLessThan(1e-6);
      // Padding frames and the infeasible utterance get no gradient at all.
      for (let b = 0; b < B; b++) {
        const rows = got.subarray(b * T * C, (b + 1) * T * C);
        expect(rows.subarray(lengths[b] * C).every((v) => v === 0)).toBe(true);
      }
      expect(got.subarray(2 * T * C, 3 * T * C).every((v) => v === 0)).toBe(true);
      tf.dispose([x, g]);
    }
  });

  it("matches PyTorch's ctc_loss (reduction='mean', zero_infinity) in value and gradient", () => {
    const { B, Tmax, C, blank, inputLengths, targets } = fixture;
    const ref = fixture.results.find((r) => r.reduction === 'mean' && r.zeroInfinity)!;
    const x = tf.tensor3d(f32(fixture.logits), [B, Tmax, C]);
    let loss = 0;
    const g = tf.grad((t: tf.Tensor) => {
      const r = ctcLoss(t as tf.Tensor3D, inputLengths, targets, blank);
      loss = r.loss.dataSync()[0];
      return r.loss;
    })(x);
    expect(Math.abs(loss - Number(ref.loss)) / Math.abs(Number(ref.loss))).toBeLessThan(1e-5);
    expect(maxAbsDiff(g.dataSync(), f32(ref.grad))).toBeLessThan(1e-5);
    tf.dispose([x, g]);
  });

  it('gives the model gradient of the reference when the logits come from a layer', () => {
    // d loss / d w for logits = x·w equals xᵀ · (d loss / d logits): checks that customGrad chains.
    const { B, T, C, blank, lengths, targets } = randomBatch(3);
    const D = 5;
    const xs = randomValues(B * T * D, 4);
    const ws = randomValues(D * C, 5);
    const logits = new Float32Array(B * T * C);
    for (let r = 0; r < B * T; r++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += xs[r * D + d] * ws[d * C + c];
        logits[r * C + c] = s;
      }
    const dLogits = ctcLossAndGradBatch(logits, B, T, C, lengths, targets, blank).grad;
    const want = new Float32Array(D * C);
    for (let r = 0; r < B * T; r++)
      for (let d = 0; d < D; d++)
        for (let c = 0; c < C; c++) want[d * C + c] += xs[r * D + d] * dLogits[r * C + c];
    const x = tf.tensor2d(xs, [B * T, D]);
    const w = tf.variable(tf.tensor2d(ws, [D, C]));
    const { grads, value } = tf.variableGrads(
      () => ctcLoss(tf.reshape(tf.matMul(x, w), [B, T, C]), lengths, targets, blank).loss,
      [w],
    );
    expect(maxAbsDiff(grads[w.name].dataSync(), want)).toBeLessThan(1e-5);
    tf.dispose([x, w, value, grads]);
  });

  it('leaves no tensors behind, with and without gradient recording', () => {
    const { B, T, C, blank, lengths, targets, logits } = randomBatch(4);
    const x = tf.tensor3d(logits, [B, T, C]);
    const workspace = new CtcWorkspace();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const r = ctcLoss(x, lengths, targets, blank, undefined, workspace);
      r.loss.dispose();
      const g = tf.grad((t: tf.Tensor) => ctcLoss(t as tf.Tensor3D, lengths, targets, blank).loss)(x);
      g.dispose();
      const v = tf.variable(x); // shares x's data
      const vg = tf.variableGrads(
        () => ctcLoss(v as unknown as tf.Tensor3D, lengths, targets, blank).loss,
        [v],
      );
      tf.dispose([vg.value, vg.grads]);
      v.dispose();
      tf.tidy(() => {
        ctcLoss(x, lengths, targets, blank);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
