import { convOutputFrames } from './layers.js';

/**
 * Shape of the streaming acoustic model. Stored verbatim in a model folder's config.json, so a
 * checkpoint always says how to rebuild itself.
 */
export interface AcousticConfig {
  /** Values per input frame: the front end's bins (speech/front-end.ts frontEndBins; 80 log-mel by default). */
  featureBins: number;
  /** Input frame hop in ms (the feature front end's hop). */
  hopMs: number;
  /** Output classes, including the blank (lines of tokens.txt). */
  vocabSize: number;
  /**
   * Width of every block: at 20 ms frames, 192 keeps the compute per second of audio near what 256 cost at
   * 40 ms, and trains faster on a CPU than 256 would.
   */
  channels: number;
  /** Time width of both subsampling convolutions, in their input frames. */
  subsampleKernel: number;
  /**
   * Time stride of the two subsampling convolutions. [2, 1] gives 20 ms output frames: synthetic
   * and fast human speech reach 15–20 characters/s, and character CTC needs a frame per character
   * plus blanks between repeats and around words; at 40 ms ([2, 2]) only ~1.5 frames per character
   * remain and the model learns slowly and inserts word breaks.
   */
  subsampleStrides: [number, number];
  /** Future input frames each subsampling conv may see (its look-ahead), in its own input frames. */
  subsampleRightContext: number;
  /** Number of depthwise-separable residual blocks. */
  blocks: number;
  /**
   * Depthwise kernel width in output frames. 9 taps: WebAssembly's depthwise kernels are tuned for
   * 9 and 25 taps and run 2–3× slower at other widths; 12 blocks × 8 past frames is still ~3.8 s of
   * left context.
   */
  kernel: number;
  /**
   * Future frames each block may see. Most blocks are causal; a few see one frame ahead, which is
   * where the look-ahead budget (≤ 200 ms in total) buys the most accuracy.
   */
  blockRightContext: number[];
  /** Dropout on block outputs while training. */
  dropout: number;
  layerNormEps: number;
}

export const DEFAULT_ACOUSTIC: AcousticConfig = {
  featureBins: 80,
  hopMs: 10,
  vocabSize: 29,
  channels: 192,
  subsampleKernel: 3,
  subsampleStrides: [2, 1],
  subsampleRightContext: 1,
  blocks: 12,
  kernel: 9,
  blockRightContext: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
  dropout: 0.1,
  layerNormEps: 1e-5,
};

/** The most audio any output frame may wait for when streaming: the model's latency budget. */
export const MAX_LOOK_AHEAD_MS = 200;

/**
 * Blocks and their look-ahead for a model `blocks` deep at the given subsampling strides: the default's
 * pattern for its blocks, causal ones after them, so a deeper model keeps the default's latency. At coarser
 * frames each block's frame of look-ahead is worth more ms; the last ones become causal until the whole model
 * fits the look-ahead budget (`maxLookAheadMs`).
 */
export function blockLayout(
  blocks: number,
  subsampleStrides: [number, number] = DEFAULT_ACOUSTIC.subsampleStrides,
  maxLookAheadMs = MAX_LOOK_AHEAD_MS,
): Pick<AcousticConfig, 'blocks' | 'blockRightContext'> {
  const blockRightContext = Array.from(
    { length: blocks },
    (_, i) => DEFAULT_ACOUSTIC.blockRightContext[i] ?? 0,
  );
  const cfg = causalFromTop(
    { ...DEFAULT_ACOUSTIC, subsampleStrides, blocks, blockRightContext },
    maxLookAheadMs,
  );
  if (lookAheadMs(cfg) > maxLookAheadMs)
    throw new Error(
      `no model fits a look-ahead budget of ${maxLookAheadMs} ms at these strides: its subsampling alone looks ${lookAheadMs(cfg)} ms ahead`,
    );
  return { blocks, blockRightContext: cfg.blockRightContext };
}

/**
 * `cfg` with its last look-ahead blocks made causal, from the top down, until it waits for at most
 * `maxMs` of audio; still over it only when the subsampling alone looks further ahead (callers check).
 */
