/**
 * Endpointing: deciding when the speaker has finished a phrase, so its text can be committed as a
 * final segment. Two signals, both cheap and both already computed:
 *  - audio energy per feature frame (mean log-mel) against an adaptive noise floor, which reacts as
 *    soon as the voice stops (no model look-ahead in the way), and
 *  - the decoder's run of trailing blanks, which guards against ending inside a word whose
 *    characters are still arriving.
 * A segment ends when the audio has been quiet for `trailingSilenceMs` after speech, or when it has
 * run for `maxSegmentMs`; a stream that hears nothing for `idleResetMs` is reset to bound work.
 */

export interface EndpointConfig {
  /**
   * Quiet audio after speech that ends a segment. Short, because finals should land fast: 250 ms keeps the
   * final within half a second of the last word; a shorter pause inside a sentence only splits it into two
   * segments (capitalisation and spacing carry across segments).
   */
  trailingSilenceMs: number;
  /** A segment is cut here even without a pause (long run-on dictation). */
  maxSegmentMs: number;
  /** Pure silence after which an idle stream is reset (no text is lost: none was decoded). */
  idleResetMs: number;
  /**
   * Blanks from the decoder after decoded text that end a segment even when the audio never looks
   * quiet (a noisy room defeats the energy rule; the model still hears that nobody is talking).
   */
  trailingBlankMs: number;
  /** A frame is speech when its energy is this far above the noise floor (in log-mel units ≈ nepers). */
  speechMargin: number;
  /**
   * A frame is quiet, whatever the noise floor, when its energy is this far below the loudest frame of the
   * segment (log units ≈ nepers; 7 ≈ 30 dB): the fading tail of the last word (release, room reverberation)
   * is not speech. Without this rule, against the digital silence of a noise-suppressed microphone (a floor
   * no room has) the tail counts as speech and the pause is timed only after it; in a room's own noise the
   * rule changes little (bench/ENDPOINT.md).
   */
  peakDrop: number;
  /** Speech must last this long to count (clicks and breaths do not start a segment). */
  minSpeechMs: number;
  /** How fast the noise floor may rise per second when the room gets louder (log units). */
  floorRisePerSecond: number;
  /** Feature frame hop in ms. */
  hopMs: number;
}

export const DEFAULT_ENDPOINT: EndpointConfig = {
  trailingSilenceMs: 250,
  maxSegmentMs: 15_000,
  idleResetMs: 4_000,
  trailingBlankMs: 1_000,
  speechMargin: 2.0, // ≈ 8.7 dB above the floor
  peakDrop: 7,
  minSpeechMs: 60,
  floorRisePerSecond: 0.5,
  hopMs: 10,
};

export type EndpointDecision = 'continue' | 'endpoint' | 'idle-reset';

/** Mean of a log-mel frame: a loudness measure in log units that follows the front end exactly. */
export function frameEnergy(frame: Float32Array, offset = 0, bins = frame.length): number {
  let s = 0;
  for (let i = 0; i < bins; i++) s += frame[offset + i];
  return s / bins;
}

export class Endpointer {
  private readonly cfg: EndpointConfig;
  /** NaN until the first frame: the room is measured, not assumed. */
  private floor: number;
  private framesInSegment = 0;
  private speechFrames = 0;
  private quietFrames = 0;
  private heardSpeech = false;
  /** Energy of the loudest speech frame of the segment (-Infinity before any). */
  private peak = -Infinity;

  constructor(config: Partial<EndpointConfig> = {}) {
    this.cfg = { ...DEFAULT_ENDPOINT, ...config };
    this.floor = NaN;
  }

  /** Whether the current segment has contained speech (by energy). */
  get inSpeech(): boolean {
    return this.heardSpeech;
  }

  /** Current noise floor estimate (log-mel units). */
  get noiseFloor(): number {
    return this.floor;
  }

  /** Milliseconds of audio in the current segment. */
  get segmentMs(): number {
    return this.framesInSegment * this.cfg.hopMs;
  }

  /** Milliseconds of quiet audio at the end of the current segment. */
  get trailingQuietMs(): number {
    return this.quietFrames * this.cfg.hopMs;
  }

  /**
   * Feeds one feature frame's energy, with what the decoder has seen so far in this segment:
   * whether it decoded any text, and its current run of trailing blanks in ms.
   */
  accept(energy: number, decoder: { hasText: boolean; trailingBlankMs: number }): EndpointDecision {
    const c = this.cfg;
    this.framesInSegment++;
    // Noise floor: follows quiet frames down at once, rises only slowly (so speech does not drag it up).
    if (Number.isNaN(this.floor) || energy < this.floor) this.floor = energy;
    else this.floor += (c.floorRisePerSecond * c.hopMs) / 1000;
    const loud = energy > this.floor + c.speechMargin && energy > this.peak - c.peakDrop;
    if (loud) {
      if (energy > this.peak) this.peak = energy;
      this.speechFrames++;
      this.quietFrames = 0;
      if (this.speechFrames * c.hopMs >= c.minSpeechMs) this.heardSpeech = true;
    } else {
      this.quietFrames++;
      if (!this.heardSpeech) this.speechFrames = 0;
    }
    const quietMs = this.quietFrames * c.hopMs;
    const segmentMs = this.framesInSegment * c.hopMs;
    if (this.heardSpeech && quietMs >= c.trailingSilenceMs) return 'endpoint';
    if (decoder.hasText && decoder.trailingBlankMs >= c.trailingBlankMs) return 'endpoint';
    if ((this.heardSpeech || decoder.hasText) && segmentMs >= c.maxSegmentMs) return 'endpoint';
    if (!this.heardSpeech && !decoder.hasText && segmentMs >= c.idleResetMs) return 'idle-reset';
    return 'continue';
  }

  /** Starts a new segment (the noise floor is kept: it describes the room, not the phrase). */
  reset(): void {
    this.framesInSegment = 0;
    this.speechFrames = 0;
    this.quietFrames = 0;
    this.heardSpeech = false;
    this.peak = -Infinity;
  }
}
