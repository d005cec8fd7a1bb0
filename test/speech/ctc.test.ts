import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CtcWorkspace,
  ctcLossAndGrad,
  ctcLossAndGradBatch,
  logSoftmaxRows,
  type CtcReduction,
} from '../../src-main/speech/ctc.js';

// ---------- helpers ----------

const fixtureDir = new URL('../fixtures/ctc/', import.meta.url);

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')) as T;
}

/** base64 little-endian float32 → Float32Array (copied so it is aligned). */
function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** Fixture numbers: JSON has no Infinity, so the generator writes it as a string. */
function num(x: number | string): number {
  return typeof x === 'number' ? x : Number(x);
}

/** Deterministic PRNG (mulberry32) with a Box–Muller normal, so test inputs are reproducible. */
function rng(seed: number): { uniform: () => number; normal: () => number; int: (n: number) => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal, int: (n) => Math.floor(uniform() * n) };
}

function randomLogits(T: number, C: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: T * C }, () => r.normal() * scale);
}

/** Labels in [0, C) other than blank, with no accidental repeats unless asked for. */
function randomTarget(L: number, C: number, blank: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  while (out.length < L) {
    const label = r.int(C);
    if (label !== blank) out.push(label);
  }
  return out;
}

function softmaxRows(logits: ArrayLike<number>, T: number, C: number): Float64Array {
  const p = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    let max = -Infinity;
    for (let k = 0; k < C; k++) max = Math.max(max, logits[t * C + k]);
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(logits[t * C + k] - max);
    for (let k = 0; k < C; k++) p[t * C + k] = Math.exp(logits[t * C + k] - max) / sum;
  }
  return p;
}

/** Collapse a frame-level path: merge repeats, then drop blanks. */
function collapse(path: number[], blank: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < path.length; t++) {
    if (path[t] !== blank && (t === 0 || path[t] !== path[t - 1])) out.push(path[t]);
  }
  return out;
}

/**
 * Definition of CTC by exhaustive enumeration: sum the probability of every one of the C^T paths that collapses
 * to the target, and the posterior occupancy of every (frame, class). Only for tiny T.
 */
