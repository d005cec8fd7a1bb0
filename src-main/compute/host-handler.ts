import * as tf from '@tensorflow/tfjs-core';
import { AcousticModel, type ModelStream } from '../model/acoustic.js';
import { CtcWorkspace } from '../speech/ctc.js';
import { shardGradientsAsync } from '../model/shard-gradients.js';
import type { AdapterInfo, HostBackend, HostRequestHeader } from './contract.js';
import type { WireArray } from './wire.js';

/** A reply before its id is attached: the op's fields and arrays. */
export interface HandlerReply {
  fields: Record<string, unknown>;
  arrays: WireArray[];
}

export interface HostHandlerConfig {
  /** Finds the GPU adapter WebGPU would use (null: none); called when the webgpu backend starts. */
  probeAdapter: () => Promise<AdapterInfo | null>;
  /** Carries out a fault drill on the device the backend computes on; absent where there is none. */
  drill?: (fault: 'deviceLost' | 'gpuError') => void;
}

/**
 * What a compute host does with each request (contract.ts), apart from the channel: holds one model and
 * its streams on the backend it was started on, and never reads a tensor back synchronously (WebGPU's
 * synchronous read is unreliable). The page (host-page.ts) feeds it; tests drive it directly on the cpu
 * backend.
 */
/** A model the host holds: its live weights and what its gradients are taken of. */
interface HeldModel {
  model: AcousticModel;
  trained: tf.Variable[];
  trainedNames: string[];
  blank: number;
}

export class ComputeHostHandler {
  private readonly models = new Map<number, HeldModel>();
  /** Streams by the caller's id, each with the model it runs. */
  private readonly streams = new Map<number, { model: number; stream: ModelStream }>();
  private readonly workspace = new CtcWorkspace();

  constructor(private readonly config: HostHandlerConfig) {}

  async handle(req: HostRequestHeader, arrays: WireArray[]): Promise<HandlerReply> {
    switch (req.op) {
      case 'start':
        return this.start(req.backend);
      case 'load':
        return this.load(req, arrays);
      case 'unload':
        this.unload(req.model);
        return reply({});
      case 'gradients':
        return this.gradients(req, arrays);
      case 'logProbs':
        return this.logProbs(req, arrays);
      case 'streamOpen': {
        if (this.streams.has(req.stream)) throw new Error(`stream ${req.stream} is already open`);
        const stream = this.held(req.model).model.createStream();
        this.streams.set(req.stream, { model: req.model, stream });
        return reply({ stream: req.stream });
      }
      case 'streamAccept': {
        const features = float32(arrays, 0, 'features');
        const out = await this.stream(req.stream).acceptAsync(features, req.frames);
        return reply({ frames: out.frames }, [out.logProbs]);
      }
      case 'streamFlush': {
        const out = await this.stream(req.stream).flushAsync();
        return reply({ frames: out.frames }, [out.logProbs]);
      }
      case 'drill':
        if (!this.config.drill) throw new Error('this backend has no device to drill');
        this.config.drill(req.fault);
        return reply({});
      case 'streamClose':
        this.streams.get(req.stream)?.stream.dispose();
        this.streams.delete(req.stream);
        return reply({});
      default:
        throw new Error(`unknown op '${String((req as { op: unknown }).op)}'`);
    }
  }

