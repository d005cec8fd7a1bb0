import type { ModelFolder } from './checkpoint.js';
import { type AcousticConfig, configProblems } from './config.js';
import { parameterShapes } from './acoustic.js';
import { mulberry32 } from '../speech/prng.js';

/**
 * Growing a trained model wider (more channels), so a model that has run out of capacity keeps what it
 * learnt: each channel is copied `factor` times (function-preserving widening, Chen et al. 2016, "Net2Net").
 *
 * Why it computes what the narrow model did: every hidden vector becomes `factor` copies of itself, so
 *  - a matrix reading channels divides its rows by `factor` (the copies' sum is the old input);
 *  - depthwise taps, biases and layer-norm scales act per channel and are copied;
 *  - layer norm over the copies sees the same mean and variance, so normalises to copies of the same values.
 *
 * Why noise: copies that start equal get equal gradients and stay equal for ever, so the wider model would
 * never use its width. Each widened weight gets independent noise of `noise` times its tensor's standard
 * deviation, which moves the output a little (measured in the test) and lets the copies part.
 */
export interface WidenConfig {
  /** Channels of the wider model: a whole multiple (2 or more) of the model's. */
  channels: number;
  /** Noise added to every widened weight, as a fraction of its tensor's standard deviation. */
  noise: number;
  /** Seed of the noise. */
  seed: number;
}

// noise: 1e-3 moves the fixture model's log-probabilities by at most 0.06 and parts the copies from the first
// step (test/model/widen.test.ts); 1e-2 moves them by 0.7.
export const DEFAULT_WIDEN: Omit<WidenConfig, 'channels'> = { noise: 1e-3, seed: 1 };

/** The folder's model with `channels` channels, computing (nearly) what it did. */
export function widenModel(
  folder: ModelFolder,
  options: Pick<WidenConfig, 'channels'> & Partial<WidenConfig>,
): ModelFolder {
  const cfg: WidenConfig = {
    channels: options.channels,
    noise: options.noise ?? DEFAULT_WIDEN.noise,
    seed: options.seed ?? DEFAULT_WIDEN.seed,
  };
  const from = folder.acoustic;
  const C = from.channels;
  const factor = cfg.channels / C;
  if (!(Number.isInteger(factor) && factor >= 2))
    throw new Error(
      `a model can only be widened by a whole factor of 2 or more: it has ${C} channels, asked for ${cfg.channels}`,
    );
  if (!(cfg.noise >= 0)) throw new Error(`widening noise must be 0 or more, got ${cfg.noise}`);
  const acoustic: AcousticConfig = { ...from, channels: cfg.channels };
  const problems = configProblems(acoustic);
  if (problems.length > 0) throw new Error(`cannot widen the model: ${problems.join('; ')}`);

  const rand = mulberry32(cfg.seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(acoustic)) {
    const old = folder.weights.get(name);
    if (!old) throw new Error(`the model has no weight ${name}`);
    const [rows, cols] = shape.length === 2 ? shape : [1, shape[0]];
    // Which axes count channels: every column but the head's (classes), and the rows of the matrices that
    // read the hidden vector (the first convolution reads features, depthwise rows are taps).
    const colsAreChannels = !name.startsWith('head.') || name.startsWith('head.norm.');
    const readsChannels = name === 'head.weight' || /^(subsample\.1|blocks\.\d+)\.weight$/.test(name);
    const oldRows = readsChannels ? C : rows;
    const oldCols = colsAreChannels ? C : cols;
    if (old.length !== oldRows * oldCols) throw new Error(`the model's weight ${name} has the wrong size`);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const src = (r % oldRows) * oldCols;
      for (let c = 0; c < cols; c++) out[r * cols + c] = old[src + (c % oldCols)];
    }
    if (readsChannels) for (let i = 0; i < out.length; i++) out[i] /= factor;
    // Noise parts the copies; the head's bias and the layer-norm offsets need none (their inputs differ).
    if (cfg.noise > 0 && (name.endsWith('weight') || name.endsWith('depthwise')))
      addNoise(out, cfg.noise, rand);
    weights.set(name, out);
  }
  return { ...folder, acoustic, weights };
}

/** Adds Gaussian noise of `fraction` × the tensor's standard deviation to every value. */
function addNoise(data: Float32Array, fraction: number, rand: () => number): void {
  let sum = 0;
  let sumSq = 0;
  for (const x of data) {
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / data.length;
  const std = Math.sqrt(Math.max(0, sumSq / data.length - mean * mean));
  for (let i = 0; i < data.length; i++) {
    // Box–Muller: a standard normal from two uniforms (1 - u keeps the logarithm finite).
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    data[i] += fraction * std * g;
  }
}
