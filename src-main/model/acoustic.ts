import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../speech/prng.js';
import { residualBlock, residualBlockWindow } from './block-op.js';
import {
  type AcousticConfig,
  configProblems,
  type ConvGeometry,
  DEFAULT_ACOUSTIC,
  geometry,
  outputFrames,
} from './config.js';
import {
  convOutputFrames,
  depthwise1d,
  layerNorm,
  padTime,
  pointwise,
  stackedConv1d,
  timeMask,
} from './layers.js';

/**
 * Attune's streaming acoustic model: log-mel frames in, character logits out.
 *
 *   features [B, T, 80] ─ normalise ─ conv k3 s2 ─ ReLU ─ depthwise k3 s1 + pointwise ─ ReLU      (20 ms frames)
 *     ─ N × [ x + dropout(ReLU(LN(pointwise(depthwise_k(x))))) ] ─ LN ─ linear ─ logits [B, T/S, V]
 *
 * S = totalStride(config): the product of the two subsampling strides (2 by default).
 *
 * Every time convolution has a fixed left context and a small right context (see config.ts), so
 * an output frame depends on at most lookAheadMs() of future audio and the model streams: the
 * streaming forward carries each layer's past frames between chunks and gives the same logits as
 * the offline forward.
 */

/** Parameter tensors by name; the names are the keys of the safetensors file. */
export type Params = Map<string, tf.Variable>;

/** Per-bin feature normalisation, measured on the training corpus. */
export interface FeatureStats {
  mean: Float32Array; // [featureBins]
  std: Float32Array; // [featureBins]
}

export class ModelShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelShapeError';
  }
}

/** Expected shape of every parameter for a config. */
export function parameterShapes(cfg: AcousticConfig): Map<string, number[]> {
  const C = cfg.channels;
  const shapes = new Map<string, number[]>([
    ['subsample.0.weight', [cfg.subsampleKernel * cfg.featureBins, C]],
    ['subsample.0.bias', [C]],
    ['subsample.1.depthwise', [cfg.subsampleKernel, C]],
    ['subsample.1.weight', [C, C]],
    ['subsample.1.bias', [C]],
  ]);
  for (let i = 0; i < cfg.blocks; i++) {
    shapes.set(`blocks.${i}.depthwise`, [cfg.kernel, C]);
    shapes.set(`blocks.${i}.weight`, [C, C]);
    shapes.set(`blocks.${i}.bias`, [C]);
    shapes.set(`blocks.${i}.norm.gamma`, [C]);
    shapes.set(`blocks.${i}.norm.beta`, [C]);
  }
  shapes.set('head.norm.gamma', [C]);
  shapes.set('head.norm.beta', [C]);
  shapes.set('head.weight', [C, cfg.vocabSize]);
  shapes.set('head.bias', [cfg.vocabSize]);
  return shapes;
}

/** Fresh parameters: He-uniform weights (ReLU follows most of them), zero biases, unit norms. */
export function initParams(cfg: AcousticConfig, seed = 1): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(cfg)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith('.gamma')) data.fill(1);
    else if (name.endsWith('weight') || name.endsWith('depthwise')) {
      // fan-in: depthwise taps see `kernel` inputs; matrices see their rows.
      const fanIn = shape[0];
      // The residual branches start small so the stack begins close to identity and trains stably.
      const gain = name.startsWith('blocks.') && name.endsWith('.weight') ? 0.5 : 1;
      const bound = gain * Math.sqrt(6 / fanIn);
      for (let i = 0; i < size; i++) data[i] = (rand() * 2 - 1) * bound;
    }
    out.set(name, data);
  }
  return out;
}

export class AcousticModel {
  readonly config: AcousticConfig;
  readonly params: Params = new Map();
  // The std is kept as given: 1 / (1 / std) is not always std again in float32, and a checkpoint
  // must carry the exact stats for a resumed run to compute what an uninterrupted one does.
  private stats: { mean: tf.Tensor1D; invStd: tf.Tensor1D; std: Float32Array };
  private readonly geoms: ConvGeometry[];

