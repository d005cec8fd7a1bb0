import { describe, expect, it } from 'vitest';
import { speechSpan } from '../../src-main/app/take-audio.js';

const SR = 16000;

/** Silence, a tone of `amplitude` for `toneMs`, silence: the shape of a take. */
function take(beforeMs: number, toneMs: number, afterMs: number, amplitude = 0.3, hiss = 0): Float32Array {
  const n = (ms: number) => Math.round((ms / 1000) * SR);
  const out = new Float32Array(n(beforeMs) + n(toneMs) + n(afterMs));
  for (let i = 0; i < out.length; i++) out[i] = hiss * (((i * 7919) % 13) / 13 - 0.5);
  for (let i = 0; i < n(toneMs); i++)
    out[n(beforeMs) + i] = amplitude * Math.sin((2 * Math.PI * 220 * i) / SR);
  return out;
}

describe('speechSpan', () => {
  it('cuts a take to its loud part with the padding asked for, in samples', () => {
    const span = speechSpan(take(2000, 1500, 3000), SR, { padMs: 300 });
    expect(span.from / SR).toBeCloseTo(1.7, 1);
    expect(span.to / SR).toBeCloseTo(3.8, 1);
    expect(span.loudestDb).toBeCloseTo(20 * Math.log10(0.3 / Math.SQRT2), 0);
  });

  it('keeps quiet room noise out of the span, and never pads past either end', () => {
    const samples = take(100, 1000, 100, 0.3, 0.002);
    const span = speechSpan(samples, SR, { padMs: 500 });
    expect(span.from).toBe(0);
    expect(span.to).toBe(samples.length);
    const noisy = speechSpan(take(1500, 500, 1500, 0.3, 0.002), SR, { padMs: 0 });
    expect(noisy.from / SR).toBeCloseTo(1.5, 1);
    expect(noisy.to / SR).toBeCloseTo(2.0, 1);
  });

  it('finds no span in silence or in a take quieter than the silence level', () => {
    expect(speechSpan(new Float32Array(SR), SR)).toMatchObject({ from: 0, to: 0, loudestDb: -Infinity });
    const faint = speechSpan(take(500, 500, 500, 0.001), SR, { silentDb: -50 });
    expect(faint.to).toBe(faint.from);
    expect(faint.loudestDb).toBeLessThan(-50);
    expect(speechSpan(new Float32Array(0), SR)).toMatchObject({ from: 0, to: 0 });
  });
});
