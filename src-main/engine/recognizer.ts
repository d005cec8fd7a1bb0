import { EventEmitter } from 'node:events';
import { outputFrameMs } from '../model/config.js';
import type { LoadedModel } from '../model/model-io.js';
import { type DecodedWord, StreamingGreedyDecoder } from '../speech/decode.js';
import { DEFAULT_ENDPOINT, type EndpointConfig, Endpointer } from '../speech/endpoint.js';
import { frontEndMismatch, StreamingFeatures } from '../speech/front-end.js';
import { FrameBuffer } from '../speech/frame-buffer.js';
import {
  DEFAULT_FINAL_DECODER,
  FinalDecoder,
  type FinalDecoderConfig,
  type FinalSearch,
} from './final-decoder.js';
import type { WordLm } from '../speech/word-lm.js';
import { LOCAL_STREAMS, type SegmentOut, SegmentStream, type StreamSource } from './segment-stream.js';

/**
 * The streaming recogniser: PCM in, text out. Reads like the algorithm:
 *   accept audio → feature frames (front-end.ts) → model stream → greedy decoder → partial text (a phone
 *     model's: the words its final's search has found so far)
 *   → endpoint? → flush the model, final segment (decoded again over the segment's log-probs, with the
 *     personal lexicon when there is one), reset for the next phrase.
 * Times are milliseconds of audio since the recogniser started (the session timeline), so the
 * caller can cut each segment's audio clip from its own recording.
 */
export interface RecognizerConfig {
  endpoint: EndpointConfig;
  /** How finals are decoded (lexicon boosting, its beam search). */
  final: Partial<Omit<FinalDecoderConfig, 'beam'>> & { beam?: Partial<FinalDecoderConfig['beam']> };
  /** The personal lexicon's words at the start (see setLexicon). */
  lexicon: readonly string[];
  /** The word language model finals are decoded with (see setLanguageModel); null: none. */
  languageModel: WordLm | null;
}

export const DEFAULT_RECOGNIZER: RecognizerConfig = {
  endpoint: DEFAULT_ENDPOINT,
  final: DEFAULT_FINAL_DECODER,
  lexicon: [],
  languageModel: null,
};

export interface PartialEvent {
  /** Segment number within this recogniser's life (0, 1, …). */
  segment: number;
  /** Committed words of the segment so far plus the word in progress. */
  text: string;
  committed: string;
  partial: string;
  startMs: number;
}

export interface FinalEvent {
  segment: number;
  text: string;
  words: DecodedWord[];
  /** Span of the segment's audio on the session timeline (from its first audio to the endpoint). */
  startMs: number;
  endMs: number;
  /** Why the segment ended. */
  reason: 'endpoint' | 'max-length' | 'finish';
}

export interface RecognizerEvents {
  partial: [PartialEvent];
  final: [FinalEvent];
}

export class Recognizer extends EventEmitter<RecognizerEvents> {
  private readonly cfg: RecognizerConfig;
  private model: LoadedModel;
  private pendingModel: LoadedModel | null = null;
  /** The pending model's front end when its features differ from the current model's. */
  private pendingFeatures: StreamingFeatures | null = null;
  private features: StreamingFeatures;
  private stream: SegmentStream;
  private decoder: StreamingGreedyDecoder;
  private readonly finalDecoder: FinalDecoder;
  /** The segment's log-probs so far, [T, V]: what the final is decoded from. */
  private segmentLogProbs: FrameBuffer;
  /** The final's beam search, fed the segment's log-probs as they come (null: finals are greedy). */
  private finalSearch: FinalSearch | null = null;
  private endpointer: Endpointer;
  private frameMs: number;
  /** Feature frames consumed since start: the session clock (10 ms each). */
  private frameClock = 0;
  private segmentStartFrame = 0;
  private segmentIndex = 0;
  private lastPartial = '';

