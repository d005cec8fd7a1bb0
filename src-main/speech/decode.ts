import type { Alphabet } from './alphabet.js';

/**
 * Greedy CTC decoding: per frame take the most likely class, merge runs of the same class, drop
 * blanks. Greedy decisions are frame-local, so a decoded character never changes once its frame
 * has arrived; what does change while streaming is the word still being spoken. The streaming
 * decoder therefore reports complete words as committed and the word in progress as the partial
 * tail, and offline decoding is the same decoder fed all frames at once.
 */

export interface DecoderConfig {
  /** Duration of one model output frame in ms (feature hop × subsampling), used for times. */
  frameMs: number;
  /** Reject inputs whose rows are not log-probabilities (a row's logsumexp must be within this of 0). */
  logProbTolerance: number;
}

export const DEFAULT_DECODER: DecoderConfig = {
  frameMs: 20, // 10 ms hop × 2× subsampling in the shipped model
  logProbTolerance: 1e-2,
};

/** One emitted character: where its run of frames starts and ends, and how sure the model was. */
export interface DecodedChar {
  char: string;
  /** Class index. */
  id: number;
  /** First frame of the run that emitted this character (absolute frame index). */
  frame: number;
  /** Last frame of that run (inclusive). */
  endFrame: number;
  /** Highest posterior probability of this class over its run. */
  prob: number;
}

export interface DecodedWord {
  word: string;
  startMs: number;
  endMs: number;
  /** Geometric mean of the character probabilities: one doubtful letter pulls the word down. */
  confidence: number;
}

export interface DecodeResult {
  text: string;
  words: DecodedWord[];
  chars: DecodedChar[];
}

export interface StreamingResult {
  /** Complete words (followed by a word break); never changes once reported. */
  committed: string;
  /** The word being spoken; grows or is replaced as frames arrive. */
  partial: string;
  committedWords: DecodedWord[];
  partialWords: DecodedWord[];
}

export class DecoderInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecoderInputError';
  }
}

/** Streaming greedy CTC decoder: feed log-prob frames as they come, read text at any time. */
export class StreamingGreedyDecoder {
  private readonly cfg: DecoderConfig;
  private chars: DecodedChar[] = [];
  /** Class of the previous frame (to merge runs); -1 before the first frame. */
  private prev = -1;
  private frameClock = 0;
  private lastNonBlankFrame = -1;

  constructor(
    private readonly alphabet: Alphabet,
    config: Partial<DecoderConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_DECODER, ...config };
    if (!(this.cfg.frameMs > 0)) throw new DecoderInputError(`frameMs must be > 0, got ${this.cfg.frameMs}`);
  }

  /** Total frames seen since construction (times are measured on this clock). */
  get framesSeen(): number {
    return this.frameClock;
  }

  /** Frames since the last non-blank frame: the decoder's view of trailing silence, for endpointing. */
  get trailingBlankFrames(): number {
    return this.frameClock - 1 - this.lastNonBlankFrame;
  }

  /** True once anything but blanks has been decoded since the last reset. */
  get hasSpeech(): boolean {
    return this.chars.length > 0;
  }

  /**
   * Consumes `frames` rows of log-probabilities, row-major [frames, C].
   * Log-probabilities (not probabilities, not raw logits) are required so confidences mean something.
   */
  accept(logProbs: Float32Array, frames: number): void {
    const C = this.alphabet.size;
    if (logProbs.length !== frames * C) {
      throw new DecoderInputError(`expected ${frames}×${C} = ${frames * C} values, got ${logProbs.length}`);
    }
    if (frames > 0) this.checkLogProbRow(logProbs, C);
    const blank = this.alphabet.blank;
    for (let t = 0; t < frames; t++) {
      const row = t * C;
      let best = 0;
      let bestVal = logProbs[row];
      for (let c = 1; c < C; c++) {
        const v = logProbs[row + c];
        if (v > bestVal) {
          bestVal = v;
          best = c;
        }
      }
      const frame = this.frameClock++;
      if (best !== blank) {
        this.lastNonBlankFrame = frame;
        const p = Math.exp(bestVal);
        if (best === this.prev) {
          const last = this.chars[this.chars.length - 1];
          last.endFrame = frame;
          if (p > last.prob) last.prob = p;
        } else {
          this.chars.push({ char: this.alphabet.tokens[best], id: best, frame, endFrame: frame, prob: p });
        }
      }
      this.prev = best;
    }
  }

  /** Current text split into committed words and the partial tail. */
  result(): StreamingResult {
    const all = groupWords(this.chars, this.cfg.frameMs);
    // The last word is still open unless a word break has been decoded after it.
    const lastChar = this.chars[this.chars.length - 1];
    const open = lastChar !== undefined && lastChar.char !== ' ' ? 1 : 0;
    const committedWords = all.slice(0, all.length - open);
    const partialWords = all.slice(all.length - open);
    return {
      committed: committedWords.map((w) => w.word).join(' '),
      partial: partialWords.map((w) => w.word).join(' '),
      committedWords,
      partialWords,
    };
  }

  /** Everything decoded so far as final text (what an endpoint commits). */
  finalResult(): DecodeResult {
    const words = groupWords(this.chars, this.cfg.frameMs);
    return { text: words.map((w) => w.word).join(' '), words, chars: this.chars.map((c) => ({ ...c })) };
  }

  /**
   * Starts a new segment: forgets decoded text but keeps the frame clock, so times in the next
   * segment stay on the same timeline as the audio.
   */
  reset(): void {
    this.chars = [];
    this.prev = -1;
    this.lastNonBlankFrame = this.frameClock - 1;
  }

  private checkLogProbRow(logProbs: Float32Array, C: number): void {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = logProbs[c];
      if (Number.isNaN(v) || v > 1e-3) {
        throw new DecoderInputError(`decoder input must be log-probabilities; found ${v} (positive or NaN)`);
      }
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logProbs[c] - max);
    const lse = max + Math.log(sum);
    if (Math.abs(lse) > this.cfg.logProbTolerance) {
      throw new DecoderInputError(
        `decoder input must be log-probabilities (log-softmax of the logits); a row sums to exp(${lse.toFixed(4)})`,
      );
    }
  }
}

/**
 * Groups decoded characters into words at the word breaks, with times (frame × frameMs, on the frames'
 * own clock) and confidences.
 */
export function groupWords(chars: readonly DecodedChar[], frameMs: number): DecodedWord[] {
  const words: DecodedWord[] = [];
  let cur: DecodedChar[] = [];
  const flush = () => {
    if (cur.length === 0) return;
    const logSum = cur.reduce((s, c) => s + Math.log(Math.max(c.prob, 1e-30)), 0);
    words.push({
      word: cur.map((c) => c.char).join(''),
      startMs: cur[0].frame * frameMs,
      endMs: (cur[cur.length - 1].endFrame + 1) * frameMs,
      confidence: Math.exp(logSum / cur.length),
    });
    cur = [];
  };
  for (const c of chars) {
    if (c.char === ' ') flush();
    else cur.push(c);
  }
  flush();
  return words;
}

/** Offline greedy decoding of a whole utterance: log-probs [T, C]. */
export function greedyDecode(
  logProbs: Float32Array,
  T: number,
  alphabet: Alphabet,
  config: Partial<DecoderConfig> = {},
): DecodeResult {
  const d = new StreamingGreedyDecoder(alphabet, config);
  d.accept(logProbs, T);
  return d.finalResult();
}
