// A training thread (see shard-workers.ts): holds a copy of the model on a single-threaded backend and
// returns the gradients of each shard it is sent, at the weights that come with it.
import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from 'node:worker_threads';
import { AcousticModel } from '../model/acoustic.js';
import { initBackend } from '../model/backend.js';
import { CtcWorkspace } from '../speech/ctc.js';
import { shardGradients } from '../model/shard-gradients.js';
import type { ShardWorkerReply, ShardWorkerRequest } from './shard-workers.js';

const port = parentPort;
if (!port) throw new Error('shard-worker.ts runs as a worker thread of the training loop');

let model: AcousticModel | null = null;
let vars: tf.Variable[] = [];
let blank = 0;
const workspace = new CtcWorkspace();

const send = (msg: ShardWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

port.on('message', (msg: ShardWorkerRequest) => {
  void handle(msg).catch((err: unknown) =>
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(msg: ShardWorkerRequest): Promise<void> {
  if (msg.type === 'init') {
    await initBackend({ prefer: msg.backend, wasmThreads: 1 });
    model = new AcousticModel(msg.acoustic, msg.weights, msg.stats);
    vars = msg.trained.map((name) => {
      const v = model!.params.get(name);
      if (!v) throw new Error(`the model has no parameter ${name}`);
      return v;
    });
    blank = msg.blank;
    send({ type: 'ready' });
    return;
  }
  if (!model) throw new Error('a shard arrived before the model');
  if (msg.weights.length !== vars.length)
    throw new Error(`${msg.weights.length} weight arrays for ${vars.length} trained parameters`);
  msg.weights.forEach((w, k) => {
    const next = tf.tensor(w, vars[k].shape);
    vars[k].assign(next);
    next.dispose();
  });
  const r = shardGradients(model, vars, msg.shard, blank, workspace);
  const grads = r.grads.map((g) => {
    const data = Float32Array.from(g.dataSync() as Float32Array);
    g.dispose();
    return data;
  });
  send(
    { type: 'result', id: msg.id, loss: r.loss, infeasible: r.infeasible, grads },
    grads.map((g) => g.buffer as ArrayBuffer),
  );
}
