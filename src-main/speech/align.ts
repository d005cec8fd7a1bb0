import type { Alphabet } from './alphabet.js';
import { type DecodedChar, type DecodeResult, groupWords } from './decode.js';

/**
 * CTC forced alignment: the single most likely frame-by-frame path (Viterbi) that spells a given
 * transcript. The prefix beam search finds the likeliest transcript by summing over all of its paths, so
 * it has no one path to take times from; aligning its transcript afterwards gives each character the run
 * of frames the model most likely spent on it — the same kind of runs greedy decoding reports — at a cost
 * of T × (2L + 1) steps, small next to the search itself.
 */

export class AlignmentError extends Error {
  override readonly name = 'AlignmentError';
}

/** Predecessor step of a state on the best path: stay, come from the previous state, or skip a blank. */
const STAY = 0;
const STEP = 1;
const SKIP = 2;

/**
 * Aligns `text` (characters of the alphabet, words separated by single spaces) to log-probabilities
 * [T, V] (row-major) and returns it as greedy decoding would: characters with their runs of frames and
 * best posterior, words with times (frame × frameMs) and confidences.
 */
export function alignTranscript(
  logProbs: Float32Array,
  T: number,
  alphabet: Alphabet,
  text: string,
  frameMs: number,
): DecodeResult {
  const V = alphabet.size;
  if (logProbs.length < T * V)
    throw new AlignmentError(
      `alignTranscript: ${logProbs.length} values cannot hold ${T} frames of ${V} classes`,
    );
  const ids = [...text].map((ch) => {
    const id = alphabet.index.get(ch);
    if (id === undefined) throw new AlignmentError(`alignTranscript: "${ch}" is not in the alphabet`);
    return id;
  });
  if (ids.length === 0) return { text: '', words: [], chars: [] };

  // Extended label sequence: blank, l1, blank, l2, …, blank. States at odd positions are characters.
  const S = 2 * ids.length + 1;
  const label = (s: number) => (s % 2 === 1 ? ids[(s - 1) / 2] : alphabet.blank);
  let prev = new Float64Array(S).fill(-Infinity);
  let cur = new Float64Array(S);
  const back = new Uint8Array(T * S); // [T, S] predecessor step
  prev[0] = logProbs[label(0)];
  if (S > 1) prev[1] = logProbs[label(1)];
  for (let t = 1; t < T; t++) {
    const row = t * V;
    for (let s = 0; s < S; s++) {
      let best = prev[s];
      let step = STAY;
      if (s >= 1 && prev[s - 1] > best) {
        best = prev[s - 1];
        step = STEP;
      }
      // A character may follow the previous one directly unless both are the same (CTC needs a blank).
      if (s >= 2 && s % 2 === 1 && ids[(s - 1) / 2] !== ids[(s - 3) / 2] && prev[s - 2] > best) {
        best = prev[s - 2];
        step = SKIP;
      }
      cur[s] = best + logProbs[row + label(s)];
      back[t * S + s] = step;
    }
    [prev, cur] = [cur, prev];
  }
  let s = prev[S - 1] >= prev[S - 2] ? S - 1 : S - 2;
  if (prev[s] === -Infinity)
    throw new AlignmentError(`alignTranscript: ${T} frames are too few to spell "${text}"`);

  // Walk back, collecting each character's run of frames.
  const chars: DecodedChar[] = new Array<DecodedChar>(ids.length);
  for (let t = T - 1; t >= 0; t--) {
    if (s % 2 === 1) {
      const k = (s - 1) / 2;
      const p = Math.exp(logProbs[t * V + ids[k]]);
      const c = chars[k];
      if (c) {
        c.frame = t;
        if (p > c.prob) c.prob = p;
      } else chars[k] = { char: alphabet.tokens[ids[k]], id: ids[k], frame: t, endFrame: t, prob: p };
    }
    if (t > 0) {
      const step = back[t * S + s];
      s -= step === SKIP ? 2 : step === STEP ? 1 : 0;
    }
  }
  return { text, words: groupWords(chars, frameMs), chars };
}

/**
 * Aligns a beam search's transcript (its text and its spelling in the model's classes). A letter model's are
 * the same; a phone model's words are aligned by the pronunciations the search found for them, then named.
 */
export function alignSearchResult(
  logProbs: Float32Array,
  T: number,
  alphabet: Alphabet,
  result: { text: string; spelling: string },
  frameMs: number,
): DecodeResult {
  if (!alphabet.phones || result.text === result.spelling)
    return alignTranscript(logProbs, T, alphabet, result.text, frameMs);
  const words = result.text === '' ? [] : result.text.split(' ');
  // A last pronunciation left unfinished when the audio stopped is no word: it is not written.
  const spelt = result.spelling.split(' ').slice(0, words.length).join(' ');
  const aligned = alignTranscript(logProbs, T, alphabet, spelt, frameMs);
  return {
    text: result.text,
    chars: aligned.chars,
    words: aligned.words.map((w, i) => ({ ...w, word: words[i] })),
  };
}
