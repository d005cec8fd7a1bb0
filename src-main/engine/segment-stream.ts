import type { LoadedModel } from '../model/model-io.js';
import { FrameBuffer } from '../speech/frame-buffer.js';

/** What a model stream emits for the frames that became ready: log-probs [frames, V] row-major. */
export interface StreamOut {
  logProbs: Float32Array;
  frames: number;
}

/** A model stream computed here (ModelStream) or on a compute host (RemoteStream, which answers later). */
export interface ModelStreamLike {
  accept(features: Float32Array, frames: number): StreamOut | Promise<StreamOut>;
  flush(): StreamOut | Promise<StreamOut>;
  dispose(): void;
}

/** Where a recogniser's model streams come from. */
export interface StreamSource {
  open(model: LoadedModel): ModelStreamLike;
  /**
   * Called once a stream has failed: make later `open` calls use another backend (and tell the user), or
   * throw to end dictation with the error. Absent: streams cannot fail over, and an error ends dictation.
   */
  failOver?(err: unknown): void;
}

/** This process's own backend: the model's ModelStream. */
export const LOCAL_STREAMS: StreamSource = { open: (m) => m.model.createStream() };

/** What a segment stream emits; `replayed`: the logProbs are the whole segment's, decoded afresh. */
export interface SegmentOut extends StreamOut {
  replayed: boolean;
}

/**
 * One phrase's model stream. Where the stream can fail over (the compute host's GPU lost, its browser gone),
 * the phrase's feature frames are kept, and on a failure the source moves to its next backend and the phrase
 * is fed again from its first frame to a new stream: the log-probs come out as the failed stream's would
 * have, so the phrase loses nothing. The caller then decodes the whole phrase again (`replayed`).
 */
export class SegmentStream {
  private stream: ModelStreamLike;
  /** The phrase's features so far [frames, F]: kept only where the stream can fail over. */
  private readonly features: FrameBuffer | null;

  constructor(
    private readonly model: LoadedModel,
    private readonly source: StreamSource,
  ) {
    this.stream = source.open(model);
    this.features = source.failOver ? new FrameBuffer(model.model.config.featureBins) : null;
  }

  async accept(data: Float32Array, frames: number): Promise<SegmentOut> {
    this.features?.append(data, frames);
    try {
      return { ...(await this.stream.accept(data, frames)), replayed: false };
    } catch (err) {
      return this.replay(err);
    }
  }

  async flush(): Promise<SegmentOut> {
    try {
      return { ...(await this.stream.flush()), replayed: false };
    } catch (err) {
      const replayed = await this.replay(err);
      const rest = await this.stream.flush();
      return { ...joined(replayed, rest, this.model.model.config.vocabSize), replayed: true };
    }
  }

  dispose(): void {
    this.stream.dispose();
  }

  private async replay(err: unknown): Promise<SegmentOut> {
    if (!this.source.failOver || !this.features) throw err;
    this.source.failOver(err);
    this.stream.dispose();
    this.stream = this.source.open(this.model);
    const out = await this.stream.accept(this.features.view(), this.features.frames);
    return { ...out, replayed: true };
  }
}

function joined(a: StreamOut, b: StreamOut, V: number): StreamOut {
  const logProbs = new Float32Array((a.frames + b.frames) * V);
  logProbs.set(a.logProbs.subarray(0, a.frames * V));
  logProbs.set(b.logProbs.subarray(0, b.frames * V), a.frames * V);
  return { logProbs, frames: a.frames + b.frames };
}