  /**
   * `streams`: where the model runs (default this process; the engine passes the compute host's, which
   * fails over to this process mid-phrase without losing it).
   */
  constructor(
    model: LoadedModel,
    config: Partial<RecognizerConfig> = {},
    private readonly streams: StreamSource = LOCAL_STREAMS,
  ) {
    super();
    this.cfg = { ...DEFAULT_RECOGNIZER, ...config, endpoint: { ...DEFAULT_ENDPOINT, ...config.endpoint } };
    this.model = model;
    this.frameMs = outputFrameMs(model.model.config);
    this.features = frontEndFor(model);
    this.stream = new SegmentStream(model, streams);
    this.decoder = new StreamingGreedyDecoder(model.alphabet, { frameMs: this.frameMs });
    this.finalDecoder = new FinalDecoder(this.cfg.final);
    this.finalDecoder.setWords(this.cfg.lexicon);
    this.finalDecoder.setLanguageModel(this.cfg.languageModel);
    this.finalDecoder.prepare(model.alphabet);
    this.segmentLogProbs = new FrameBuffer(model.alphabet.size);
    this.endpointer = new Endpointer({ ...this.cfg.endpoint, hopMs: this.hopMs });
  }

  /**
   * Replaces the personal lexicon (words the user's corrections introduced). Takes effect from the next
   * final on, the one of the phrase being spoken included; dictation does not stop.
   */
  setLexicon(words: readonly string[]): void {
    this.finalDecoder.setWords(words);
    this.finalDecoder.prepare(this.model.alphabet);
  }

  /** Replaces the word language model finals are decoded with (null: none), from the next final on. */
  setLanguageModel(lm: WordLm | null): void {
    this.finalDecoder.setLanguageModel(lm);
    this.finalDecoder.prepare(this.model.alphabet);
  }

  /** Switches lexicon boosting of finals. */
  setLexiconBoost(on: boolean): void {
    this.finalDecoder.setBoost(on);
  }

  /** The lexicon as finals use it: whether boosting is on, and how many words the model can spell. */
  get lexiconState(): { boost: boolean; words: number } {
    return { boost: this.finalDecoder.cfg.lexiconBoost, words: this.finalDecoder.size(this.model.alphabet) };
  }

  private get hopMs(): number {
    return (this.model.features.hopLength / this.model.features.sampleRate) * 1000;
  }

  /** Milliseconds of audio consumed so far. */
  get audioMs(): number {
    return this.frameClock * this.hopMs;
  }

  /**
   * Swaps in another model (e.g. a newly promoted personal model). Takes effect at the next segment
   * boundary so a phrase is never decoded by two models; dictation does not stop.
   */
  swapModel(next: LoadedModel): void {
    this.pendingFeatures =
      JSON.stringify(next.features) !== JSON.stringify(this.model.features) ? frontEndFor(next) : null;
    this.pendingModel = next;
    if (!this.decoder.hasSpeech && !this.endpointer.inSpeech) this.startSegment();
  }

  /** The model currently decoding. */
  get currentModel(): LoadedModel {
    return this.model;
  }

  /**
   * Feeds samples in [-1, 1] at the model's sample rate; partial and final events are emitted before the
   * promise resolves. Calls must not overlap: await each before the next.
   */
  async accept(samples: Float32Array): Promise<void> {
    const mel = this.features.accept(samples); // [n, bins]
    if (mel.frames === 0) return;
    const bins = mel.bins;
    // Endpoint decisions are per feature frame, so run the model on the frames up to a decision.
    let from = 0;
    for (let t = 0; t < mel.frames; t++) {
      this.frameClock++;
      const decision = this.endpointer.accept(mel.energy[t], {
        hasText: this.decoder.hasSpeech,
        trailingBlankMs: this.decoder.trailingBlankFrames * this.frameMs,
      });
      if (decision === 'continue') continue;
      await this.runModel(mel.data.subarray(from * bins, (t + 1) * bins), t + 1 - from);
      from = t + 1;
      if (decision === 'endpoint') {
        await this.finishSegment(
          this.endpointer.segmentMs >= this.cfg.endpoint.maxSegmentMs ? 'max-length' : 'endpoint',
        );
      } else {
        this.startSegment(); // idle: nothing was said, drop the stream's state and start fresh
      }
    }
    if (from < mel.frames) await this.runModel(mel.data.subarray(from * bins), mel.frames - from);
  }

  /** Ends the audio: flushes everything and emits the last final segment (if anything was said). */
  async finish(): Promise<void> {
    const tail = this.features.flush();
    if (tail.frames > 0) {
      this.frameClock += tail.frames;
      await this.runModel(tail.data, tail.frames);
    }
    await this.finishSegment('finish');
  }

  private async runModel(data: Float32Array, frames: number): Promise<void> {
    if (frames === 0) return;
    this.decodeOut(await this.stream.accept(data, frames));
  }

