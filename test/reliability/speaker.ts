// Someone talking into the FIFO microphone without end: espeak-ng phrases, each followed by a pause long
// enough for the endpoint to close it, round and round until stopped. Each phrase's timing is reported (when
// its first and last audio went into the microphone), which is what latencies are measured from.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readAudio } from '../../src-main/speech/audio.js';
import type { FifoMic } from '../engine/fifo-mic.js';

export interface Phrase {
  text: string;
  /**
   * The speech at 16 kHz, from its first to its last sound, decoded once: playing it then starts the moment
   * it is asked to.
   */
  samples: Float32Array;
}

export interface Spoken {
  /** Count of phrases spoken before this one. */
  index: number;
  text: string;
  /** performance.now() when its audio started to go into the microphone, and when all of it had. */
  startedAt: number;
  endedAt: number;
}

/** Sentences for the speaker: plain words the tiny and the shipped model both turn into some text. */
export const PHRASES = [
  'good morning everyone',
  'the meeting starts at ten',
  'please send me the report by friday',
  'we should order more paper for the printer',
  'thank you all for coming today',
  'let us look at the numbers again',
];

/** Samples quieter than this are silence, for trimming. */
const SILENCE = 0.01;

/** The speech without the silence espeak-ng puts before and after it: timings then count from words. */
function trimSilence(samples: Float32Array): Float32Array {
  let from = 0;
  let to = samples.length;
  while (from < to && Math.abs(samples[from]) < SILENCE) from++;
  while (to > from && Math.abs(samples[to - 1]) < SILENCE) to--;
  return samples.slice(from, to);
}

/** Speaks each text with espeak-ng (its WAV files go into `dir`). */
export async function makePhrases(dir: string, texts: readonly string[] = PHRASES): Promise<Phrase[]> {
  const phrases: Phrase[] = [];
  for (const [i, text] of texts.entries()) {
    const wav = join(dir, `phrase-${i}.wav`);
    execFileSync('espeak-ng', ['-w', wav, text]);
    phrases.push({ text, samples: trimSilence((await readAudio(wav, { sampleRate: 16000 })).samples) });
  }
  return phrases;
}

export interface SpeakerHooks {
  /** A phrase's audio starts to go into the microphone. */
  started?(p: Omit<Spoken, 'endedAt'>): void;
  /** All of a phrase's audio is in the microphone. */
  spoken?(s: Spoken): void;
}

export class Speaker {
  /** Each start() is a new run; a run's loop ends once another has started or stop() was called. */
  private run = 0;
  private talking = false;
  private spoken = 0;

  constructor(
    private readonly mic: FifoMic,
    private readonly phrases: readonly Phrase[],
    /** Silence after each phrase, in ms. */
    private readonly pauseMs: number,
  ) {}

  /**
   * Starts talking (anew, when it was: the earlier run stops), telling `hooks` of each phrase. Returns at once.
   * A recorder killed mid-phrase leaves the rest queued: it is not awaited, so stop() never hangs on it.
   */
  start(hooks: SpeakerHooks = {}): void {
    this.talking = true;
    const run = ++this.run;
    const current = () => this.talking && this.run === run;
    void (async () => {
      while (current()) {
        const phrase = this.phrases[this.spoken % this.phrases.length];
        const index = this.spoken++;
        const startedAt = performance.now();
        hooks.started?.({ index, text: phrase.text, startedAt });
        try {
          await this.mic.play(phrase.samples);
          const endedAt = performance.now();
          if (current()) hooks.spoken?.({ index, text: phrase.text, startedAt, endedAt });
          await this.mic.silence(this.pauseMs);
        } catch {
          return; // the microphone was closed
        }
      }
    })();
  }

  stop(): void {
    this.talking = false;
  }

  /** Phrases started so far. */
  get count(): number {
    return this.spoken;
  }
}