export function causalFromTop(cfg: AcousticConfig, maxMs: number): AcousticConfig {
  const out = { ...cfg, blockRightContext: [...cfg.blockRightContext] };
  for (let i = out.blocks - 1; i >= 0 && lookAheadMs(out) > maxMs; i--) out.blockRightContext[i] = 0;
  return out;
}

/** The subsampling front end is always two convolutions (a full conv, then a depthwise-separable one). */
export const SUBSAMPLE_LAYERS = 2;

/** Input frames per output frame. */
export function totalStride(cfg: AcousticConfig): number {
  return cfg.subsampleStrides[0] * cfg.subsampleStrides[1];
}

/** Left/right padding of one time convolution, in its input frames. */
export interface ConvGeometry {
  kernel: number;
  stride: number;
  left: number;
  right: number;
}

/** The time geometry of every convolution, in order: the subsampling pair, then the blocks. */
export function geometry(cfg: AcousticConfig): ConvGeometry[] {
  const sub = (stride: number): ConvGeometry => ({
    kernel: cfg.subsampleKernel,
    stride,
    left: cfg.subsampleKernel - 1 - cfg.subsampleRightContext,
    right: cfg.subsampleRightContext,
  });
  const blocks = cfg.blockRightContext.map((r) => ({
    kernel: cfg.kernel,
    stride: 1,
    left: cfg.kernel - 1 - r,
    right: r,
  }));
  return [sub(cfg.subsampleStrides[0]), sub(cfg.subsampleStrides[1]), ...blocks];
}

/** Output frames the model produces for `inputFrames` feature frames. */
export function outputFrames(inputFrames: number, cfg: AcousticConfig = DEFAULT_ACOUSTIC): number {
  let t = inputFrames;
  for (const g of geometry(cfg)) t = convOutputFrames(t, g.kernel, g.stride, g.left, g.right);
  return t;
}

/** Duration of one output frame in ms. */
export function outputFrameMs(cfg: AcousticConfig): number {
  return cfg.hopMs * totalStride(cfg);
}

/** How far into the future (ms of audio) an output frame looks: the streaming latency floor. */
export function lookAheadMs(cfg: AcousticConfig): number {
  let ms = 0;
  let frameMs = cfg.hopMs;
  for (const g of geometry(cfg)) {
    ms += g.right * frameMs;
    frameMs *= g.stride;
  }
  return ms;
}

/** Checks a config for internal consistency; returns a list of problems (empty when fine). */
export function configProblems(cfg: AcousticConfig): string[] {
  const p: string[] = [];
  const posInt = (name: keyof AcousticConfig) => {
    const v = cfg[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      p.push(`${name} must be a positive integer, got ${String(v)}`);
  };
  (['featureBins', 'vocabSize', 'channels', 'subsampleKernel', 'blocks', 'kernel'] as const).forEach(posInt);
  if (!(cfg.hopMs > 0)) p.push(`hopMs must be > 0, got ${cfg.hopMs}`);
  if (!Array.isArray(cfg.blockRightContext) || cfg.blockRightContext.length !== cfg.blocks) {
    p.push(`blockRightContext needs one entry per block (${cfg.blocks})`);
  } else if (cfg.blockRightContext.some((r) => !Number.isInteger(r) || r < 0 || r >= cfg.kernel)) {
    p.push(`blockRightContext entries must be integers in [0, kernel)`);
  }
  if (
    !Array.isArray(cfg.subsampleStrides) ||
    cfg.subsampleStrides.length !== SUBSAMPLE_LAYERS ||
    cfg.subsampleStrides.some((s) => !Number.isInteger(s) || s < 1 || s > cfg.subsampleKernel)
  ) {
    p.push(`subsampleStrides needs ${SUBSAMPLE_LAYERS} integers in [1, subsampleKernel]`);
  }
  if (
    !Number.isInteger(cfg.subsampleRightContext) ||
    cfg.subsampleRightContext < 0 ||
    cfg.subsampleRightContext >= cfg.subsampleKernel
  ) {
    p.push(`subsampleRightContext must be an integer in [0, subsampleKernel)`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) p.push(`dropout must be in [0, 1), got ${cfg.dropout}`);
  if (!(cfg.layerNormEps > 0)) p.push(`layerNormEps must be > 0`);
  return p;
}
