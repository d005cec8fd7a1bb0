import * as tf from '@tensorflow/tfjs-core';

/**
 * AdamW with a warm-up then inverse-square-root or cosine decay, and global-norm gradient
 * clipping. Written out (rather than tf.train.adam) so its moments and step count are plain named
 * tensors that go into a checkpoint and come back on resume exactly.
 */
export interface OptimizerConfig {
  /** Peak learning rate, reached at the end of warm-up. */
  learningRate: number;
  /** Steps of linear warm-up from 0. */
  warmupSteps: number;
  /** After warm-up: 'cosine' to minLearningRate at totalSteps, or 'constant' (fine-tuning). */
  decay: 'cosine' | 'constant';
  /** Steps the schedule spans (for cosine). */
  totalSteps: number;
  minLearningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (not applied to biases and norm parameters). */
  weightDecay: number;
  /**
   * Decoupled decay towards the starting weights (L2-SP): each step pulls every trained weight back by
   * lr × anchorDecay × (w − w₀), where w₀ is its value when the run began (see setAnchor). Under Adam's
   * steps of about lr, a weight settles within about 1 / anchorDecay of w₀ however long it trains:
   * fine-tuning learns the new voice without drifting far from what the model knew. 0 = off.
   */
  anchorDecay: number;
  /** Gradients are scaled down when their global L2 norm exceeds this. */
  clipNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  learningRate: 2e-3,
  warmupSteps: 500,
  decay: 'cosine',
  totalSteps: 20000,
  minLearningRate: 5e-5,
  beta1: 0.9,
  beta2: 0.98,
  epsilon: 1e-8,
  weightDecay: 1e-3,
  anchorDecay: 0,
  clipNorm: 5,
};

/** Learning rate at a (1-based) step. */
export function learningRateAt(step: number, cfg: OptimizerConfig): number {
  if (step <= cfg.warmupSteps) return (cfg.learningRate * step) / Math.max(1, cfg.warmupSteps);
  if (cfg.decay === 'constant') return cfg.learningRate;
  const span = Math.max(1, cfg.totalSteps - cfg.warmupSteps);
  const progress = Math.min(1, (step - cfg.warmupSteps) / span);
  return (
    cfg.minLearningRate + 0.5 * (cfg.learningRate - cfg.minLearningRate) * (1 + Math.cos(Math.PI * progress))
  );
}

function decays(name: string): boolean {
  return !(name.endsWith('bias') || name.endsWith('.gamma') || name.endsWith('.beta'));
}

export class AdamW {
  step = 0;
  private m = new Map<string, tf.Tensor>();
  private v = new Map<string, tf.Tensor>();
  private anchor = new Map<string, tf.Tensor>();

  constructor(readonly config: OptimizerConfig = DEFAULT_OPTIMIZER) {}

  /**
   * Applies one update to `params` (only those with a gradient). Returns the gradient norm before
   * clipping and the learning rate used.
   */
  apply(
    params: Map<string, tf.Variable>,
    grads: Record<string, tf.Tensor>,
  ): { gradNorm: number; learningRate: number } {
    this.step++;
    const cfg = this.config;
    const lr = learningRateAt(this.step, cfg);
    const names = Object.keys(grads);
    const sq = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    const gradNorm = Math.sqrt(sq.dataSync()[0]);
    sq.dispose();
    if (!Number.isFinite(gradNorm)) return { gradNorm, learningRate: lr }; // skip a poisoned step
    const scale = gradNorm > cfg.clipNorm ? cfg.clipNorm / gradNorm : 1;
    const bc1 = 1 - cfg.beta1 ** this.step;
    const bc2 = 1 - cfg.beta2 ** this.step;
    for (const name of names) {
      const p = params.get(name);
      if (!p) continue;
      tf.tidy(() => {
        const g = scale === 1 ? grads[name] : tf.mul(grads[name], scale);
        const m0 = this.m.get(name) ?? tf.zerosLike(p);
        const v0 = this.v.get(name) ?? tf.zerosLike(p);
        const m1 = tf.add(tf.mul(m0, cfg.beta1), tf.mul(g, 1 - cfg.beta1));
        const v1 = tf.add(tf.mul(v0, cfg.beta2), tf.mul(tf.square(g), 1 - cfg.beta2));
        const update = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), cfg.epsilon));
        let next = tf.sub(p, tf.mul(update, lr));
        if (cfg.weightDecay > 0 && decays(name)) next = tf.sub(next, tf.mul(p, lr * cfg.weightDecay));
        const w0 = this.anchor.get(name);
        if (cfg.anchorDecay > 0 && w0) next = tf.sub(next, tf.mul(tf.sub(p, w0), lr * cfg.anchorDecay));
        p.assign(next);
        this.keep(this.m, name, m1);
        this.keep(this.v, name, v1);
      });
    }
    return { gradNorm, learningRate: lr };
  }

  /** Records the weights anchorDecay pulls towards: call once, when a run begins (a checkpoint keeps them). */
  setAnchor(params: Map<string, tf.Variable>, names: readonly string[]): void {
    for (const name of names) {
      const p = params.get(name);
      if (!p) throw new Error(`no parameter ${name} to anchor`);
      this.keep(this.anchor, name, tf.clone(p));
    }
  }

  private keep(map: Map<string, tf.Tensor>, name: string, t: tf.Tensor): void {
    const old = map.get(name);
    map.set(name, tf.keep(t));
    old?.dispose();
  }

  /** Moments (and anchor) as plain arrays, named `m.<param>` / `v.<param>` / `anchor.<param>`, for a checkpoint. */
  state(): { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [prefix, map] of [
      ['m', this.m],
      ['v', this.v],
      ['anchor', this.anchor],
    ] as const) {
      for (const [name, t] of map)
        tensors.set(`${prefix}.${name}`, { shape: t.shape, data: t.dataSync() as Float32Array });
    }
    return { step: this.step, tensors };
  }

  restore(step: number, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
    this.dispose();
    this.step = step;
    for (const [key, t] of tensors) {
      const dot = key.indexOf('.');
      const prefix = key.slice(0, dot);
      const map =
        prefix === 'm' ? this.m : prefix === 'v' ? this.v : prefix === 'anchor' ? this.anchor : null;
      if (!map) throw new Error(`optimizer state: unknown entry ${key}`);
      map.set(key.slice(dot + 1), tf.keep(tf.tensor(t.data, t.shape)));
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    for (const t of this.anchor.values()) t.dispose();
    this.m.clear();
    this.v.clear();
    this.anchor.clear();
  }
}
