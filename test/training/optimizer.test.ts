// AdamW and its learning-rate schedule, against a hand computation; clipping; exact resume from state().
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  DEFAULT_OPTIMIZER,
  learningRateAt,
  type OptimizerConfig,
} from '../../src-main/training/optimizer.js';
import { maxAbsDiff, randomValues, useBackend } from './helpers-tf.js';

describe('learningRateAt', () => {
  const cfg: OptimizerConfig = {
    ...DEFAULT_OPTIMIZER,
    learningRate: 1e-3,
    minLearningRate: 1e-5,
    warmupSteps: 100,
    totalSteps: 1100,
  };

  it('warms up linearly from 0 to the peak', () => {
    for (const step of [1, 10, 50, 99, 100])
      expect(learningRateAt(step, cfg)).toBeCloseTo((1e-3 * step) / 100, 12);
    expect(learningRateAt(0, cfg)).toBe(0);
  });

  it('then follows a half cosine down to the minimum at totalSteps, and stays there', () => {
    expect(learningRateAt(101, cfg)).toBeLessThan(1e-3);
    expect(learningRateAt(101, cfg)).toBeGreaterThan(0.99999e-3);
    expect(learningRateAt(600, cfg)).toBeCloseTo((1e-3 + 1e-5) / 2, 12); // half way
    expect(learningRateAt(350, cfg)).toBeCloseTo(
      1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.cos(Math.PI / 4)),
      12,
    );
    expect(learningRateAt(1100, cfg)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(5000, cfg)).toBeCloseTo(1e-5, 12);
    let prev = Infinity;
    for (let s = 100; s <= 1200; s += 25) {
      const lr = learningRateAt(s, cfg);
      expect(lr).toBeLessThanOrEqual(prev);
      prev = lr;
    }
  });

  it("holds the peak after warm-up with 'constant', and starts at the peak without warm-up", () => {
    const constant = { ...cfg, decay: 'constant' as const };
    for (const s of [101, 1000, 1e6]) expect(learningRateAt(s, constant)).toBe(1e-3);
    expect(learningRateAt(1, { ...constant, warmupSteps: 0 })).toBe(1e-3);
    expect(learningRateAt(1, { ...cfg, warmupSteps: 0 })).toBeCloseTo(1e-3, 8);
  });
});

/** AdamW written out in float64 for one parameter tensor: the update the optimizer must make. */
class HandAdamW {
  m: number[];
  v: number[];
  t = 0;
  constructor(
    public p: number[],
    readonly cfg: OptimizerConfig,
    readonly decays: boolean,
  ) {
    this.m = p.map(() => 0);
    this.v = p.map(() => 0);
  }
  step(g: number[], scale: number): void {
    this.t++;
    const c = this.cfg;
    const lr = learningRateAt(this.t, c);
    this.p = this.p.map((p, i) => {
      const gi = g[i] * scale;
      this.m[i] = c.beta1 * this.m[i] + (1 - c.beta1) * gi;
      this.v[i] = c.beta2 * this.v[i] + (1 - c.beta2) * gi * gi;
      const mh = this.m[i] / (1 - c.beta1 ** this.t);
      const vh = this.v[i] / (1 - c.beta2 ** this.t);
      return p - lr * (mh / (Math.sqrt(vh) + c.epsilon)) - (this.decays ? lr * c.weightDecay * p : 0);
    });
  }
}