  private async start(backend: HostBackend): Promise<HandlerReply> {
    if (backend !== 'webgpu' && backend !== 'cpu') throw new Error(`unknown backend '${String(backend)}'`);
    const adapter = backend === 'webgpu' ? await this.config.probeAdapter() : null;
    if (backend === 'webgpu' && adapter == null) throw new Error('WebGPU found no adapter');
    // setBackend answers false (it does not throw) where the backend cannot start.
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to start`);
    await tf.ready();
    return reply({ backend, adapter });
  }

  private load(req: Extract<HostRequestHeader, { op: 'load' }>, arrays: WireArray[]): HandlerReply {
    if (arrays.length !== req.names.length + 2)
      throw new Error(`${arrays.length} arrays for ${req.names.length} parameters and the feature stats`);
    const weights = new Map<string, Float32Array>();
    req.names.forEach((name, k) => weights.set(name, float32(arrays, k, name)));
    const stats = {
      mean: float32(arrays, req.names.length, 'feature mean'),
      std: float32(arrays, req.names.length + 1, 'feature std'),
    };
    const model = new AcousticModel(req.acoustic, weights, stats);
    const trained = req.trained.map((name) => {
      const v = model.params.get(name);
      if (!v) {
        model.dispose();
        throw new Error(`the model has no parameter ${name}`);
      }
      return v;
    });
    this.unload(req.model);
    this.models.set(req.model, { model, trained, trainedNames: [...req.trained], blank: req.blank });
    return reply({ parameters: model.parameterCount });
  }

  private async gradients(
    req: Extract<HostRequestHeader, { op: 'gradients' }>,
    arrays: WireArray[],
  ): Promise<HandlerReply> {
    const held = this.held(req.model);
    const { model } = held;
    const n = held.trained.length;
    if (arrays.length !== n + 2)
      throw new Error(`${arrays.length} arrays for ${n} weights, features, targets`);
    held.trained.forEach((v, k) => {
      const name = held.trainedNames[k];
      const w = float32(arrays, k, name);
      if (w.length !== v.size) throw new Error(`weights for ${name}: ${w.length} values, ${v.size} needed`);
      const next = tf.tensor(w, v.shape);
      v.assign(next);
      next.dispose();
    });
    const features = float32(arrays, n, 'features');
    const B = req.lengths.length;
    if (features.length !== B * req.frames * model.config.featureBins)
      throw new Error(
        `features hold ${features.length} values, not ${B}×${req.frames}×${model.config.featureBins}`,
      );
    const targets = splitTargets(arrays[n + 1], req.targetLengths, B);
    const shard = { features, frames: req.frames, lengths: req.lengths, targets, seed: req.seed };
    const r = await shardGradientsAsync(model, held.trained, shard, held.blank, this.workspace);
    const grads = await Promise.all(r.grads.map((g) => g.data() as Promise<Float32Array>));
    tf.dispose(r.grads);
    return reply({ loss: r.loss, infeasible: r.infeasible }, grads);
  }

  private async logProbs(
    req: Extract<HostRequestHeader, { op: 'logProbs' }>,
    arrays: WireArray[],
  ): Promise<HandlerReply> {
    const { model } = this.held(req.model);
    const features = float32(arrays, 0, 'features');
    const B = req.lengths.length;
    const F = model.config.featureBins;
    if (features.length !== B * req.frames * F)
      throw new Error(`features hold ${features.length} values, not ${B}×${req.frames}×${F}`);
    const x = tf.tensor3d(features, [B, req.frames, F]); // [B, T, F]
    const { logProbs, lengths } = model.logProbs(x, req.lengths); // [B, T', V]
    x.dispose();
    const data = (await logProbs.data()) as Float32Array;
    const frames = logProbs.shape[1];
    logProbs.dispose();
    return reply({ frames, lengths }, [data]);
  }

  private held(id: number): HeldModel {
    const held = this.models.get(id);
    if (!held) throw new Error(`no model ${id} is loaded`);
    return held;
  }

  private stream(id: number): ModelStream {
    const s = this.streams.get(id);
    if (!s) throw new Error(`no stream ${id}`);
    return s.stream;
  }

  /** Frees a model and the streams that run it. */
  private unload(id: number): void {
    for (const [sid, s] of this.streams)
      if (s.model === id) {
        s.stream.dispose();
        this.streams.delete(sid);
      }
    this.models.get(id)?.model.dispose();
    this.models.delete(id);
  }
}

function reply(fields: Record<string, unknown>, arrays: WireArray[] = []): HandlerReply {
  return { fields, arrays };
}

function float32(arrays: WireArray[], k: number, what: string): Float32Array {
  const a = arrays[k];
  if (!(a instanceof Float32Array)) throw new Error(`${what}: expected float32 values`);
  return a;
}

/** The targets of B utterances, sent concatenated, back into one array each. */
function splitTargets(flat: WireArray | undefined, lengths: number[], B: number): Int32Array[] {
  if (!(flat instanceof Int32Array)) throw new Error('targets: expected int32 class ids');
  if (lengths.length !== B) throw new Error(`${lengths.length} target lengths for ${B} utterances`);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total !== flat.length) throw new Error(`target lengths sum to ${total}, ${flat.length} ids were sent`);
  let at = 0;
  return lengths.map((n) => flat.subarray(at, (at += n)));
}