function bruteForce(
  logits: Float32Array,
  T: number,
  C: number,
  target: number[],
  blank: number,
): { loss: number; grad: Float64Array } {
  const p = softmaxRows(logits, T, C);
  const occupancy = new Float64Array(T * C);
  let total = 0;
  const path = new Array<number>(T).fill(0);
  for (let n = 0; n < C ** T; n++) {
    let rest = n;
    let prob = 1;
    for (let t = 0; t < T; t++) {
      path[t] = rest % C;
      rest = Math.floor(rest / C);
      prob *= p[t * C + path[t]];
    }
    const out = collapse(path, blank);
    if (out.length !== target.length || out.some((x, i) => x !== target[i])) continue;
    total += prob;
    for (let t = 0; t < T; t++) occupancy[t * C + path[t]] += prob;
  }
  const grad = new Float64Array(T * C);
  for (let i = 0; i < T * C; i++) grad[i] = total > 0 ? p[i] - occupancy[i] / total : 0;
  return { loss: -Math.log(total), grad };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectRelClose(actual: number, expected: number, rel: number): void {
  if (!Number.isFinite(expected)) {
    expect(actual).toBe(expected);
    return;
  }
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

// ---------- single utterance ----------

describe('ctcLossAndGrad against exhaustive enumeration', () => {
  const cases: { name: string; T: number; C: number; target: number[]; blank: number }[] = [
    { name: 'two labels, blank 0', T: 5, C: 4, target: [1, 2], blank: 0 },
    { name: 'two labels, blank last', T: 5, C: 4, target: [0, 2], blank: 3 },
    { name: 'repeated label needs a blank between', T: 4, C: 3, target: [1, 1], blank: 0 },
    { name: 'repeat with blank last', T: 6, C: 3, target: [0, 0, 1], blank: 2 },
    { name: 'tight: T = L + repeats', T: 5, C: 3, target: [1, 1, 2, 2], blank: 0 },
    { name: 'L = T, no repeats', T: 4, C: 4, target: [1, 2, 3, 1], blank: 0 },
    { name: 'single label', T: 6, C: 3, target: [2], blank: 0 },
    { name: 'empty target', T: 6, C: 4, target: [], blank: 1 },
    { name: 'one frame', T: 1, C: 4, target: [3], blank: 0 },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, () => {
      const logits = randomLogits(c.T, c.C, 100 + i, 1.5);
      const ref = bruteForce(logits, c.T, c.C, c.target, c.blank);
      const { loss, grad } = ctcLossAndGrad(logits, c.T, c.C, c.target, c.blank);
      expectRelClose(loss, ref.loss, 1e-10);
      // The gradient is stored as float32, hence the tolerance.
      expect(maxAbsDiff(grad, ref.grad)).toBeLessThan(1e-6);
    });
  }

  it('many random tiny problems', () => {
    for (let seed = 0; seed < 40; seed++) {
      const r = rng(seed);
      const T = 1 + r.int(6);
      const C = 3 + r.int(2);
      const blank = r.uniform() < 0.5 ? 0 : C - 1;
      const L = r.int(Math.min(T, 3) + 1);
      const target = randomTarget(L, C, blank, 1000 + seed);
      const logits = randomLogits(T, C, 2000 + seed, 2);
      const ref = bruteForce(logits, T, C, target, blank);
      const { loss, grad } = ctcLossAndGrad(logits, T, C, target, blank);
      if (Number.isFinite(ref.loss)) {
        expectRelClose(loss, ref.loss, 1e-10);
        expect(maxAbsDiff(grad, ref.grad)).toBeLessThan(1e-6);
      } else {
        // No path collapses to the target: that must be exactly the infeasible case.
        expect(loss).toBe(Infinity);
        expect(grad.every((g) => g === 0)).toBe(true);
      }
    }
  });
});

describe('ctcLossAndGrad gradient', () => {
  it('matches central finite differences of the float64 loss', () => {
    const T = 8;
    const C = 5;
    const target = [1, 3, 3];
    const logits = randomLogits(T, C, 7, 1);
    const { grad } = ctcLossAndGrad(logits, T, C, target, 0);
    const h = 2 ** -10; // exactly representable steps on float32 logits of magnitude < 4
    const x = new Float32Array(logits);
    let worst = 0;
    for (let i = 0; i < T * C; i++) {
      x[i] = logits[i] + h;
      const up = x[i];
      const lossUp = ctcLossAndGrad(x, T, C, target, 0).loss;
      x[i] = logits[i] - h;
      const down = x[i];
      const lossDown = ctcLossAndGrad(x, T, C, target, 0).loss;
      x[i] = logits[i];
      worst = Math.max(worst, Math.abs((lossUp - lossDown) / (up - down) - grad[i]));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('rows sum to zero (softmax and occupancy both sum to one per frame)', () => {
    const T = 60;
    const C = 29;
    const { grad } = ctcLossAndGrad(randomLogits(T, C, 3, 3), T, C, randomTarget(20, C, 0, 4), 0);
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let k = 0; k < C; k++) sum += grad[t * C + k];
      expect(Math.abs(sum)).toBeLessThan(1e-5);
    }
  });

  it('is unchanged by passing log-probabilities or shifting each row by a constant', () => {
    const T = 30;
    const C = 12;
    const logits = randomLogits(T, C, 11, 2);
    const target = randomTarget(10, C, 0, 12);
    const base = ctcLossAndGrad(logits, T, C, target, 0);
    const fromLogProbs = ctcLossAndGrad(logSoftmaxRows(logits, T, C), T, C, target, 0);
    const shifted = logits.map((x, i) => x + Math.floor(i / C) - 7);
    const fromShifted = ctcLossAndGrad(shifted, T, C, target, 0);
    // Only float32 rounding of the inputs separates them.
    expectRelClose(fromLogProbs.loss, base.loss, 1e-6);
    expectRelClose(fromShifted.loss, base.loss, 1e-6);
    expect(maxAbsDiff(fromLogProbs.grad, base.grad)).toBeLessThan(1e-6);
    expect(maxAbsDiff(fromShifted.grad, base.grad)).toBeLessThan(1e-6);
  });

  it('reuses a workspace across utterances of different sizes without changing results', () => {
    const ws = new CtcWorkspace();
    const big = { logits: randomLogits(80, 10, 21, 2), target: randomTarget(30, 10, 0, 22) };
    const small = { logits: randomLogits(9, 4, 23, 2), target: [2, 2, 1] };
    const bigFresh = ctcLossAndGrad(big.logits, 80, 10, big.target, 0);
    const smallFresh = ctcLossAndGrad(small.logits, 9, 4, small.target, 0);
    const smallReused = ctcLossAndGrad(small.logits, 9, 4, small.target, 0, ws);
    const bigReused = ctcLossAndGrad(big.logits, 80, 10, big.target, 0, ws);
    const smallAfterBig = ctcLossAndGrad(small.logits, 9, 4, small.target, 0, ws);
    expect(bigReused.loss).toBe(bigFresh.loss);
    expect(smallReused.loss).toBe(smallFresh.loss);
    expect(smallAfterBig.loss).toBe(smallFresh.loss);
    expect(smallAfterBig.grad).toEqual(smallFresh.grad);
  });
});

describe('ctcLossAndGrad edge cases', () => {
  it('empty target: loss is −Σ log p(blank)', () => {
    const T = 12;
    const C = 5;
    const logits = randomLogits(T, C, 31, 2);
    const lp = logSoftmaxRows(logits, T, C);
    for (const blank of [0, C - 1]) {
      let expected = 0;
      for (let t = 0; t < T; t++) expected -= lp[t * C + blank];
      const { loss, grad } = ctcLossAndGrad(logits, T, C, [], blank);
      expectRelClose(loss, expected, 1e-6);
      // Gradient is softmax − one-hot(blank).
      const p = softmaxRows(logits, T, C);
      const ref = p.map((x, i) => x - (i % C === blank ? 1 : 0));
      expect(maxAbsDiff(grad, ref)).toBeLessThan(1e-6);
    }
  });

  it('infeasible targets give Infinity and an all-zero gradient', () => {
    const C = 4;
    // "aa" needs 3 frames (a, blank, a); "abc" needs 3.
    for (const [T, target] of [
      [2, [1, 1]],
      [2, [1, 2, 3]],
      [4, [1, 1, 2, 2]],
    ] as const) {
      const { loss, grad } = ctcLossAndGrad(randomLogits(T, C, 41, 1), T, C, target, 0);
      expect(loss).toBe(Infinity);
      expect(grad.length).toBe(T * C);
      expect(grad.every((g) => g === 0)).toBe(true);
    }
  });

  it('T = 0: empty target costs nothing, a non-empty one is impossible', () => {
    expect(ctcLossAndGrad(new Float32Array(0), 0, 4, [], 0)).toEqual({ loss: 0, grad: new Float32Array(0) });
    expect(ctcLossAndGrad(new Float32Array(0), 0, 4, [2], 0).loss).toBe(Infinity);
  });

  it('stays finite and exact on very peaked logits', () => {
    const T = 40;
    const C = 6;
    const logits = randomLogits(T, C, 51, 40);
    const target = randomTarget(12, C, 0, 52);
    const { loss, grad } = ctcLossAndGrad(logits, T, C, target, 0);
    expect(Number.isFinite(loss)).toBe(true);
    expect(grad.every(Number.isFinite)).toBe(true);
    // Same problem at T = 6 against enumeration.
    const small = randomLogits(6, 3, 53, 40);
    const ref = bruteForce(small, 6, 3, [1, 2], 0);
    expectRelClose(ctcLossAndGrad(small, 6, 3, [1, 2], 0).loss, ref.loss, 1e-9);
  });

  it('rejects malformed input with a message naming the problem', () => {
    const logits = randomLogits(4, 3, 61);
    expect(() => ctcLossAndGrad(logits, 4, 4, [1], 0)).toThrow(
      /logits has length 12, expected T\*C = 4\*4 = 16/,
    );
    expect(() => ctcLossAndGrad(logits, 4, 3, [1, 3], 0)).toThrow(/target\[1\] = 3 is not a class index/);
    expect(() => ctcLossAndGrad(logits, 4, 3, [1, 0.5], 0)).toThrow(/target\[1\] = 0.5/);
    expect(() => ctcLossAndGrad(logits, 4, 3, [2, 0], 0)).toThrow(/target\[1\] is the blank index 0/);
    expect(() => ctcLossAndGrad(logits, 4, 3, [1], 3)).toThrow(/blank index 3 is out of range for 3 classes/);
    expect(() => ctcLossAndGrad(logits, 4, 3, [1], -1)).toThrow(/blank index -1/);
    expect(() => ctcLossAndGrad(logits, -1, 3, [1], 0)).toThrow(/T must be an integer ≥ 0/);
    const bad = new Float32Array(logits);
    bad[7] = NaN;
    expect(() => ctcLossAndGrad(bad, 4, 3, [1], 0)).toThrow(
      /logits\[t=2, c=1\] is NaN; logits must be finite/,
    );
    bad[7] = Infinity;
    expect(() => ctcLossAndGrad(bad, 4, 3, [1], 0)).toThrow(/is Infinity/);
  });
});

// ---------- against PyTorch ----------

interface SingleFixture {
  torch: string;
  cases: {
    name: string;
    T: number;
    C: number;
    blank: number;
    target: number[];
    logits: string;
    loss: number | string;
    grad: string;
  }[];
}

describe('ctcLossAndGrad against PyTorch ctc_loss (reduction sum)', () => {
  const fixture = readFixture<SingleFixture>('single.json');
  it('has the cases the contract names', () => {
    const names = fixture.cases.map((c) => c.name);
    for (const n of [
      'speech_like',
      'peaked_random',
      'peaked_aligned',
      'repeat_aa',
      'blank_last',
      'empty_target',
    ]) {
      expect(names).toContain(n);
    }
  });
  const ws = new CtcWorkspace();
  for (const c of fixture.cases) {
    it(`${c.name} (T=${c.T}, C=${c.C}, L=${c.target.length}, blank=${c.blank})`, () => {
      const { loss, grad } = ctcLossAndGrad(f32(c.logits), c.T, c.C, c.target, c.blank, ws);
      const expected = num(c.loss);
      // Relative 1e-4, with a floor for the near-zero loss of a confident, correct alignment.
      if (Number.isFinite(expected))
        expect(Math.abs(loss - expected)).toBeLessThanOrEqual(1e-4 * expected + 1e-9);
      else expect(loss).toBe(expected);
      expect(maxAbsDiff(grad, f32(c.grad))).toBeLessThan(1e-4);
    });
  }
});

interface BatchFixture {
  B: number;
  Tmax: number;
  C: number;
  blank: number;
  inputLengths: number[];
  targets: number[][];
  logits: string;
  results: {
    reduction: CtcReduction;
    zeroInfinity: boolean;
    losses: (number | string)[];
    loss: number | string;
    grad: string;
  }[];
}

describe('ctcLossAndGradBatch', () => {
  const fx = readFixture<BatchFixture>('batch.json');
  const logits = f32(fx.logits);
  const { B, Tmax, C, blank, inputLengths, targets } = fx;

  for (const r of fx.results) {
    it(`matches PyTorch for reduction=${r.reduction}, zeroInfinity=${r.zeroInfinity}`, () => {
      const out = ctcLossAndGradBatch(logits, B, Tmax, C, inputLengths, targets, blank, {
        reduction: r.reduction,
        zeroInfinity: r.zeroInfinity,
      });
      expect(out.infeasible).toBe(1);
      for (let b = 0; b < B; b++) expectRelClose(out.losses[b], num(r.losses[b]), 1e-4);
      expectRelClose(out.loss, num(r.loss), 1e-4);
      const ref = f32(r.grad);
      for (let b = 0; b < B; b++) {
        const rows = out.grad.subarray(b * Tmax * C, (b + 1) * Tmax * C);
        if (Number.isFinite(out.losses[b])) {
          expect(maxAbsDiff(rows, ref.subarray(b * Tmax * C, (b + 1) * Tmax * C))).toBeLessThan(1e-4);
        } else {
          // PyTorch leaves NaN here; the contract is a zero gradient.
          expect(rows.every((g) => g === 0)).toBe(true);
        }
        // Frames beyond the input length get no gradient.
        expect(rows.subarray(inputLengths[b] * C).every((g) => g === 0)).toBe(true);
      }
    });
  }

  it("defaults to PyTorch's reduction='mean' with zeroInfinity", () => {
    const out = ctcLossAndGradBatch(logits, B, Tmax, C, inputLengths, targets, blank);
    const ref = fx.results.find((r) => r.reduction === 'mean' && r.zeroInfinity)!;
    expectRelClose(out.loss, num(ref.loss), 1e-4);
    expect(maxAbsDiff(out.grad, f32(ref.grad))).toBeLessThan(1e-4);
  });

  it("'none' rows equal the single-utterance results exactly, and 'mean' scales them by 1/(B·max(L,1))", () => {
    const none = ctcLossAndGradBatch(logits, B, Tmax, C, inputLengths, targets, blank, { reduction: 'none' });
    const mean = ctcLossAndGradBatch(logits, B, Tmax, C, inputLengths, targets, blank, { reduction: 'mean' });
    let expectedMean = 0;
    for (let b = 0; b < B; b++) {
      const T = inputLengths[b];
      const frames = logits.subarray(b * Tmax * C, (b * Tmax + T) * C);
      const single = ctcLossAndGrad(frames, T, C, targets[b], blank);
      const weight = 1 / (B * Math.max(targets[b].length, 1));
      if (single.loss === Infinity) {
        expect(none.losses[b]).toBe(0);
      } else {
        expect(none.losses[b]).toBe(single.loss);
        expectedMean += single.loss * weight;
      }
      const rows = none.grad.subarray(b * Tmax * C, (b * Tmax + T) * C);
      expect(rows).toEqual(single.grad);
      const meanRows = mean.grad.subarray(b * Tmax * C, (b * Tmax + T) * C);
      expect(
        maxAbsDiff(
          meanRows,
          single.grad.map((g) => g * weight),
        ),
      ).toBeLessThan(1e-7);
    }
    expectRelClose(mean.loss, expectedMean, 1e-12);
  });

  it('accepts flat targets with lengths, and ignores whatever fills the padding frames', () => {
    const padded = new Float32Array(logits);
    for (let b = 0; b < B; b++) padded.fill(NaN, (b * Tmax + inputLengths[b]) * C, (b + 1) * Tmax * C);
    const flat = { flat: Int32Array.from(targets.flat()), lengths: targets.map((t) => t.length) };
    const a = ctcLossAndGradBatch(logits, B, Tmax, C, inputLengths, targets, blank, { reduction: 'sum' });
    const b = ctcLossAndGradBatch(padded, B, Tmax, C, inputLengths, flat, blank, { reduction: 'sum' });
    expect(b.losses).toEqual(a.losses);
    expect(b.grad).toEqual(a.grad);
    expect(b.infeasible).toBe(a.infeasible);
  });

  it('handles an utterance with no frames', () => {
    const out = ctcLossAndGradBatch(randomLogits(2 * 5 * 3, 1, 71), 2, 5, 3, [0, 0], [[], [1]], 0, {
      reduction: 'none',
      zeroInfinity: false,
    });
    expect(Array.from(out.losses)).toEqual([0, Infinity]);
    expect(out.infeasible).toBe(1);
    expect(out.grad.every((g) => g === 0)).toBe(true);
  });

  it('rejects malformed batches with a message naming the problem', () => {
    const call = (overrides: {
      logits?: Float32Array;
      inputLengths?: number[];
      targets?: Parameters<typeof ctcLossAndGradBatch>[5];
      reduction?: string;
    }) =>
      ctcLossAndGradBatch(
        overrides.logits ?? logits,
        B,
        Tmax,
        C,
        overrides.inputLengths ?? inputLengths,
        overrides.targets ?? targets,
        blank,
        { reduction: (overrides.reduction ?? 'mean') as CtcReduction },
      );
    expect(() => call({ logits: logits.subarray(1) })).toThrow(/expected B\*Tmax\*C = 5\*40\*8 = 1600/);
    expect(() => call({ inputLengths: [40, 41, 1, 1, 1] })).toThrow(
      /inputLengths\[1\] = 41 is not an integer in \[0, Tmax = 40\]/,
    );
    expect(() => call({ inputLengths: [40] })).toThrow(/inputLengths has 1 entries, expected B = 5/);
    expect(() => call({ targets: targets.slice(1) })).toThrow(/targets for 4 utterances, expected B = 5/);
    expect(() => call({ targets: { flat: [1, 2], lengths: [1, 0, 0, 0, 0] } })).toThrow(
      /targets.flat has 2 labels but targets.lengths add up to 1/,
    );
    expect(() => call({ targets: [[1], [2], [0], [], []] })).toThrow(
      /utterance 2\): target\[0\] is the blank index 0/,
    );
    expect(() => call({ reduction: 'avg' })).toThrow(/unknown reduction 'avg'/);
    const bad = new Float32Array(logits);
    bad[(3 * Tmax + 2) * C + 1] = NaN;
    expect(() => call({ logits: bad })).toThrow(/utterance 3\): logits\[t=2, c=1\] is NaN/);
  });
});
