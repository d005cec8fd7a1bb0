// The acoustic model: real output lengths, the look-ahead it claims, streaming == offline, batch
// invariance, and its construction errors. The equivalence checks run on wasm (production) and cpu.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcousticModel,
  initParams,
  ModelShapeError,
  parameterShapes,
} from '../../src-main/model/acoustic.js';
import {
  type AcousticConfig,
  DEFAULT_ACOUSTIC,
  lookAheadMs,
  outputFrames,
  SUBSAMPLE_LAYERS,
  totalStride,
} from '../../src-main/model/config.js';
import {
  CAUSAL,
  maxAbsDiff,
  ODD,
  offlineLogProbs,
  randomFeatures,
  randomValues,
  seeded,
  SMALL,
  useBackend,
} from '../training/helpers-tf.js';

/** Random but non-trivial feature stats, so normalisation is part of every comparison. */
function stats(F: number, seed: number) {
  return { mean: randomValues(F, seed, -6, -2), std: randomValues(F, seed + 1, 1, 4) };
}

/** Feeds `feats` to a fresh stream in chunks of the given sizes, then flushes. */
function streamAll(model: AcousticModel, feats: Float32Array, T: number, sizes: () => number) {
  const F = model.config.featureBins;
  const V = model.config.vocabSize;
  const s = model.createStream();
  const out: number[] = [];
  let frames = 0;
  let t = 0;
  while (t < T) {
    const n = Math.min(T - t, sizes());
    const r = s.accept(feats.slice(t * F, (t + n) * F), n);
    expect(r.logProbs.length).toBe(r.frames * V);
    out.push(...r.logProbs);
    frames += r.frames;
    t += n;
  }
  const f = s.flush();
  out.push(...f.logProbs);
  frames += f.frames;
  expect(s.framesIn).toBe(T);
  expect(s.framesOut).toBe(frames);
  s.dispose();
  return { data: Float32Array.from(out), frames };
}

/** Chunk sizes in [0, max], with plenty of 0s and 1s. */
function chunkSizes(seed: number, max: number): () => number {
  const rand = seeded(seed);
  return () => {
    const r = rand();
    if (r < 0.15) return 0;
    if (r < 0.35) return 1;
    return Math.floor(rand() * (max + 1));
  };
}

