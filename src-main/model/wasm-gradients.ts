// Gradients that let the WASM backend train, and a matMul that avoids its slow transposed path.
//
// tfjs-backend-wasm has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput or
// DepthwiseConv2dNativeBackpropFilter kernels, and its BatchMatMul runs 12–27× slower with a transpose flag
// than without. The gradients below are rewritten in kernels it does have, each an ordinary forward
// convolution or an unflagged matMul. They also cover dilated convolutions, which tfjs-core's own conv
// gradients refuse. Each one hands over to the gradient it replaced whenever the active backend is not wasm,
// so other backends always keep tfjs-core's reference gradients.
import * as tf from '@tensorflow/tfjs-core';

type Attrs = Record<string, unknown>;
type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/**
 * a · b with optional transposes of the last two axes. On wasm the transposes are made explicitly first,
 * because the unflagged kernel is much faster than the flagged one; elsewhere the flags are passed through.
 */
export function matMulFast(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (tf.getBackend() !== 'wasm' || (!transposeA && !transposeB)) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  return tf.matMul(transposeA ? swapLastAxes(a) : a, transposeB ? swapLastAxes(b) : b);
}

let installed = false;

/** Replaces the Conv2D, DepthwiseConv2dNative and BatchMatMul gradients (once per process). */
export function installWasmGradients(): void {
  if (installed) return;
  installed = true;
  overrideOnWasm('Conv2D', conv2dGrad);
  overrideOnWasm('DepthwiseConv2dNative', depthwiseConv2dGrad);
  overrideOnWasm('BatchMatMul', batchMatMulGrad);
}

function overrideOnWasm(kernelName: string, gradFunc: tf.GradFunc): void {
  const stock = tf.getGradient(kernelName);
  if (stock == null)
    throw new Error(`No gradient is registered for ${kernelName}: register tfjs-core's first.`);
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) =>
      tf.getBackend() === 'wasm' ? gradFunc(dy, saved, attrs) : stock.gradFunc(dy, saved, attrs),
  });
}

/** Conv2D (NHWC): x [B, H, W, Ci], filter [kh, kw, Ci, Co], dy [B, oh, ow, Co]. */
export const conv2dGrad: tf.GradFunc = (dy, saved, attrs) => {
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const dy4 = dy as tf.Tensor4D;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as Attrs;
  if (dataFormat === 'NCHW') throw new Error('The wasm conv2d gradient supports NHWC data only, got NCHW.');
  const info = convInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode, false);
  return {
    x: () => {
      // Transposed convolution as a forward one: spread dy out by the stride, then correlate with the
      // spatially flipped filter whose in/out channels are swapped, at the forward dilation.
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, Co, Ci]
      return tf.conv2d(inputGradSource(dy4, info), flipped, 1, 'valid', 'NHWC', [
        info.dilationHeight,
        info.dilationWidth,
      ]);
    },
    filter: () => {
      // dW[i, j, ci, co] = Σ_b,o x[b, o·s + i·d − pad, ci] · dy[b, o, co]: a convolution with the batch as
      // the channel axis, dy as the filter, and stride and dilation swapping roles.
      const xT = weightGradSource(tf.transpose(x, [3, 1, 2, 0]), info); // [Ci, H', W', B]
      const dyT = tf.transpose(dy4, [1, 2, 0, 3]); // [oh, ow, B, Co]
      const grad = tf.conv2d(xT, dyT, [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC', [
        info.strideHeight,
        info.strideWidth,
      ]); // [Ci, kh, kw, Co]
      return tf.transpose(grad, [1, 2, 0, 3]);
    },
  };
};

/** DepthwiseConv2dNative: x [B, H, W, C], filter [kh, kw, C, M], dy [B, oh, ow, C·M]. */
export const depthwiseConv2dGrad: tf.GradFunc = (dy, saved, attrs) => {
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const dy4 = dy as tf.Tensor4D;
  const { strides, pad, dilations, dimRoundingMode } = attrs as Attrs;
  const info = convInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode, true);
  const [batch, height, width, channels] = x.shape;
  const [kh, kw, , multiplier] = filter.shape;
  return {
    x: () => {
      // Each output channel c·M+m flows back only to input channel c: a depthwise correlation of the spread
      // dy with the flipped filter, then a sum over the multiplier.
      const flipped = tf.reshape<tf.Rank.R4>(tf.reverse(filter, [0, 1]), [kh, kw, channels * multiplier, 1]);
      const dx = tf.depthwiseConv2d(inputGradSource(dy4, info), flipped, 1, 'valid', 'NHWC', [
        info.dilationHeight,
        info.dilationWidth,
      ]); // [B, H, W, C·M]
      if (multiplier === 1) return dx;
      return tf.sum(tf.reshape(dx, [batch, height, width, channels, multiplier]), 4);
    },
    filter: () => {
      // Fold the batch into the channels so every (b, c) pair is its own depthwise channel whose filter is
      // that example's dy; the taps come out as the spatial axes, and the batch is summed away after.
      const folded = tf.reshape<tf.Rank.R4>(tf.transpose(x, [1, 2, 0, 3]), [
        1,
        height,
        width,
        batch * channels,
      ]);
      const dyFilter = tf.reshape<tf.Rank.R4>(tf.transpose(dy4, [1, 2, 0, 3]), [
        info.outHeight,
        info.outWidth,
        batch * channels,
        multiplier,
      ]); // [oh, ow, B·C, M]
      const grad = tf.depthwiseConv2d(
        weightGradSource(folded, info),
        dyFilter,
        [info.dilationHeight, info.dilationWidth],
        'valid',
        'NHWC',
        [info.strideHeight, info.strideWidth],
      ); // [1, kh, kw, B·C·M]
      return tf.sum(tf.reshape(grad, [kh, kw, batch, channels, multiplier]), 2);
    },
  };
};