  /** Decodes what the stream emitted; a replayed phrase (its stream failed over) is decoded afresh. */
  private decodeOut(out: SegmentOut): void {
    if (out.replayed) {
      this.segmentLogProbs.clear();
      this.finalSearch = null;
      this.decoder = new StreamingGreedyDecoder(this.model.alphabet, { frameMs: this.frameMs });
    }
    if (out.frames > 0) this.decode(out.logProbs, out.frames);
  }

  private decode(logProbs: Float32Array, frames: number): void {
    this.decoder.accept(logProbs, frames);
    this.segmentLogProbs.append(logProbs, frames);
    this.finalSearch = this.finalDecoder.follow(
      this.finalSearch,
      this.segmentLogProbs.view(),
      this.segmentLogProbs.frames,
      this.model.alphabet,
    );
    const r = this.partialResult();
    const text = [r.committed, r.partial].filter(Boolean).join(' ');
    if (text !== this.lastPartial) {
      this.lastPartial = text;
      this.emit('partial', {
        segment: this.segmentIndex,
        text,
        committed: r.committed,
        partial: r.partial,
        startMs: this.segmentStartFrame * this.hopMs,
      });
    }
  }

  /**
   * The segment's text so far: greedy decoding's for a letter model; for a phone model, whose greedy output is
   * phones, the words its final's search leads with so far, the last one (still open to change) shown as the
   * word it most likely becomes while it is being spoken.
   */
  private partialResult(): { committed: string; partial: string } {
    if (!this.model.alphabet.phones || !this.finalSearch) return this.decoder.result();
    const words = this.finalSearch.search
      .result({ openWord: true })
      .text.split(' ')
      .filter((w) => w !== '');
    return { committed: words.slice(0, -1).join(' '), partial: words.at(-1) ?? '' };
  }

  private async finishSegment(reason: FinalEvent['reason']): Promise<void> {
    // The model's look-ahead still holds the last frames: flush them with the same right padding
    // the offline model uses, so a segment decodes exactly as the offline model would decode it.
    this.decodeOut(await this.stream.flush());
    const fin = this.finalDecoder.decode(
      this.segmentLogProbs.view(),
      this.segmentLogProbs.frames,
      this.model.alphabet,
      this.frameMs,
      this.decoder.finalResult(),
      this.finalSearch,
    );
    // Text decoded from audio that never rose above the room's noise is a hallucination, not
    // dictation: drop it rather than type it.
    if (fin.text !== '' && this.endpointer.inSpeech) {
      // Each segment has a fresh decoder, so its word times start at the segment's first frame.
      const offsetMs = this.segmentStartFrame * this.hopMs;
      const words = fin.words.map((w) => ({
        ...w,
        startMs: w.startMs + offsetMs,
        endMs: w.endMs + offsetMs,
      }));
      this.emit('final', {
        segment: this.segmentIndex,
        text: fin.text,
        words,
        startMs: this.segmentStartFrame * this.hopMs,
        endMs: this.frameClock * this.hopMs,
        reason,
      });
      this.segmentIndex++;
    }
    this.startSegment();
  }

  /** Fresh state for the next phrase; swaps the model here if one is waiting. */
  private startSegment(): void {
    this.stream.dispose();
    if (this.pendingModel) {
      // Other features start a fresh front end here, between phrases: the few ms of audio the old one still
      // held back are dropped.
      if (this.pendingFeatures) this.features = this.pendingFeatures;
      this.pendingFeatures = null;
      this.model = this.pendingModel;
      this.pendingModel = null;
      this.frameMs = outputFrameMs(this.model.model.config);
      if (this.segmentLogProbs.width !== this.model.alphabet.size)
        this.segmentLogProbs = new FrameBuffer(this.model.alphabet.size);
    }
    this.segmentLogProbs.clear();
    this.finalSearch = null;
    this.stream = new SegmentStream(this.model, this.streams);
    this.decoder = new StreamingGreedyDecoder(this.model.alphabet, { frameMs: this.frameMs });
    this.endpointer.reset();
    this.segmentStartFrame = this.frameClock;
    this.lastPartial = '';
  }

  dispose(): void {
    this.stream.dispose();
  }
}

/** The streaming front end of a model, refused when its features cannot feed the model. */
function frontEndFor(m: LoadedModel): StreamingFeatures {
  const mismatch = frontEndMismatch(m.features, m.model.config.featureBins, m.dir);
  if (mismatch) throw new Error(`model ${m.dir}: ${mismatch}`);
  return new StreamingFeatures(m.features, m.dir);
}