  constructor(
    config: AcousticConfig = DEFAULT_ACOUSTIC,
    weights?: Map<string, Float32Array>,
    stats?: FeatureStats,
  ) {
    const problems = configProblems(config);
    if (problems.length > 0) throw new ModelShapeError(`bad model config: ${problems.join('; ')}`);
    this.config = {
      ...config,
      subsampleStrides: [...config.subsampleStrides],
      blockRightContext: [...config.blockRightContext],
    };
    this.geoms = geometry(this.config);
    const init = weights ?? initParams(this.config);
    for (const [name, shape] of parameterShapes(this.config)) {
      const data = init.get(name);
      if (!data)
        throw new ModelShapeError(`missing parameter ${name} (expected shape [${shape.join(', ')}])`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) {
        throw new ModelShapeError(
          `parameter ${name} has ${data.length} values; shape [${shape.join(', ')}] needs ${size}`,
        );
      }
      // tf.variable shares the initial tensor's data and adds a reference: drop the tensor's own.
      const initial = tf.tensor(data, shape);
      this.params.set(name, tf.variable(initial, true));
      initial.dispose();
    }
    for (const name of init.keys()) {
      if (!this.params.has(name)) throw new ModelShapeError(`unexpected parameter ${name} for this config`);
    }
    const F = this.config.featureBins;
    const mean = stats?.mean ?? new Float32Array(F);
    const std = stats?.std ?? new Float32Array(F).fill(1);
    if (mean.length !== F || std.length !== F) throw new ModelShapeError(`feature stats need ${F} bins`);
    if (std.some((s) => !(s > 0))) throw new ModelShapeError('feature stats: every std must be > 0');
    this.stats = {
      mean: tf.tensor1d(mean),
      invStd: tf.tensor1d(std.map((s) => 1 / s)),
      std: Float32Array.from(std),
    };
  }

  /** Number of trainable values. */
  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Feature normalisation stats (copied). */
  featureStats(): FeatureStats {
    const mean = this.stats.mean.dataSync() as Float32Array;
    return { mean: mean.slice(), std: this.stats.std.slice() };
  }

  setFeatureStats(stats: FeatureStats): void {
    const F = this.config.featureBins;
    if (stats.mean.length !== F || stats.std.length !== F)
      throw new ModelShapeError(`feature stats need ${F} bins`);
    if (stats.std.some((s) => !(s > 0))) throw new ModelShapeError('feature stats: every std must be > 0');
    this.stats.mean.dispose();
    this.stats.invStd.dispose();
    this.stats = {
      mean: tf.tensor1d(stats.mean),
      invStd: tf.tensor1d(stats.std.map((s) => 1 / s)),
      std: Float32Array.from(stats.std),
    };
  }

