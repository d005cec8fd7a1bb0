import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT, Endpointer, frameEnergy } from '../../src-main/speech/endpoint.js';

const QUIET = -12;
const LOUD = -2;
const silentDecoder = { hasText: false, trailingBlankMs: 0 };

/** Feeds `ms` of frames at one energy; returns the decisions that were not 'continue'. */
function feed(
  e: Endpointer,
  energy: number,
  ms: number,
  decoder = silentDecoder,
): { at: number; d: string }[] {
  const out: { at: number; d: string }[] = [];
  for (let i = 0; i < ms / 10; i++) {
    const d = e.accept(energy, decoder);
    if (d !== 'continue') out.push({ at: i * 10, d });
  }
  return out;
}

describe('Endpointer', () => {
  it('ends a phrase after trailingSilenceMs of quiet following speech', () => {
    const e = new Endpointer();
    expect(feed(e, QUIET, 500)).toEqual([]);
    expect(feed(e, LOUD, 800)).toEqual([]);
    const d = feed(e, QUIET, 1000);
    expect(d[0]).toEqual({ at: DEFAULT_ENDPOINT.trailingSilenceMs - 10, d: 'endpoint' });
  });

  it('counts the fading tail far below the phrase’s peak as quiet, over a floor of digital silence', () => {
    const tailOf = (peakDrop: number) => {
      const e = new Endpointer({ peakDrop });
      feed(e, -23, 300); // digital silence: the floor sinks to the log floor
      feed(e, LOUD, 800);
      // 300 ms of release and reverberation 10 units (≈ 43 dB) below the speech, still far above the floor.
      return [...feed(e, LOUD - 10, 300), ...feed(e, -23, 1000).map((x) => ({ ...x, at: x.at + 300 }))];
    };
    expect(tailOf(DEFAULT_ENDPOINT.peakDrop)[0]).toEqual({
      at: DEFAULT_ENDPOINT.trailingSilenceMs - 10,
      d: 'endpoint',
    });
    // Without the rule the tail is speech: the pause is timed only from the digital silence.
    expect(tailOf(Infinity)[0]).toEqual({ at: 300 + DEFAULT_ENDPOINT.trailingSilenceMs - 10, d: 'endpoint' });
  });

  it('hears quieter speech after a loud start when it stays within peakDrop of the peak', () => {
    const e = new Endpointer();
    feed(e, QUIET, 300);
    feed(e, LOUD, 500);
    expect(feed(e, LOUD - DEFAULT_ENDPOINT.peakDrop + 1, 1000)).toEqual([]);
    // A new segment forgets the old peak: speech far quieter than the last phrase starts one.
    e.reset();
    feed(e, QUIET, 100);
    feed(e, QUIET + 3, 300);
    expect(e.inSpeech).toBe(true);
  });

  it('ignores clicks shorter than minSpeechMs', () => {
    const e = new Endpointer();
    feed(e, QUIET, 300);
    feed(e, LOUD, 30);
    expect(feed(e, QUIET, 1000)).toEqual([]);
    expect(e.inSpeech).toBe(false);
  });

  it('adapts to a noisy room: steady noise is not speech', () => {
    const e = new Endpointer();
    feed(e, -6, 300); // noisy floor
    expect(e.noiseFloor).toBeCloseTo(-6, 0);
    feed(e, -5.5, 1000); // noise wobbling just above the floor
    expect(e.inSpeech).toBe(false);
    feed(e, -1, 500); // a voice well above it
    expect(e.inSpeech).toBe(true);
  });

  it('falls back to the decoder’s blank run when the audio never looks quiet', () => {
    const e = new Endpointer({ trailingBlankMs: 600 });
    const d = feed(e, QUIET, 2000, { hasText: true, trailingBlankMs: 700 });
    expect(d[0].d).toBe('endpoint');
  });

  it('cuts run-on speech at maxSegmentMs and resets an idle stream', () => {
    const e = new Endpointer({ maxSegmentMs: 2000 });
    feed(e, QUIET, 100);
    const d = feed(e, LOUD, 3000);
    expect(d[0].d).toBe('endpoint');
    const idle = new Endpointer({ idleResetMs: 1000 });
    expect(feed(idle, QUIET, 1500)[0]).toEqual({ at: 990, d: 'idle-reset' });
  });

  it('measures frame energy as the mean log-mel of the frame', () => {
    expect(frameEnergy(new Float32Array([1, 2, 3, 10, 20, 30]), 3, 3)).toBeCloseTo(20);
  });
});
