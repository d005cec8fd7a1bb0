import type { Alphabet } from '../speech/alphabet.js';
import { alignSearchResult } from '../speech/align.js';
import { beamSearch, type LmDecoding } from '../speech/beam-search.js';
import { type DecodedWord, greedyDecode } from '../speech/decode.js';
import { FrameBuffer } from '../speech/frame-buffer.js';

/**
 * Decoding a file's log-probs in pieces, so memory stays bounded however long the file is: the beam search
 * keeps every prefix it ever extended, and the log-probs of an hour are 20 MB. The stream is cut where the
 * greedy path has been blank for a while (a pause between words), each piece is decoded as a whole file was
 * (greedy, or the language model's beam search aligned back to frames), and its words are moved to the
 * piece's place on the file's timeline.
 *
 * A file shorter than minPieceSec is one piece: decoded exactly as a whole. Longer files differ from whole-file
 * decoding in two ways only, both at cuts: the language model starts a new sentence there, and a word break
 * is implied there (cuts fall on blank frames, so no character is split or merged; greedy decoding yields the
 * same characters).
 */
export interface PieceDecoderConfig {
  /** A piece is cut only once it holds this much audio, in seconds. */
  minPieceSec: number; // 30
  /** …and always by this much: bounds the beam search's memory and time per piece. */
  maxPieceSec: number; // 90
  /** A cut waits for the greedy path to have been blank this long, in ms (a pause, not a letter's gap). */
  pauseMs: number; // 300
}

export const DEFAULT_PIECE_DECODER: PieceDecoderConfig = { minPieceSec: 30, maxPieceSec: 90, pauseMs: 300 };

/** How the pieces are decoded: greedy, or with a word language model's beam search. */
export interface PieceDecoding {
  lm: LmDecoding | null;
  beamWidth: number;
}

export class PieceDecoder {
  private readonly cfg: PieceDecoderConfig;
  private readonly minFrames: number;
  private readonly maxFrames: number;
  private readonly pauseFrames: number;
  private piece: FrameBuffer;
  /** Output frame of the piece's first row on the file's timeline. */
  private pieceStart = 0;
  /** Blank frames at the piece's end, and the piece's last blank row (-1: none). */
  private blankRun = 0;
  private lastBlank = -1;
  private readonly texts: string[] = [];
  private readonly words: DecodedWord[] = [];

  constructor(
    private readonly alphabet: Alphabet,
    private readonly frameMs: number,
    private readonly decoding: PieceDecoding,
    config: Partial<PieceDecoderConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_PIECE_DECODER, ...config };
    const { minPieceSec, maxPieceSec, pauseMs } = this.cfg;
    if (!(minPieceSec > 0 && maxPieceSec >= minPieceSec && pauseMs > 0))
      throw new Error(
        `piece decoder: needs 0 < minPieceSec ≤ maxPieceSec and pauseMs > 0, got ${JSON.stringify(this.cfg)}`,
      );
    this.minFrames = Math.round((minPieceSec * 1000) / frameMs);
    this.maxFrames = Math.max(this.minFrames, Math.round((maxPieceSec * 1000) / frameMs));
    this.pauseFrames = Math.max(1, Math.round(pauseMs / frameMs));
    this.piece = new FrameBuffer(alphabet.size, this.maxFrames + 1);
  }

  /** Output frames decoded so far (pieces already cut). */
  get framesDecoded(): number {
    return this.pieceStart;
  }

  /** Takes `frames` rows of log-probs, [frames, V]; decodes every piece that becomes complete. */
  accept(logProbs: Float32Array, frames: number): void {
    const V = this.alphabet.size;
    for (let t = 0; t < frames; t++) {
      const row = logProbs.subarray(t * V, (t + 1) * V);
      this.piece.append(row, 1);
      const at = this.piece.frames - 1;
      if (argmax(row) === this.alphabet.blank) {
        this.blankRun++;
        this.lastBlank = at;
      } else {
        this.blankRun = 0;
      }
      if (this.piece.frames >= this.minFrames && this.blankRun >= this.pauseFrames) this.cut(at + 1);
      // No pause long enough: cut after the last blank frame, so no character's run is split.
      else if (this.piece.frames >= this.maxFrames)
        this.cut(this.lastBlank >= 0 ? this.lastBlank + 1 : at + 1);
    }
  }

  /** Decodes what is left; the file's text and words. */
  finish(): { text: string; words: DecodedWord[] } {
    if (this.piece.frames > 0) this.cut(this.piece.frames);
    return { text: this.texts.join(' '), words: [...this.words] };
  }

  /** Decodes the piece's first `frames` rows and keeps the rest as the start of the next piece. */
  private cut(frames: number): void {
    const rows = this.piece.view();
    const V = this.alphabet.size;
    this.decodePiece(rows.subarray(0, frames * V), frames);
    const rest = rows.slice(frames * V); // a copy: the buffer is reused
    this.piece.clear();
    this.piece.append(rest, rest.length / V);
    this.pieceStart += frames;
    // Rows kept over are all after the last blank (or there were none): recount from them.
    this.blankRun = 0;
    this.lastBlank = -1;
    for (let t = 0; t < rest.length / V; t++) {
      if (argmax(rest.subarray(t * V, (t + 1) * V)) === this.alphabet.blank) {
        this.blankRun++;
        this.lastBlank = t;
      } else this.blankRun = 0;
    }
  }

  /** One piece decoded as a whole file is: greedy, or the LM's text aligned to the frames. */
  private decodePiece(rows: Float32Array, T: number): void {
    const { alphabet, frameMs, decoding } = this;
    let r = greedyDecode(rows, T, alphabet, { frameMs });
    if (decoding.lm && T > 0) {
      const beam = { beamWidth: decoding.beamWidth };
      const result = beamSearch(rows, T, alphabet, null, beam, decoding.lm);
      if (result.text !== r.text) r = alignSearchResult(rows, T, alphabet, result, frameMs);
    }
    if (r.text !== '') this.texts.push(r.text);
    const offsetMs = this.pieceStart * frameMs;
    for (const w of r.words)
      this.words.push({ ...w, startMs: w.startMs + offsetMs, endMs: w.endMs + offsetMs });
  }
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
}