  /** Current weights as plain arrays (for checkpoints). */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, v] of this.params) out.set(k, v.dataSync() as Float32Array);
    return out;
  }

  /** Replaces all weights in place (same shapes), e.g. to restore a checkpoint. */
  assign(weights: Map<string, Float32Array>): void {
    for (const [name, v] of this.params) {
      const data = weights.get(name);
      if (!data || data.length !== v.size)
        throw new ModelShapeError(`cannot assign ${name}: missing or wrong size`);
      const next = tf.tensor(data, v.shape);
      v.assign(next);
      next.dispose(); // the variable holds its own reference
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.stats.mean.dispose();
    this.stats.invStd.dispose();
  }

  private p<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const v = this.params.get(name);
    if (!v) throw new ModelShapeError(`no parameter ${name}`);
    return v as unknown as tf.Tensor<R>;
  }

  /**
   * Layer i. `input` is either a streaming window that already holds the layer's left and right context
   * ([B, left + T + right, Cin]), or a whole utterance to be zero-padded here ([B, T, Cin]); either way
   * → [B, T', Cout]. Shared by the offline and streaming paths.
   */
  private layer(
    i: number,
    input: tf.Tensor3D,
    context: 'window' | 'zeros',
    training: boolean,
    dropoutSeed?: number,
  ): tf.Tensor3D {
    const g = this.geoms[i];
    const padded = () => (context === 'zeros' ? padTime(input, g.left, g.right) : input);
    if (i === 0) {
      const y = stackedConv1d(
        padded(),
        this.p('subsample.0.weight'),
        this.p('subsample.0.bias'),
        g.kernel,
        g.stride,
      );
      return tf.relu(y); // [B, T/s0, C]
    }
    if (i === 1) {
      const dw = depthwise1d(padded(), this.p('subsample.1.depthwise'), g.stride); // [B, T/S, C]
      return tf.relu(pointwise(dw, this.p('subsample.1.weight'), this.p('subsample.1.bias')));
    }
    const b = i - 2;
    const params = {
      depthwise: this.p<tf.Rank.R2>(`blocks.${b}.depthwise`),
      weight: this.p<tf.Rank.R2>(`blocks.${b}.weight`),
      bias: this.p<tf.Rank.R1>(`blocks.${b}.bias`),
      gamma: this.p<tf.Rank.R1>(`blocks.${b}.norm.gamma`),
      beta: this.p<tf.Rank.R1>(`blocks.${b}.norm.beta`),
    };
    const eps = this.config.layerNormEps;
    if (context === 'window') return residualBlockWindow(input, params, g.left, eps); // [B, T, C]
    // x + dropout(ReLU(LN(pointwise(depthwise(x))))) as one op with its own backward pass (block-op.ts).
    return residualBlock(input, params, {
      left: g.left,
      right: g.right,
      eps,
      dropout: training ? this.config.dropout : 0,
      // A seed per step and layer makes a resumed run draw the same masks as an uninterrupted one.
      seed: dropoutSeed === undefined ? undefined : dropoutSeed * 131 + i,
    }); // [B, T, C]
  }

  private head(h: tf.Tensor3D): tf.Tensor3D {
    const n = layerNorm(h, this.p('head.norm.gamma'), this.p('head.norm.beta'), this.config.layerNormEps);
    return pointwise(n, this.p('head.weight'), this.p('head.bias')); // [B, T', V]
  }

  private normalise(features: tf.Tensor3D): tf.Tensor3D {
    return tf.mul(tf.sub(features, this.stats.mean), this.stats.invStd);
  }

  /**
   * Offline forward over a padded batch. features: [B, T, F] raw log-mel; lengths: valid frames
   * per utterance. Returns logits [B, T', V] (unnormalised; see logProbs) and each utterance's
   * output length. Frames past an utterance's length are zeroed after every layer, so an utterance
   * gets the same logits in any batch as alone.
   */
  forward(
    features: tf.Tensor3D,
    lengths: readonly number[],
    training = false,
    dropoutSeed?: number,
  ): { logits: tf.Tensor3D; lengths: number[] } {
    const [B, T, F] = features.shape;
    if (F !== this.config.featureBins)
      throw new ModelShapeError(`features have ${F} bins, model expects ${this.config.featureBins}`);
    if (lengths.length !== B) throw new ModelShapeError(`${lengths.length} lengths for a batch of ${B}`);
    if (lengths.some((l) => !Number.isInteger(l) || l < 0 || l > T))
      throw new ModelShapeError(`lengths must be integers in [0, ${T}]`);
    let lens = [...lengths];
    const outLengths = lengths.map((l) => outputFrames(l, this.config));
    const logits = tf.tidy(() => {
      let h = tf.mul(this.normalise(features), timeMask(lens, T)) as tf.Tensor3D; // [B, T, F]
      for (let i = 0; i < this.geoms.length; i++) {
        const g = this.geoms[i];
        lens = lens.map((l) => convOutputFrames(l, g.kernel, g.stride, g.left, g.right));
        // A scope per layer: its intermediates go as soon as it is done, except what the gradient tape
        // keeps for the backward pass, so training holds one layer's temporaries at a time, not all.
        const input = h;
        h = tf.tidy(() => {
          const out = this.layer(i, input, 'zeros', training, dropoutSeed); // [B, T_i, C]
          return tf.mul(out, timeMask(lens, out.shape[1])) as tf.Tensor3D;
        });
      }
      return this.head(h);
    });
    return { logits, lengths: outLengths };
  }

  /** Log-probabilities [B, T', V]: the head's logits through log-softmax. */
  logProbs(features: tf.Tensor3D, lengths: readonly number[]): { logProbs: tf.Tensor3D; lengths: number[] } {
    const { logits, lengths: outLengths } = this.forward(features, lengths, false);
    const lp = tf.tidy(() => tf.logSoftmax(logits));
    logits.dispose();
    return { logProbs: lp as tf.Tensor3D, lengths: outLengths };
  }

  /** A streaming session over this model's current weights. */
  createStream(): ModelStream {
    return new ModelStream(this, this.geoms);
  }

  /** @internal used by ModelStream */
  streamLayer(i: number, window: tf.Tensor3D): tf.Tensor3D {
    return this.layer(i, window, 'window', false);
  }

  /** @internal used by ModelStream */
  streamHead(h: tf.Tensor3D): tf.Tensor3D {
    return tf.logSoftmax(this.head(h));
  }

  /** @internal used by ModelStream */
  streamNormalise(x: tf.Tensor3D): tf.Tensor3D {
    return this.normalise(x);
  }
}

/**
 * Streaming forward: feed feature frames in chunks of any size, get log-prob frames as soon as
 * every layer has seen enough future context. Each layer keeps exactly the past frames its kernel
 * needs (and its look-ahead), so no frame is computed twice. `flush()` ends the utterance with the
 * same zero padding the offline forward uses, so the concatenated outputs equal the offline ones.
 */
export class ModelStream {
  private buffers: (tf.Tensor3D | null)[];
  private flushed = false;
  private inFrames = 0;
  private outFrames = 0;

  constructor(
    private readonly model: AcousticModel,
    private readonly geoms: ConvGeometry[],
  ) {
    this.buffers = geoms.map(() => null);
  }

  /** Feature frames accepted so far. */
  get framesIn(): number {
    return this.inFrames;
  }

  /** Log-prob frames emitted so far. */
  get framesOut(): number {
    return this.outFrames;
  }

