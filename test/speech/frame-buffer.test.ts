import { describe, expect, it } from 'vitest';
import { FrameBuffer } from '../../src-main/speech/frame-buffer.js';

describe('FrameBuffer', () => {
  it('keeps appended rows contiguous as it grows, and starts over when cleared', () => {
    const b = new FrameBuffer(3, 2);
    const rows: number[] = [];
    for (let k = 0; k < 5; k++) {
      const chunk = Float32Array.from({ length: 3 * (k + 1) }, (_, i) => k * 100 + i);
      b.append(chunk, k + 1);
      rows.push(...chunk);
    }
    expect(b.frames).toBe(15);
    expect(Array.from(b.view())).toEqual(rows);
    b.clear();
    expect(b.frames).toBe(0);
    b.append(Float32Array.of(7, 8, 9, 10), 1); // only the first row is taken
    expect(Array.from(b.view())).toEqual([7, 8, 9]);
    expect(() => b.append(new Float32Array(2), 1)).toThrow(/2 values cannot hold 1 rows/);
  });
});
