import type { AcousticModel } from '../model/acoustic.js';
import type { LoadedModel } from '../model/model-io.js';
import type { ComputeHost } from '../compute/host-server.js';
import { RemoteModel } from '../compute/remote-model.js';
import type { ModelStreamLike, StreamSource } from './segment-stream.js';

/** Models the host holds at once (see prepare). */
const KEPT_MODELS = 2;

/**
 * Model streams on the compute host (WebGPU), with this process's own backend behind them: when the host
 * fails (its GPU device lost, its browser gone), the user is told once, the host is closed, and every
 * stream from then on runs here; the phrase being spoken is replayed here by its SegmentStream.
 */
export class HostStreams implements StreamSource {
  private readonly remotes = new Map<AcousticModel, RemoteModel>();
  private failed = false;

  constructor(
    private readonly host: ComputeHost,
    private readonly tell: (message: string) => void,
  ) {}

  /**
   * Puts a model on the host before a recogniser streams with it (a failure moves to this process). The
   * host keeps the two newest: the one a phrase may still be spoken with, and the one it swaps to.
   */
  async prepare(m: LoadedModel): Promise<void> {
    if (this.failed) return;
    const held = this.remotes.get(m.model);
    if (held) {
      // Newest again (a rollback to it): kept before the ones swapped away from.
      this.remotes.delete(m.model);
      this.remotes.set(m.model, held);
      return;
    }
    try {
      this.remotes.set(m.model, await RemoteModel.load(this.host, m.model, [], m.alphabet.blank));
    } catch (err) {
      this.failOver(err);
      return;
    }
    for (const [model, remote] of [...this.remotes].slice(0, -KEPT_MODELS)) {
      remote.unload();
      this.remotes.delete(model);
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
