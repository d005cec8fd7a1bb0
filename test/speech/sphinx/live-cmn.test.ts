import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_CMN, LiveCmn, SPHINX_LIVE_CMN } from '../../../src-main/speech/sphinx/live-cmn.js';

/** Feeds `frames` copies of a 2-dim frame; returns the normalised frames. */
function feed(cmn: LiveCmn, frame: [number, number], frames: number): Float32Array {
  const out = new Float32Array(2 * frames);
  for (let t = 0; t < frames; t++) {
    out.set(frame, 2 * t);
    cmn.apply(out, 2 * t);
  }
  return out;
}

describe('LiveCmn', () => {
  it("keeps sphinx's schedule: -cmninit for 301 frames, then the 801-frame mean", () => {
    const cmn = new LiveCmn([40, 1], SPHINX_LIVE_CMN);
    const out = feed(cmn, [50, 3], 302);
    expect(Array.from(out.subarray(0, 2))).toEqual([10, 2]);
    expect(Array.from(out.subarray(600, 602))).toEqual([10, 2]); // frame 300: still the initial mean
    const mean = [(500 * 40 + 301 * 50) / 801, (500 * 1 + 301 * 3) / 801];
    expect(cmn.mean[0]).toBeCloseTo(mean[0], 10);
    expect(out[602]).toBeCloseTo(50 - mean[0], 5); // frame 301 sees the new mean
  });

  it('by default moves after every frame, as a moving average over 200 frames', () => {
    const cmn = new LiveCmn([40, 1], DEFAULT_LIVE_CMN);
    feed(cmn, [50, 3], 1);
    expect(cmn.mean[0]).toBeCloseTo((200 * 40 + 50) / 201, 12);
    feed(cmn, [50, 3], 2000);
    expect(cmn.mean[0]).toBeCloseTo(50, 3);
  });

  it('normalises frames with c0 < 0 but does not learn from them', () => {
    const cmn = new LiveCmn([40, 1]);
    const out = feed(cmn, [-50, 7], 1000);
    expect(Array.from(cmn.mean)).toEqual([40, 1]);
    expect(Array.from(out.subarray(1998))).toEqual([-90, 6]);
  });

  it('reset() returns to the initial mean', () => {
    const cmn = new LiveCmn([40, 1]);
    feed(cmn, [50, 3], 500);
    cmn.reset();
    expect(Array.from(cmn.mean)).toEqual([40, 1]);
    expect(() => new LiveCmn([0], { windowFrames: 10, updateFrames: 5 })).toThrow(
      /windowFrames ≤ updateFrames/,
    );
  });
});
