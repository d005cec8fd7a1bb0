import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient of Prod. tfjs-core's own calls chained tensor methods (x.reshape) that bare tfjs-core never
 * registers, so it always fails there; and its module is the one a plain Node loader cannot resolve.
 * Same method as tfjs-core's, in plain ops: move the reduced
 * axes last and flatten them, then d(prod)/dx_i is the product of all other entries, taken as the exclusive
 * cumulative product from the left times the one from the right (exact even when some entries are zero).
 */
export const prodGradConfig: tf.GradConfig = {
  kernelName: 'Prod',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const dyTensor = Array.isArray(dy) ? dy[0] : dy;
    const { axis } = attrs as unknown as { axis: number | number[] };
    const rank = x.rank;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    return {
      x: () => {
        const perm = tf.backend_util.getAxesPermutation(axes, rank);
        const permuted = perm == null ? x : tf.transpose(x, perm);
        const keptShape = permuted.shape.slice(0, rank - axes.length);
        const reducedSize = tf.util.sizeFromShape(permuted.shape.slice(rank - axes.length));
        const flat = tf.reshape(permuted, [...keptShape, reducedSize]); // [...kept, R]
        const last = keptShape.length;
        const others = tf.mul(tf.cumprod(flat, last, true, false), tf.cumprod(flat, last, true, true));
        const grad = tf.mul(tf.reshape(dyTensor, [...keptShape, 1]), others);
        const unflat = tf.reshape(grad, permuted.shape);
        return perm == null ? unflat : tf.transpose(unflat, tf.backend_util.getUndoAxesPermutation(perm));
      },
    };
  },
};
