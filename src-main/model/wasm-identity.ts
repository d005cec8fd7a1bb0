// The wasm backend's Identity kernel copies its input, where the cpu and WebGL backends share the buffer.
// Identity is what the gradient tape runs to keep every tensor the backward pass needs, so on wasm each
// training step held a second copy of nearly every activation: about half of its peak memory. Tensors are
// immutable, so sharing the buffer (counted by reference, exactly as the same backend's Reshape does) is
// safe and is what the other backends do.
import * as tf from '@tensorflow/tfjs-core';

/** The part of the wasm backend the kernel uses: its reference count per buffer. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

let installed = false;

/** Registers the sharing Identity for the wasm backend (once per process). */
export function installWasmIdentity(): void {
  if (installed) return;
  installed = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as RefCounting).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
