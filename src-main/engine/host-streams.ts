import type { AcousticModel } from '../model/acoustic.js';
import type { LoadedModel } from '../model/model-io.js';
import type { ComputeHost } from '../compute/host-server.js';
import { RemoteModel } from '../compute/remote-model.js';
import type { ModelStreamLike, StreamSource } from './segment-stream.js';

/**
 * Model streams on the compute host (WebGPU), with this process's own backend behind them: when the host
 * fails (its GPU device lost, its browser gone), the user is told once, the host is closed, and every
 * stream from then on runs here; the phrase being spoken is replayed here by its SegmentStream.
 */
export class HostStreams implements StreamSource {
  private readonly remotes = new WeakMap<AcousticModel, RemoteModel>();
  private failed = false;

  constructor(
    private readonly host: ComputeHost,
    private readonly tell: (message: string) => void,
  ) {}

  /** Puts a model on the host before a recogniser streams with it (a failure moves to this process). */
  async prepare(m: LoadedModel): Promise<void> {
    if (this.failed || this.remotes.has(m.model)) return;
    try {
      this.remotes.set(m.model, await RemoteModel.load(this.host, m.model, [], m.alphabet.blank));
    } catch (err) {
      this.failOver(err);
    }
  }

  open(m: LoadedModel): ModelStreamLike {
    const remote = this.failed ? undefined : this.remotes.get(m.model);
    return remote ? remote.createStream() : m.model.createStream();
  }

  failOver(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const why = err instanceof Error ? err.message : String(err);
    this.tell(`recognition moved from the GPU (WebGPU) to the CPU: ${why}`);
    void this.host.close();
  }

  /** Whether streams still go to the host. */
  get onHost(): boolean {
    return !this.failed;
  }

  async close(): Promise<void> {
    this.failed = true;
    await this.host.close();
  }
}
