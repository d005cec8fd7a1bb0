/**
 * What every real-speech reader yields: one spoken line with its audio, before the importer
 * normalises the text, resamples the audio to 16 kHz and writes it into a LibriSpeech-layout set.
 */
export interface RealClip {
  /** Unique within its source; lower-case letters and digits only (it becomes part of an utterance id). */
  id: string;
  /** Who speaks it: an actor or character label (lower-case letters and digits), `unknown` when the source does not say. */
  speaker: string;
  /** The words spoken, as the source writes them (markup removed; case and punctuation as found). */
  text: string;
  audio: PcmAudio | EncodedAudio | FileAudio;
}

/** Samples already decoded by the reader. */
export interface PcmAudio {
  kind: 'pcm';
  /** Mono, in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
}

/** A compressed clip the importer decodes with ffmpeg (`-f <format>`). */
export interface EncodedAudio {
  kind: 'encoded';
  bytes: Uint8Array;
  format: 'mp3' | 'g722' | 'wav' | 'voc';
}

/** An audio file SoX can read (FLAC, WAV), already cut to the clip. */
export interface FileAudio {
  kind: 'file';
  path: string;
}

/** A source file that is missing, truncated or not in the format its reader expects. */
export class RealSourceError extends Error {
  override readonly name = 'RealSourceError';
  constructor(
    message: string,
    /** The file at fault. */
    readonly file: string,
  ) {
    super(message);
  }
}