describe('AdamW', () => {
  beforeAll(() => useBackend('wasm'));
  const cfg: OptimizerConfig = {
    ...DEFAULT_OPTIMIZER,
    learningRate: 0.1,
    warmupSteps: 2,
    totalSteps: 8,
    minLearningRate: 0.01,
    weightDecay: 0.05,
    clipNorm: 1e9,
  };

  /** Gradient of ½‖p − target‖² is p − target. */
  const quadGrad = (p: tf.Variable, target: tf.Tensor) => tf.sub(p, target);

  it('matches a hand computation on a tiny quadratic (weight decay on weights only)', () => {
    const w0 = [0.5, -1.5, 2, 0.25];
    const b0 = [1, -2];
    const tw = tf.tensor1d([0.1, 0.2, -0.3, 0]);
    const tb = tf.tensor1d([0.5, 0.5]);
    const params = new Map([
      ['layer.weight', tf.variable(tf.tensor1d(w0))],
      ['layer.bias', tf.variable(tf.tensor1d(b0))],
    ]);
    const opt = new AdamW(cfg);
    const hw = new HandAdamW(w0, cfg, true);
    const hb = new HandAdamW(b0, cfg, false);
    for (let s = 1; s <= 10; s++) {
      const gw = quadGrad(params.get('layer.weight')!, tw);
      const gb = quadGrad(params.get('layer.bias')!, tb);
      const gwv = [...gw.dataSync()];
      const gbv = [...gb.dataSync()];
      const r = opt.apply(params, { 'layer.weight': gw, 'layer.bias': gb });
      expect(r.learningRate).toBe(learningRateAt(s, cfg));
      expect(r.gradNorm).toBeCloseTo(Math.hypot(...gwv, ...gbv), 5);
      hw.step(gwv, 1);
      hb.step(gbv, 1);
      tf.dispose([gw, gb]);
      expect(maxAbsDiff(params.get('layer.weight')!.dataSync(), hw.p), `step ${s}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(params.get('layer.bias')!.dataSync(), hb.p), `step ${s}`).toBeLessThan(1e-6);
    }
    expect(opt.step).toBe(10);
    opt.dispose();
    tf.dispose([tw, tb, ...params.values()]);
  });

  it('clips by the global norm over all gradients, and reports the norm before clipping', () => {
    const clipped = { ...cfg, clipNorm: 0.5, weightDecay: 0 };
    const p0 = [3, -4, 1];
    const params = new Map([['w', tf.variable(tf.tensor1d(p0))]]);
    const opt = new AdamW(clipped);
    const hand = new HandAdamW(p0, clipped, false);
    const unclipped = new HandAdamW(p0, clipped, false);
    // A large gradient (clipped), then a small one (not): the second update shows the clipped moments.
    for (const g of [
      [30, -40, 10],
      [0.01, 0.02, -0.01],
    ]) {
      const gt = tf.tensor1d(g);
      const r = opt.apply(params, { w: gt });
      const norm = Math.hypot(...g);
      expect(r.gradNorm).toBeCloseTo(norm, 4);
      const scale = norm > 0.5 ? 0.5 / norm : 1;
      hand.step(g, scale);
      unclipped.step(g, 1);
      gt.dispose();
    }
    const got = params.get('w')!.dataSync();
    expect(maxAbsDiff(got, hand.p)).toBeLessThan(1e-6);
    expect(maxAbsDiff(got, unclipped.p)).toBeGreaterThan(1e-4);
    opt.dispose();
    params.get('w')!.dispose();
  });

  it('skips a step with a non-finite gradient, leaving parameters untouched', () => {
    const params = new Map([['w', tf.variable(tf.tensor1d([1, 2]))]]);
    const opt = new AdamW(cfg);
    const g = tf.tensor1d([NaN, 1]);
    const r = opt.apply(params, { w: g });
    expect(Number.isFinite(r.gradNorm)).toBe(false);
    expect([...params.get('w')!.dataSync()]).toEqual([1, 2]);
    tf.dispose([g, params.get('w')!]);
    opt.dispose();
  });

  it('updates only parameters that have a gradient, and ignores gradients for unknown names', () => {
    const params = new Map([
      ['a.weight', tf.variable(tf.tensor1d([1, 1]))],
      ['b.weight', tf.variable(tf.tensor1d([2, 2]))],
    ]);
    const opt = new AdamW(cfg);
    const g = tf.tensor1d([0.5, -0.5]);
    const extra = tf.tensor1d([1]);
    opt.apply(params, { 'a.weight': g, 'c.weight': extra });
    expect([...params.get('b.weight')!.dataSync()]).toEqual([2, 2]);
    expect(maxAbsDiff(params.get('a.weight')!.dataSync(), [1, 1])).toBeGreaterThan(0);
    expect([...opt.state().tensors.keys()].sort()).toEqual(['m.a.weight', 'v.a.weight']);
    tf.dispose([g, extra, ...params.values()]);
    opt.dispose();
  });

  it('resumes from state() exactly: restore() then continue gives the same parameters bit for bit', () => {
    const init = randomValues(12, 1, -2, 2);
    const target = tf.tensor2d(randomValues(12, 2), [3, 4]);
    const run = (opt: AdamW, p: tf.Variable, steps: number) => {
      for (let s = 0; s < steps; s++) {
        const g = tf.tidy(() => tf.mul(quadGrad(p, target), 1 + opt.step)); // gradients that change over time
        opt.apply(new Map([['net.weight', p]]), { 'net.weight': g });
        g.dispose();
      }
    };
    // Uninterrupted: 8 steps.
    const pa = tf.variable(tf.tensor2d(init, [3, 4]));
    const a = new AdamW(cfg);
    run(a, pa, 8);
    // Interrupted after 3: state and weights go through plain arrays, as in a checkpoint.
    const pb = tf.variable(tf.tensor2d(init, [3, 4]));
    const b = new AdamW(cfg);
    run(b, pb, 3);
    const saved = b.state();
    const weights = pb.dataSync().slice();
    expect(saved.step).toBe(3);
    expect(saved.tensors.get('m.net.weight')!.shape).toEqual([3, 4]);
    b.dispose();
    pb.dispose();
    const pc = tf.variable(tf.tensor2d(weights, [3, 4]));
    const c = new AdamW(cfg);
    c.restore(saved.step, saved.tensors);
    expect(c.step).toBe(3);
    run(c, pc, 5);
    expect(maxAbsDiff(pc.dataSync(), pa.dataSync())).toBe(0);
    for (const [k, t] of a.state().tensors)
      expect(maxAbsDiff(c.state().tensors.get(k)!.data, t.data), k).toBe(0);
    tf.dispose([pa, pc, target]);
    a.dispose();
    c.dispose();
  });

  it('pulls towards the anchored starting weights, which a checkpoint keeps', () => {
    const anchored = { ...cfg, weightDecay: 0, anchorDecay: 5, decay: 'constant' as const, warmupSteps: 0 };
    const w0 = [1, -1, 0.5];
    const far = tf.tensor1d([10, 10, 10]); // a target far from w0: without the anchor, w walks to it
    const walk = (opt: AdamW, p: tf.Variable, steps: number) => {
      for (let s = 0; s < steps; s++) {
        const g = quadGrad(p, far);
        opt.apply(new Map([['w', p]]), { w: g });
        g.dispose();
      }
    };
    const free = tf.variable(tf.tensor1d(w0));
    const freeOpt = new AdamW({ ...anchored, anchorDecay: 0 });
    walk(freeOpt, free, 200);
    const p = tf.variable(tf.tensor1d(w0));
    const opt = new AdamW(anchored);
    opt.setAnchor(new Map([['w', p]]), ['w']);
    walk(opt, p, 200);
    // Adam's step is about lr whatever the gradient, so the anchor holds w within about 1 / anchorDecay.
    const drift = [...p.dataSync()].map((x, i) => x - w0[i]);
    for (const d of drift) {
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(1.2 / anchored.anchorDecay);
    }
    for (const [i, x] of [...free.dataSync()].entries()) expect(x - w0[i]).toBeGreaterThan(5);
    // The anchor travels with the moments: a restored optimizer keeps pulling to the same place.
    const saved = opt.state();
    expect([...saved.tensors.get('anchor.w')!.data]).toEqual(w0.map(Math.fround));
    const q = tf.variable(tf.tensor1d(p.dataSync()));
    const resumed = new AdamW(anchored);
    resumed.restore(saved.step, saved.tensors);
    walk(opt, p, 10);
    walk(resumed, q, 10);
    expect(maxAbsDiff(q.dataSync(), p.dataSync())).toBe(0);
    expect(() => resumed.restore(1, new Map([['mu.w', saved.tensors.get('m.w')!]]))).toThrow(
      'optimizer state: unknown entry mu.w',
    );
    [freeOpt, opt, resumed].forEach((o) => o.dispose());
    tf.dispose([free, p, q, far]);
  });

  it('keeps a constant number of tensors across steps and frees its moments on dispose', () => {
    const p = tf.variable(tf.tensor1d(randomValues(5, 3)));
    const opt = new AdamW(cfg);
    const g = tf.tensor1d(randomValues(5, 4));
    opt.apply(new Map([['w', p]]), { w: g });
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply(new Map([['w', p]]), { w: g });
    expect(tf.memory().numTensors).toBe(after1);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(after1 - 2);
    tf.dispose([p, g]);
  });
});
