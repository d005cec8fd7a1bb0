/**
 * Rows of a fixed width appended as they stream in, kept contiguous so the whole so far can be read as
 * one row-major [frames, width] array (e.g. a segment's log-probabilities, decoded again at its end).
 * Capacity doubles when full, so appending is amortised constant time per value.
 */
export class FrameBuffer {
  private data: Float32Array;
  private count = 0;

  constructor(
    readonly width: number,
    initialFrames = 256,
  ) {
    if (!(width > 0)) throw new Error(`FrameBuffer: width must be > 0, got ${width}`);
    this.data = new Float32Array(Math.max(1, initialFrames) * width);
  }

  get frames(): number {
    return this.count;
  }

  /** Appends `frames` rows, row-major [frames, width]. */
  append(rows: Float32Array, frames: number): void {
    const n = frames * this.width;
    if (rows.length < n) throw new Error(`FrameBuffer: ${rows.length} values cannot hold ${frames} rows`);
    const need = (this.count + frames) * this.width;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, this.count * this.width));
      this.data = grown;
    }
    this.data.set(rows.subarray(0, n), this.count * this.width);
    this.count += frames;
  }

  /** The rows so far, [frames, width] (a view: valid until the next append or clear). */
  view(): Float32Array {
    return this.data.subarray(0, this.count * this.width);
  }

  /** Forgets the rows, keeping the memory for the next segment. */
  clear(): void {
    this.count = 0;
  }
}