/** BatchMatMul: a [Ba, M, K] (or [Ba, K, M] transposed), b [Bb, K, N] (or [Bb, N, K]), dy [B, M, N]. */
export const batchMatMulGrad: tf.GradFunc = (dy, saved, attrs) => {
  const [a, b] = saved;
  const g = dy as tf.Tensor;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  // The same products as tfjs-core's gradient, with every transpose made explicit by matMulFast; the batch
  // axes are then summed back to each input's shape where it was broadcast.
  let gradA: () => tf.Tensor;
  let gradB: () => tf.Tensor;
  if (!transposeA && !transposeB) {
    gradA = () => matMulFast(g, b, false, true);
    gradB = () => matMulFast(a, g, true, false);
  } else if (!transposeA && transposeB) {
    gradA = () => matMulFast(g, b, false, false);
    gradB = () => matMulFast(g, a, true, false);
  } else if (transposeA && !transposeB) {
    gradA = () => matMulFast(b, g, false, true);
    gradB = () => matMulFast(a, g, false, false);
  } else {
    gradA = () => matMulFast(b, g, true, true);
    gradB = () => matMulFast(g, a, true, true);
  }
  return { a: () => sumToShape(gradA(), a.shape), b: () => sumToShape(gradB(), b.shape) };
};

function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: unknown,
  dilations: unknown,
  pad: unknown,
  rounding: unknown,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as number | [number, number],
    (dilations ?? 1) as number | [number, number],
    pad as ConvPad,
    rounding as Rounding,
    depthwise,
  );
}

/**
 * dy spread out by the forward stride and padded (or cropped) so that a 'valid' stride-1 correlation with the
 * flipped filter at the forward dilation gives exactly the input's height and width.
 */
function inputGradSource(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const spread = zeroInsert(dy, info.strideHeight, info.strideWidth); // [B, (oh−1)·sh+1, (ow−1)·sw+1, C]
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.padInfo.top - spread.shape[1];
  const right = info.inWidth + info.padInfo.left - spread.shape[2];
  return padOrCrop(spread, top, bottom, left, right);
}

/**
 * x (spatial axes 1 and 2) padded (or cropped) to exactly the span the forward pass read, so that correlating
 * it with dy, dilated by the stride and strided by the dilation, yields exactly kh × kw taps.
 */
function weightGradSource(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const spanHeight = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight;
  const spanWidth = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth;
  const bottom = spanHeight - info.inHeight - info.padInfo.top;
  const right = spanWidth - info.inWidth - info.padInfo.left;
  return padOrCrop(x, info.padInfo.top, bottom, info.padInfo.left, right);
}

/** Inserts (stride − 1) zeros between neighbouring rows and columns: [B, H, W, C] → [B, (H−1)·sh+1, (W−1)·sw+1, C]. */
function zeroInsert(t: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  let out = t;
  if (strideHeight > 1) {
    const [b, h, w, c] = out.shape;
    const rows = tf.reshape(out, [b, h, 1, w * c]);
    const spread = tf.pad(rows, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
    ]); // [B, H, sh, W·C]
    out = tf.slice(tf.reshape<tf.Rank.R4>(spread, [b, h * strideHeight, w, c]), 0, [
      b,
      (h - 1) * strideHeight + 1,
      w,
      c,
    ]);
  }
  if (strideWidth > 1) {
    const [b, h, w, c] = out.shape;
    const cols = tf.reshape(out, [b * h, w, 1, c]);
    const spread = tf.pad(cols, [
      [0, 0],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]); // [B·H, W, sw, C]
    out = tf.slice(tf.reshape<tf.Rank.R4>(spread, [b, h, w * strideWidth, c]), 0, [
      b,
      h,
      (w - 1) * strideWidth + 1,
      c,
    ]);
  }
  return out;
}

/** Pads the spatial axes of [B, H, W, C] with zeros where an amount is positive and crops where it is negative. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const keptHeight = h - cropTop - Math.max(0, -bottom);
  const keptWidth = w - cropLeft - Math.max(0, -right);
  const cropped =
    keptHeight === h && keptWidth === w
      ? t
      : tf.slice(t, [0, cropTop, cropLeft, 0], [b, keptHeight, keptWidth, c]);
  const pads: [number, number][] = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return pads.some(([before, after]) => before > 0 || after > 0) ? tf.pad(cropped, pads) : cropped;
}

function swapLastAxes(t: tf.Tensor): tf.Tensor {
  const perm = [...Array(t.rank).keys()];
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

/** Sums a gradient over the axes its input was broadcast along, back to that input's shape. */
function sumToShape(grad: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(grad.shape, shape)) return grad;
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape);
}
