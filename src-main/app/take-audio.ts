/**
 * An enrolment take as it is kept: the recording cut to the speech in it, with a little of the silence
 * either side, so the clip holds the prompt and not the seconds spent reaching for the Stop button.
 */
export interface SpeechSpanConfig {
  /** Loudness is measured over frames of this length, in ms. */
  frameMs: number; // 20
  /** A take whose loudest frame is below this (dB full scale) holds no speech. */
  silentDb: number; // -50
  /** Frames within this many dB of the loudest frame count as speech. */
  rangeDb: number; // 35
  /** Audio kept before the first and after the last speech frame, in ms. */
  padMs: number; // 300
}

export const DEFAULT_SPEECH_SPAN: SpeechSpanConfig = { frameMs: 20, silentDb: -50, rangeDb: 35, padMs: 300 };

export interface SpeechSpan {
  /** Sample range [from, to) to keep; from === to when nothing was heard. */
  from: number;
  to: number;
  /** Loudness of the loudest frame, in dB full scale. */
  loudestDb: number;
}

/** Where the speech of a recording is: the span from the first to the last loud frame, padded. */
export function speechSpan(
  samples: Float32Array,
  sampleRate: number,
  config: Partial<SpeechSpanConfig> = {},
): SpeechSpan {
  const cfg = { ...DEFAULT_SPEECH_SPAN, ...config };
  const frame = Math.max(1, Math.round((cfg.frameMs / 1000) * sampleRate));
  const frames = Math.ceil(samples.length / frame);
  const db = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    const end = Math.min(samples.length, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) sum += samples[i] * samples[i];
    const rms = Math.sqrt(sum / Math.max(1, end - f * frame));
    db[f] = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  }
  const loudestDb = frames > 0 ? Math.max(...db) : -Infinity;
  if (!(loudestDb >= cfg.silentDb)) return { from: 0, to: 0, loudestDb };
  const floor = Math.max(cfg.silentDb, loudestDb - cfg.rangeDb);
  const first = db.findIndex((d) => d >= floor);
  const last = db.findLastIndex((d) => d >= floor);
  const pad = Math.round((cfg.padMs / 1000) * sampleRate);
  return {
    from: Math.max(0, first * frame - pad),
    to: Math.min(samples.length, (last + 1) * frame + pad),
    loudestDb,
  };
}
