import type * as tf from '@tensorflow/tfjs-core';
import type { AcousticModel } from '../model/acoustic.js';
import type { Shard, ShardResult } from '../model/shard-gradients.js';
import type { ComputeHost } from './host-server.js';

export interface LogProbsResult {
  /** [B, T', V] row-major. */
  logProbs: Float32Array;
  /** T': frames of the longest output. */
  frames: number;
  /** Valid output frames of each utterance. */
  lengths: number[];
}

/**
 * A model that computes on a compute host: the local AcousticModel keeps the weights (the optimizer,
 * checkpoints and the guard see them as always), and the host holds a copy under this object's id, which
 * each `gradients` call brings up to date with the trained weights it sends. Nothing else lives on the host,
 * so a job can move to another backend between any two calls.
 */
export class RemoteModel {
  private constructor(
    readonly host: ComputeHost,
    private readonly id: number,
    private readonly model: AcousticModel,
    private readonly trained: string[],
  ) {}

  /** Sends every weight and the feature stats of `model` to the host. */
  static async load(
    host: ComputeHost,
    model: AcousticModel,
    trained: readonly string[],
    blank: number,
  ): Promise<RemoteModel> {
    const weights = model.weights();
    const names = [...weights.keys()];
    const stats = model.featureStats();
    const id = host.newId();
    await host.request(
      { op: 'load', model: id, acoustic: model.config, names, trained: [...trained], blank },
      [...names.map((n) => weights.get(n)!), stats.mean, stats.std],
    );
    return new RemoteModel(host, id, model, [...trained]);
  }

  /** Loss and gradients of one shard at the local model's current weights (shardGradients on the host). */
  async gradients(shard: Shard): Promise<ShardResult<Float32Array>> {
    const weights = this.trained.map((n) => {
      const v = this.model.params.get(n) as tf.Variable | undefined;
      if (!v) throw new Error(`the model has no parameter ${n}`);
      return v.dataSync() as Float32Array;
    });
    const total = shard.targets.reduce((n, t) => n + t.length, 0);
    const targets = new Int32Array(total);
    let at = 0;
    for (const t of shard.targets) {
      targets.set(t, at);
      at += t.length;
    }
    const reply = await this.host.request(
      {
        op: 'gradients',
        model: this.id,
        frames: shard.frames,
        lengths: shard.lengths,
        targetLengths: shard.targets.map((t) => t.length),
        seed: shard.seed,
      },
      [...weights, shard.features, targets],
    );
    const grads = reply.arrays as Float32Array[];
    if (grads.length !== this.trained.length)
      throw new Error(`the host sent ${grads.length} gradients for ${this.trained.length} parameters`);
    return { loss: reply.header.loss as number, infeasible: reply.header.infeasible as number, grads };
  }

  /** Offline log-probabilities of a padded batch: features [B, T, F]. */
  async logProbs(features: Float32Array, frames: number, lengths: number[]): Promise<LogProbsResult> {
    const reply = await this.host.request({ op: 'logProbs', model: this.id, frames, lengths }, [features]);
    return {
      logProbs: reply.arrays[0] as Float32Array,
      frames: reply.header.frames as number,
      lengths: reply.header.lengths as number[],
    };
  }

  /** A streaming session on the host over the weights it holds; opened there with its first chunk. */
  createStream(): RemoteStream {
    return new RemoteStream(this.host, this.id, this.host.newId());
  }

  /** Frees the host's copy and its streams. */
  unload(): void {
    this.host.post({ op: 'unload', model: this.id });
  }
}

/** ModelStream's interface, computed on the host: accept and flush answer asynchronously. */
export class RemoteStream {
  private opened = false;
  private disposed = false;

  constructor(
    private readonly host: ComputeHost,
    private readonly model: number,
    private readonly id: number,
  ) {}

  async accept(features: Float32Array, n: number): Promise<{ logProbs: Float32Array; frames: number }> {
    this.open();
    const reply = await this.host.request({ op: 'streamAccept', stream: this.id, frames: n }, [features]);
    return { logProbs: reply.arrays[0] as Float32Array, frames: reply.header.frames as number };
  }

  async flush(): Promise<{ logProbs: Float32Array; frames: number }> {
    this.open();
    const reply = await this.host.request({ op: 'streamFlush', stream: this.id });
    return { logProbs: reply.arrays[0] as Float32Array, frames: reply.header.frames as number };
  }

  /** Closes the host's stream without waiting (the host handles requests in order). */
  dispose(): void {
    if (this.opened && !this.disposed) this.host.post({ op: 'streamClose', stream: this.id });
    this.disposed = true;
  }

  /** The open request goes just before the first chunk: the host handles them in order, so no wait. */
  private open(): void {
    if (this.disposed) throw new Error('stream already disposed');
    if (this.opened) return;
    this.opened = true;
    this.host.post({ op: 'streamOpen', model: this.model, stream: this.id });
  }
}