describe.each(['wasm', 'cpu'] as const)('AcousticModel on %s', (backend) => {
  const models: AcousticModel[] = [];
  const make = (cfg: AcousticConfig, seed = 3) => {
    const m = new AcousticModel(cfg, initParams(cfg, seed), stats(cfg.featureBins, seed));
    models.push(m);
    return m;
  };
  beforeAll(() => useBackend(backend));
  afterAll(() => models.forEach((m) => m.dispose()));

  it('outputFrames(T) is the real forward output length, for T < kernel up to 300 frames', () => {
    // Every length on wasm; on the slower cpu kernels every length to 60, then a spread.
    const many = backend === 'wasm' ? range(1, 300) : [...range(1, 60), 99, 100, 101, 255, 300];
    const configs: [AcousticConfig, number[]][] = [
      [SMALL, many],
      [ODD, many],
      [CAUSAL, range(1, 40)],
      // The full-size model costs more per forward: every length up to 40, then a spread.
      [
        DEFAULT_ACOUSTIC,
        backend === 'wasm'
          ? [...range(1, 40), 63, 64, 65, 99, 100, 101, 199, 257, 300]
          : [1, 2, 3, 5, 17, 64, 101],
      ],
    ];
    for (const [cfg, lengths] of configs) {
      const model = make(cfg);
      const F = cfg.featureBins;
      for (const T of lengths) {
        const x = tf.tensor3d(randomFeatures(T, F, T), [1, T, F]);
        const { logits, lengths: out } = model.forward(x, [T]);
        expect(logits.shape, `T=${T}`).toEqual([1, outputFrames(T, cfg), cfg.vocabSize]);
        expect(out).toEqual([outputFrames(T, cfg)]);
        tf.dispose([x, logits]);
      }
    }
  });

  it('outputFrames(T) is also how many frames a stream emits', () => {
    for (const cfg of [SMALL, ODD]) {
      const model = make(cfg);
      for (const T of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 31, 64]) {
        const feats = randomFeatures(T, cfg.featureBins, 100 + T);
        expect(streamAll(model, feats, T, () => 1).frames, `T=${T}`).toBe(outputFrames(T, cfg));
      }
    }
  });

  it('output frame t never sees input past its look-ahead, and does see the last frame within it', () => {
    for (const cfg of [SMALL, ODD, CAUSAL]) {
      const model = make(cfg, 11);
      const F = cfg.featureBins;
      const V = cfg.vocabSize;
      const T = 120;
      const rate = totalStride(cfg); // input frames per output frame
      const ahead = lookAheadMs(cfg) / cfg.hopMs; // in input frames
      const base = randomFeatures(T, F, 5);
      const ref = offlineLogProbs(model, base, T, F).data;
      for (const t of [0, 3, 10, 17]) {
        // The last input frame output t may depend on: its own first frame plus the look-ahead.
        const last = t * rate + ahead;
        for (const [from, changes] of [
          [last + 1, false],
          [last, true],
        ] as const) {
          const x = base.slice();
          for (let k = from * F; k < T * F; k++) x[k] += 8 * Math.sin(k); // a large change from `from` on
          const out = offlineLogProbs(model, x, T, F).data;
          const diff = maxAbsDiff(out.subarray(t * V, (t + 1) * V), ref.subarray(t * V, (t + 1) * V));
          if (changes) expect(diff, `t=${t} frame ${from}`).toBeGreaterThan(1e-4);
          else expect(diff, `t=${t} frame ${from}`).toBe(0);
          // The frames before t are untouched too (causality of the whole stack).
          if (!changes) expect(maxAbsDiff(out.subarray(0, t * V), ref.subarray(0, t * V))).toBe(0);
        }
      }
    }
  });

  it('streaming in random chunks (incl. 0 and 1 frames) gives the offline log-probs', () => {
    for (const cfg of [SMALL, ODD, CAUSAL]) {
      const model = make(cfg, 7);
      const F = cfg.featureBins;
      for (const [T, seed] of [
        [1, 1],
        [2, 2],
        [5, 3],
        [23, 4],
        [64, 5],
        [157, 6],
        [301, 7],
      ]) {
        const feats = randomFeatures(T, F, seed);
        const offline = offlineLogProbs(model, feats, T, F);
        for (const max of [1, 3, 17, 400]) {
          const streamed = streamAll(model, feats, T, chunkSizes(seed * 10 + max, max));
          expect(streamed.frames, `T=${T}`).toBe(offline.frames);
          expect(maxAbsDiff(streamed.data, offline.data), `T=${T} chunks≤${max}`).toBeLessThanOrEqual(1e-5);
        }
      }
    }
  });

  it('streaming the full-size model matches offline too', () => {
    const model = make(DEFAULT_ACOUSTIC, 2);
    const T = backend === 'wasm' ? 173 : 61;
    const feats = randomFeatures(T, DEFAULT_ACOUSTIC.featureBins, 9);
    const offline = offlineLogProbs(model, feats, T, DEFAULT_ACOUSTIC.featureBins);
    const streamed = streamAll(model, feats, T, chunkSizes(9, 12));
    expect(streamed.frames).toBe(offline.frames);
    expect(maxAbsDiff(streamed.data, offline.data)).toBeLessThanOrEqual(1e-5);
  });

  it('keeps a constant number of tensors while streaming, and frees them on dispose', () => {
    const model = make(SMALL);
    const F = SMALL.featureBins;
    const s = model.createStream();
    const feats = randomFeatures(400, F, 1);
    const sizes = chunkSizes(77, 9);
    let t = 0;
    // Warm up until every layer holds its state.
    for (let i = 0; i < 10; i++, t += 5) s.accept(feats.slice(t * F, (t + 5) * F), 5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 60 && t < 390; i++) {
      const n = Math.min(390 - t, sizes());
      s.accept(feats.slice(t * F, (t + n) * F), n);
      t += n;
      expect(tf.memory().numTensors, `after chunk ${i}`).toBe(before);
    }
    s.flush();
    s.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(tf.memory().numTensors).toBe(before - SMALL.blocks - SUBSAMPLE_LAYERS);
  });

  it('refuses input after flush, and checks chunk sizes', () => {
    const model = make(SMALL);
    const F = SMALL.featureBins;
    const s = model.createStream();
    expect(() => s.accept(new Float32Array(3 * F - 1), 3)).toThrow(ModelShapeError);
    s.accept(randomFeatures(10, F, 1), 10);
    s.flush();
    expect(s.flush().frames).toBe(0); // a second flush is harmless
    expect(() => s.accept(randomFeatures(1, F, 1), 1)).toThrow(/already flushed/);
    s.dispose();
  });

  it('gives an utterance the same logits in a padded batch as alone', () => {
    for (const cfg of [SMALL, ODD]) {
      const model = make(cfg, 5);
      const F = cfg.featureBins;
      const lengths = [37, 120, 5, 88, 1];
      const Tmax = Math.max(...lengths);
      // Padding holds garbage, not zeros: the model must ignore whatever lies past an utterance's end.
      const batch = randomValues(lengths.length * Tmax * F, 99, -30, 30);
      const alone = lengths.map((T, b) => {
        const feats = randomFeatures(T, F, 200 + b);
        batch.set(feats, b * Tmax * F);
        const x = tf.tensor3d(feats, [1, T, F]);
        const { logits } = model.forward(x, [T]);
        const data = logits.dataSync() as Float32Array;
        tf.dispose([x, logits]);
        return data;
      });
      const x = tf.tensor3d(batch, [lengths.length, Tmax, F]);
      const { logits, lengths: out } = model.forward(x, lengths);
      const [, Tout, V] = logits.shape;
      const data = logits.dataSync() as Float32Array;
      tf.dispose([x, logits]);
      expect(Tout).toBe(outputFrames(Tmax, cfg));
      lengths.forEach((T, b) => {
        expect(out[b]).toBe(outputFrames(T, cfg));
        const mine = data.subarray(b * Tout * V, b * Tout * V + out[b] * V);
        expect(maxAbsDiff(mine, alone[b]), `utterance ${b} (T=${T})`).toBeLessThanOrEqual(1e-5);
      });
    }
  });

  it('trains deterministically: dropout masks follow the seed, and are off at inference', () => {
    const model = make(SMALL);
    const F = SMALL.featureBins;
    const x = tf.tensor3d(randomFeatures(50, F, 4), [1, 50, F]);
    const run = (training: boolean, seed?: number) => {
      const { logits } = model.forward(x, [50], training, seed);
      const d = logits.dataSync() as Float32Array;
      logits.dispose();
      return d;
    };
    const inference = run(false);
    expect(maxAbsDiff(run(false, 5), inference)).toBe(0);
    expect(maxAbsDiff(run(true, 5), run(true, 5))).toBe(0);
    expect(maxAbsDiff(run(true, 5), run(true, 6))).toBeGreaterThan(0);
    expect(maxAbsDiff(run(true, 5), inference)).toBeGreaterThan(0);
    x.dispose();
  });

  it('does not leak tensors in forward, logProbs or a gradient step', () => {
    const model = make(SMALL);
    const F = SMALL.featureBins;
    const x = tf.tensor3d(randomFeatures(2 * 40, F, 4), [2, 40, F]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { logits } = model.forward(x, [40, 31], true, i);
      logits.dispose();
      const { logProbs } = model.logProbs(x, [40, 31]);
      logProbs.dispose();
      const { value, grads } = tf.variableGrads(() => tf.sum(model.forward(x, [40, 31], true, i).logits));
      tf.dispose([value, grads]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('AcousticModel construction and state', () => {
  beforeAll(() => useBackend('wasm'));

  it('initialises the same weights for the same seed, different for another', () => {
    const a = initParams(SMALL, 4);
    const b = initParams(SMALL, 4);
    const c = initParams(SMALL, 5);
    for (const [name, shape] of parameterShapes(SMALL)) {
      expect(a.get(name)!.length).toBe(shape.reduce((p, q) => p * q, 1));
      expect(maxAbsDiff(a.get(name)!, b.get(name)!)).toBe(0);
    }
    expect(maxAbsDiff(a.get('head.weight')!, c.get('head.weight')!)).toBeGreaterThan(0);
    // Norms start as identity, biases at zero.
    expect([...a.get('blocks.0.norm.gamma')!].every((v) => v === 1)).toBe(true);
    expect([...a.get('head.bias')!].every((v) => v === 0)).toBe(true);
  });

  it('round-trips weights and feature stats exactly', () => {
    const s = stats(SMALL.featureBins, 8);
    const m = new AcousticModel(SMALL, initParams(SMALL, 9), s);
    const w = m.weights();
    const other = new AcousticModel(SMALL, initParams(SMALL, 1));
    other.assign(w);
    for (const [name, data] of other.weights()) expect(maxAbsDiff(data, w.get(name)!), name).toBe(0);
    const back = m.featureStats();
    expect(maxAbsDiff(back.mean, s.mean)).toBe(0);
    expect(maxAbsDiff(back.std, s.std)).toBe(0);
    other.setFeatureStats(back);
    const x = randomFeatures(30, SMALL.featureBins, 1);
    expect(maxAbsDiff(offlineLogProbs(other, x, 30, 16).data, offlineLogProbs(m, x, 30, 16).data)).toBe(0);
    m.dispose();
    other.dispose();
  });

  it('frees every tensor on dispose', () => {
    const before = tf.memory().numTensors;
    const m = new AcousticModel(SMALL);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects weights and stats that do not fit the config, naming the problem', () => {
    const w = initParams(SMALL);
    const without = new Map(w);
    without.delete('blocks.1.weight');
    expect(() => new AcousticModel(SMALL, without)).toThrow(
      /missing parameter blocks\.1\.weight \(expected shape \[24, 24\]\)/,
    );
    const short = new Map(w).set('head.bias', new Float32Array(3));
    expect(() => new AcousticModel(SMALL, short)).toThrow(
      /parameter head\.bias has 3 values; shape \[12\] needs 12/,
    );
    const extra = new Map(w).set('blocks.9.weight', new Float32Array(1));
    expect(() => new AcousticModel(SMALL, extra)).toThrow(/unexpected parameter blocks\.9\.weight/);
    expect(() => new AcousticModel({ ...SMALL, channels: 0 })).toThrow(/bad model config: channels must be/);
    const F = SMALL.featureBins;
    expect(
      () => new AcousticModel(SMALL, w, { mean: new Float32Array(F), std: new Float32Array(F - 1) }),
    ).toThrow(/feature stats need 16 bins/);
    expect(
      () => new AcousticModel(SMALL, w, { mean: new Float32Array(F), std: new Float32Array(F) }),
    ).toThrow(/every std must be > 0/);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });

  it('rejects inputs that do not fit', () => {
    const m = new AcousticModel(SMALL);
    const x = tf.zeros([2, 10, SMALL.featureBins]) as tf.Tensor3D;
    expect(() => m.forward(tf.zeros([1, 10, 3]) as tf.Tensor3D, [10])).toThrow(
      /features have 3 bins, model expects 16/,
    );
    expect(() => m.forward(x, [10])).toThrow(/1 lengths for a batch of 2/);
    expect(() => m.forward(x, [10, 11])).toThrow(/lengths must be integers in \[0, 10\]/);
    expect(() => m.forward(x, [10, 2.5])).toThrow(/lengths must be integers/);
    m.dispose();
    x.dispose();
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