  /** features: [n, F] raw log-mel, row-major → log-probs [m, V] for the frames that became ready. */
  accept(features: Float32Array, n: number): { logProbs: Float32Array; frames: number } {
    return this.readSync(this.acceptTensor(features, n));
  }

  /** accept() with the result read back asynchronously: for backends without a working synchronous read. */
  acceptAsync(features: Float32Array, n: number): Promise<{ logProbs: Float32Array; frames: number }> {
    return this.readAsync(this.acceptTensor(features, n));
  }

  /** Ends the utterance: pads each layer's right context with zeros and emits the remaining frames. */
  flush(): { logProbs: Float32Array; frames: number } {
    return this.readSync(this.flushTensor());
  }

  /** flush() with the result read back asynchronously. */
  flushAsync(): Promise<{ logProbs: Float32Array; frames: number }> {
    return this.readAsync(this.flushTensor());
  }

  dispose(): void {
    for (const b of this.buffers) b?.dispose();
    this.buffers = this.geoms.map(() => null);
  }

  /** The log-probs [1, m, V] that `n` more feature frames make ready (undefined: none yet). */
  private acceptTensor(features: Float32Array, n: number): tf.Tensor3D | undefined {
    if (this.flushed) throw new Error('stream already flushed; create a new one');
    const F = this.model.config.featureBins;
    if (features.length !== n * F)
      throw new ModelShapeError(`expected ${n}×${F} feature values, got ${features.length}`);
    this.inFrames += n;
    if (n === 0) return undefined;
    const input = tf.tensor3d(features, [1, n, F]);
    try {
      return this.run((_i) => null, input);
    } finally {
      input.dispose();
    }
  }

  /** The log-probs [1, m, V] left at the end of the utterance (undefined: none, or already flushed). */
  private flushTensor(): tf.Tensor3D | undefined {
    if (this.flushed) return undefined;
    this.flushed = true;
    return this.run((i, C) => (this.geoms[i].right > 0 ? tf.zeros([1, this.geoms[i].right, C]) : null), null);
  }

  private readSync(out: tf.Tensor3D | undefined): { logProbs: Float32Array; frames: number } {
    if (!out) return { logProbs: new Float32Array(0), frames: 0 };
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return this.emitted(data, out.shape[1]);
  }

  private async readAsync(out: tf.Tensor3D | undefined): Promise<{ logProbs: Float32Array; frames: number }> {
    if (!out) return { logProbs: new Float32Array(0), frames: 0 };
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return this.emitted(data, out.shape[1]);
  }

  private emitted(data: Float32Array, frames: number): { logProbs: Float32Array; frames: number } {
    const V = this.model.config.vocabSize;
    this.outFrames += frames;
    return { logProbs: data.length === frames * V ? data : data.slice(0, frames * V), frames };
  }

  /**
   * Pushes `input` (raw features, or null) through every layer. `tail(i, C)` supplies extra frames
   * appended to layer i's buffer before it runs (the right padding at flush time). Returns the head's
   * log-probs [1, m, V], or undefined when no frame became ready.
   */
  private run(
    tail: (i: number, C: number) => tf.Tensor3D | null,
    input: tf.Tensor3D | null,
  ): tf.Tensor3D | undefined {
    return tf.tidy((): tf.Tensor3D | undefined => {
      let x: tf.Tensor3D | null = input ? this.model.streamNormalise(input) : null; // [1, n, F]
      for (let i = 0; i < this.geoms.length; i++) {
        const g = this.geoms[i];
        const C = i === 0 ? this.model.config.featureBins : this.model.config.channels;
        // Start of stream: the left context is zeros, exactly like the offline left padding.
        let buf = this.buffers[i] ?? tf.zeros([1, g.left, C]);
        const parts = [buf, x, tail(i, C)].filter((t): t is tf.Tensor3D => t !== null && t.shape[1] > 0);
        if (parts.length === 0) {
          x = null;
          continue;
        }
        buf = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor3D); // [1, len, C]
        const len = buf.shape[1];
        const nOut = convOutputFrames(len, g.kernel, g.stride, 0, 0);
        if (nOut === 0) {
          this.keep(i, buf);
          x = null;
          continue;
        }
        const used = (nOut - 1) * g.stride + g.kernel;
        x = this.model.streamLayer(i, tf.slice(buf, [0, 0, 0], [1, used, C])); // [1, nOut, C']
        const consumed = nOut * g.stride;
        this.keep(i, tf.slice(buf, [0, consumed, 0], [1, len - consumed, C]));
      }
      return x ? this.model.streamHead(x) : undefined; // [1, m, V]
    });
  }

  private keep(i: number, t: tf.Tensor3D): void {
    const old = this.buffers[i];
    this.buffers[i] = tf.keep(t.clone());
    old?.dispose();
  }
}
