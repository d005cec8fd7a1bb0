import type { Alphabet } from './alphabet.js';
import type { Lexicon, LexiconNode } from './lexicon.js';
import { VocabularyTrie, type WordLm } from './word-lm.js';

/**
 * CTC prefix beam search with word boosting. Greedy decoding takes each frame's best class; the beam
 * search keeps the few most likely transcripts (prefixes), summing over every alignment of each, so a
 * word spread over frames where it never wins outright can still come out. A lexicon adds a bonus per
 * character to prefixes that are spelling one of its words — taken back if the word is not finished —
 * so the user's own words win near-ties without leaking into other words.
 *
 * With a word language model (shallow fusion), prefixes may only spell words of its vocabulary (plus
 * the lexicon's); each finished word adds lmWeight × log P(word | the words before) + wordBonus, and a
 * word being spelled carries lmWeight × the best unigram log-probability of the words it can still
 * become (look-ahead), so it competes fairly with prefixes that have just finished a word.
 */
export interface BeamSearchConfig {
  /** Prefixes kept after each frame. */
  beamWidth: number;
  /** Classes tried per frame: those within this many nats of the frame's best… */
  pruneLogProb: number;
  /** …and at most this many. */
  topK: number;
  /** Log-score bonus per character of a lexicon word (nats); 0 decodes without boosting. */
  boostPerChar: number;
  /** Weight of the language model's log-probabilities against the acoustic model's. */
  lmWeight: number;
  /** Log-score added per word with a language model: without it the LM favours fewer, longer words. */
  wordBonus: number;
  /**
   * With a language model, a word may also end where the model wrote no word break: the next class starts a
   * new word if the vocabulary lets one end there. Word breaks are silent in running speech; a model that
   * misses one would otherwise leave the search a single long non-word, and the words are lost.
   */
  impliedWordBreaks: boolean;
  /**
   * With a language model and class priors measured for the model (alphabet.decoding), the share α of each
   * class's log-prior taken from every frame's log-probability (class-priors.ts); 0 leaves them as they are.
   */
  priorScale: number;
}

export const DEFAULT_BEAM_SEARCH: BeamSearchConfig = {
  beamWidth: 8,
  pruneLogProb: 10,
  topK: 8,
  boostPerChar: 1,
  // lmWeight and wordBonus, for a model with no decoding of its own (alphabet.decoding): with the shipped LM
  // (models/lm/en-us.lm.bin), the pair with the lowest WER of a grid (0.5–2 × 0–3) on real-dev with the
  // letter model (bench/LM-COMPARE.md; real-test took no part).
  lmWeight: 0.8,
  wordBonus: 0,
  impliedWordBreaks: false,
  // Used only where the model's alphabet has priors, which bring the scale measured with them.
  priorScale: 0,
};

/**
 * Beam width for searches with a language model (finals, transcription, evaluation): it needs more room
 * than boosting alone, as prefixes that are only word beginnings compete, and a phone model's more still, as
 * every word shares its first sounds with hundreds of others. Dictation's finals follow the segment as it is
 * spoken, so a wider beam costs engine CPU while speaking, not latency after it: the widths' word error
 * rates and costs side by side are in bench/BEAM-WIDTH.md (`npx tsx bench/beam-width.ts`).
 */
export const LM_BEAM_WIDTH = 128;

/** A language model for the search and the words it may spell (see vocabularyTrie). */
export interface LmDecoding {
  lm: WordLm;
  vocabulary: VocabularyTrie;
}

export interface BeamSearchResult {
  text: string;
  /**
   * The transcript in the model's own classes, words split by single spaces: the text itself for a letter
   * model, the words' pronunciations as found for a phone model (what alignment needs).
   */
  spelling: string;
  /** Log-probability of the transcript (all alignments) plus its lexicon bonus and language-model score. */
  score: number;
  /** Lexicon bonus included in the score. */
  bonus: number;
  /** Language-model score included in the score (weighted log-probabilities and word bonuses). */
  lmScore: number;
}

interface Prefix {
  /** The prefix's node in the search's prefix tree (its identity), and its last class (-1: empty). */
  id: number;
  last: number;
  /** Log-probability of the prefix with its last frame blank / non-blank. */
  pb: number;
  pnb: number;
  /** Lexicon bonus of the whole prefix, and the part earned by the unfinished word at its end. */
  bonus: number;
  partial: number;
  /** Trie position of the word being spelled (root at a word start, null off every lexicon word). */
  node: LexiconNode | null;
  /** With a language model: weighted score of the finished words, look-ahead of the word being spelled,
   *  its vocabulary trie node (the root between words) and the LM's history (last words' ids). */
  lmScore: number;
  look: number;
  vocab: number;
  history: number[];
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

const total = (p: Prefix) => logAdd(p.pb, p.pnb) + p.bonus + p.lmScore + p.look;

/**
 * The search as a stream: frames go in as the model produces them (`push`), and `result()` reads the best
 * transcript so far without ending the search. Dictation feeds a segment's frames while it is spoken, so
 * the final costs only the frames after the last push instead of a search over the whole segment.
 */
export class BeamSearch {
  private readonly cfg: BeamSearchConfig;
  private readonly V: number;
  private readonly boost: number;
  private readonly root: LexiconNode | null;
  private readonly lm: WordLm | null;
  private readonly vocab: VocabularyTrie | null;
  // Every prefix ever extended, as a tree: a prefix is (its parent, its last class), found by number.
  private readonly parent: number[] = [-1];
  private readonly label: number[] = [-1];
  /**
   * Prefix numbers by (parent, class), for the prefixes a frame can reach again: those in the beam and their
   * parents (an implied word break's prefix is its child's parent), and this frame's new ones. A prefix that
   * left the beam is never extended again, so its entry goes: kept, a 10 s segment at width 128 grew the map
   * to half a million entries, copied into old memory each time it grew.
   */
  private children = new Map<number, number>();
  private beams: Map<number, Prefix>;
  private readonly order: Int32Array;
  private pushed = 0;
  private readonly priorShift: Float32Array | null;
  private readonly shifted: Float32Array; // [V] scratch: a frame's log-probabilities less the priors

  constructor(
    private readonly alphabet: Alphabet,
    lexicon: Lexicon | null = null,
    config: Partial<BeamSearchConfig> = {},
    lmDecoding: LmDecoding | null = null,
  ) {
    // A word search takes the weights measured for this model (its alphabet's decoding), unless told others.
    const tuned = lmDecoding && alphabet.decoding;
    this.cfg = {
      ...DEFAULT_BEAM_SEARCH,
      ...(tuned && { lmWeight: tuned.lmWeight, wordBonus: tuned.wordBonus, priorScale: tuned.priorScale }),
      ...config,
    };
    this.V = alphabet.size;
    // Per class, what dividing by its prior adds to each frame's log-probability (class-priors.ts): [V].
    this.priorShift =
      tuned && this.cfg.priorScale > 0 ? tuned.logPriors.map((lp) => -this.cfg.priorScale * lp) : null;
    this.shifted = new Float32Array(this.V);
    this.boost = lexicon && lexicon.size > 0 ? this.cfg.boostPerChar : 0;
    this.root = lexicon?.root ?? null;
    this.lm = lmDecoding?.lm ?? null;
    this.vocab = lmDecoding?.vocabulary ?? null;
    this.order = new Int32Array(this.V);
    this.beams = new Map([
      [
        0,
        {
          id: 0,
          last: -1,
          pb: 0,
          pnb: -Infinity,
          bonus: 0,
          partial: 0,
          node: this.root,
          lmScore: 0,
          look: 0,
          vocab: this.vocab ? VocabularyTrie.ROOT : -1,
          history: this.lm ? [this.lm.bos] : [],
        },
      ],
    ]);
  }

  /** Frames searched so far. */
  get frames(): number {
    return this.pushed;
  }

  private wordScore(history: readonly number[], id: number): number {
    return this.cfg.lmWeight * this.lm!.score(history, id) + this.cfg.wordBonus;
  }

  /** The word a finished spelling is: of the words spelt so (homophones), the one the LM finds likeliest here. */
  private likeliestWord(node: number, history: readonly number[]): { text: string; id: number } | null {
    const words = this.vocab!.wordsAt(node);
    if (words.length <= 1) return words[0] ?? null;
    let best = words[0];
    let bestScore = -Infinity;
    for (const w of words) {
      const s = this.lm!.score(history, w.id);
      if (s > bestScore) [best, bestScore] = [w, s];
    }
    return best;
  }

  /** The language-model state after appending class c to a prefix; null where no vocabulary word goes on. */
  private extendLm(p: Prefix, c: number): Pick<Prefix, 'lmScore' | 'look' | 'vocab' | 'history'> | null {
    const { lm, vocab } = this;
    if (!lm || !vocab) return { lmScore: 0, look: 0, vocab: -1, history: [] };
    const ROOT = VocabularyTrie.ROOT;
    if (c === this.alphabet.space) {
      // A space between words, or before the first, changes nothing.
      if (p.vocab === ROOT) return { lmScore: p.lmScore, look: 0, vocab: ROOT, history: p.history };
      const word = this.likeliestWord(p.vocab, p.history);
      if (!word) return null;
      return {
        lmScore: p.lmScore + this.wordScore(p.history, word.id),
        look: 0,
        vocab: ROOT,
        history: lm.advance(p.history, word.id),
      };
    }
    const next = vocab.child(p.vocab, c);
    return next >= 0
      ? {
          lmScore: p.lmScore,
          look: this.cfg.lmWeight * vocab.lookAhead(next),
          vocab: next,
          history: p.history,
        }
      : null;
  }

  /** The lexicon state after appending class c to a prefix. */
  private extend(p: Prefix, c: number): Pick<Prefix, 'bonus' | 'partial' | 'node'> {
    const boost = this.boost;
    if (boost === 0) return { bonus: 0, partial: 0, node: null };
    if (c === this.alphabet.space) {
      // A word ends: its bonus stays only if it is a whole lexicon word.
      const kept = p.node?.word ? p.bonus : p.bonus - p.partial;
      return { bonus: kept, partial: 0, node: this.root };
    }
    const next = p.node?.children.get(c);
    if (next) return { bonus: p.bonus + boost, partial: p.partial + boost, node: next };
    return { bonus: p.bonus - p.partial, partial: 0, node: null };
  }

  private childOf(id: number, c: number): number {
    const key = id * this.V + c;
    let k = this.children.get(key);
    if (k === undefined) {
      k = this.parent.length;
      this.parent.push(id);
      this.label.push(c);
      this.children.set(key, k);
    }
    return k;
  }

  /** Searches `frames` more frames of log-probabilities [frames, V] (row-major). */
  push(logProbs: Float32Array, frames: number): void {
    const { V, cfg, alphabet, order } = this;
    if (logProbs.length < frames * V)
      throw new Error(
        `beam search: ${logProbs.length} log-probabilities cannot hold ${frames} frames of ${V} classes`,
      );
    for (let t = 0; t < frames; t++) {
      let row = logProbs.subarray(t * V, (t + 1) * V);
      if (this.priorShift) {
        for (let v = 0; v < V; v++) this.shifted[v] = row[v] + this.priorShift[v];
        row = this.shifted;
      }
      // Candidate classes: the best few of this frame.
      for (let v = 0; v < V; v++) order[v] = v;
      const sorted = Array.from(order).sort((a, b) => row[b] - row[a]);
      const best = row[sorted[0]];
      const candidates = sorted.slice(0, cfg.topK).filter((v) => row[v] >= best - cfg.pruneLogProb);
      // The blank always: it is how a prefix waits out a frame whose likely characters cannot extend it
      // (with a language model, every prefix may be a word these characters do not continue).
      if (!candidates.includes(alphabet.blank)) candidates.push(alphabet.blank);

      const next = new Map<number, Prefix>();
      /** The prefix itself in the next frame's beam. */
      const stay = (p: Prefix): Prefix => {
        let q = next.get(p.id);
        if (!q) {
          q = { ...p, pb: -Infinity, pnb: -Infinity };
          next.set(p.id, q);
        }
        return q;
      };
      for (const p of this.beams.values()) {
        for (const c of candidates) {
          const lp = row[c];
          if (c === alphabet.blank) {
            const q = stay(p);
            q.pb = logAdd(q.pb, logAdd(p.pb, p.pnb) + lp);
            continue;
          }
          // A repeat merges into the same character unless a blank came between.
          if (c === p.last) {
            const q = stay(p);
            q.pnb = logAdd(q.pnb, p.pnb + lp);
          }
          const known = this.children.get(p.id * V + c);
          let q = known !== undefined ? next.get(known) : undefined;
          if (!q) {
            const lmState = this.extendLm(p, c);
            if (!lmState) continue; // no vocabulary word goes on this way
            const id = known ?? this.childOf(p.id, c);
            q = { id, last: c, pb: -Infinity, pnb: -Infinity, ...this.extend(p, c), ...lmState };
            next.set(id, q);
          }
          q.pnb = logAdd(q.pnb, (c === p.last ? p.pb : logAdd(p.pb, p.pnb)) + lp);
        }
        if (cfg.impliedWordBreaks && this.vocab && p.vocab !== VocabularyTrie.ROOT)
          for (const c of candidates)
            if (c !== alphabet.blank && c !== alphabet.space) this.breakThen(p, c, row[c], next);
      }
      this.beams = new Map(
        [...next.entries()].sort((a, b) => total(b[1]) - total(a[1])).slice(0, cfg.beamWidth),
      );
      this.forgetLeftPrefixes();
    }
    this.pushed += frames;
  }

  /** Keeps the (parent, class) entries of the beam's prefixes and of their parents only (see children). */
  private forgetLeftPrefixes(): void {
    const kept = new Map<number, number>();
    const keep = (id: number) => {
      if (id > 0) kept.set(this.parent[id] * this.V + this.label[id], id);
    };
    for (const id of this.beams.keys()) {
      keep(id);
      keep(this.parent[id]);
    }
    this.children = kept;
  }

  /**
   * Extends prefix p by an implied word break and then class c (log-probability lp) into `next`: the same
   * prefix as a written break and c would be, so both ways of reaching it add up.
   */
  private breakThen(p: Prefix, c: number, lp: number, next: Map<number, Prefix>): void {
    const space = this.alphabet.space;
    const ended = this.extendLm(p, space); // null: no word ends here
    if (!ended) return;
    const mid: Prefix = {
      ...p,
      ...this.extend(p, space),
      ...ended,
      id: this.childOf(p.id, space),
      last: space,
    };
    const known = this.children.get(mid.id * this.V + c);
    let q = known !== undefined ? next.get(known) : undefined;
    if (!q) {
      const lmState = this.extendLm(mid, c);
      if (!lmState) return;
      const id = known ?? this.childOf(mid.id, c);
      q = { id, last: c, pb: -Infinity, pnb: -Infinity, ...this.extend(mid, c), ...lmState };
      next.set(id, q);
    }
    // No frame is spent on the break: as between two letters, a repeat needs a blank between.
    q.pnb = logAdd(q.pnb, (c === p.last ? p.pb : logAdd(p.pb, p.pnb)) + lp);
  }

  /**
   * The best transcript of the frames so far, as if they were all (the search can go on after it). With
   * `openWord` (a phone model's live partial), the search's current leader instead, its last word still being
   * spoken written as the word it most likely becomes: words show as they are said, not once they end.
   */
  result(options: { openWord?: boolean } = {}): BeamSearchResult {
    if (options.openWord && this.alphabet.phones && this.vocab) return this.leader();
    const { lm, vocab } = this;
    // An unfinished lexicon word at the end has not earned its bonus; with a language model the last word
    // is scored and the sentence end too, and a prefix ending inside a non-word is out.
    let winner: { p: Prefix; score: number; bonus: number; lmScore: number } | null = null;
    for (const p of this.beams.values()) {
      const bonus = p.node && !p.node.word ? p.bonus - p.partial : p.bonus;
      let lmScore = 0;
      if (lm && vocab) {
        let history = p.history;
        lmScore = p.lmScore;
        if (p.vocab !== VocabularyTrie.ROOT) {
          const word = this.likeliestWord(p.vocab, history);
          if (!word) continue;
          lmScore += this.wordScore(history, word.id);
          history = lm.advance(history, word.id);
        }
        lmScore += this.cfg.lmWeight * lm.score(history, lm.eos);
      }
      const score = logAdd(p.pb, p.pnb) + bonus + lmScore;
      if (!winner || score > winner.score) winner = { p, score, bonus, lmScore };
    }
    // Every prefix stopped inside a non-word (speech cut off mid-word): the best of them as it stands.
    winner ??= [...this.beams.values()].map((p) => ({
      p,
      score: total(p),
      bonus: p.bonus,
      lmScore: p.lmScore,
    }))[0];
    const classes = this.classesOf(winner.p);
    const spelling = this.spellingOf(classes);
    const text = this.alphabet.phones && this.vocab ? this.wordsOf(classes) : spelling;
    return { text, spelling, score: winner.score, bonus: winner.bonus, lmScore: winner.lmScore };
  }

  /** The prefix the beam ranks first (its look-ahead included), its open word completed. */
  private leader(): BeamSearchResult {
    let best: Prefix | null = null;
    for (const p of this.beams.values()) if (!best || total(p) > total(best)) best = p;
    const p = best!;
    const classes = this.classesOf(p);
    const text = this.wordsOf(classes, true);
    const spelling = this.spellingOf(classes);
    return { text, spelling, score: total(p), bonus: p.bonus, lmScore: p.lmScore + p.look };
  }

  /** The classes a prefix spells, first to last. */
  private classesOf(p: Prefix): number[] {
    const classes: number[] = [];
    for (let k = p.id; k > 0; k = this.parent[k]) classes.push(this.label[k]);
    return classes.reverse();
  }

  /** Classes as the alphabet writes them (a phone model's as its phone symbols), word breaks single. */
  private spellingOf(classes: readonly number[]): string {
    return classes
      .map((c) => this.alphabet.tokens[c])
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
  }

  /**
   * A phone model's transcript: the vocabulary word each spelt pronunciation ends at; with `openWord`, a
   * last pronunciation that is not yet a whole word is written as the likeliest word it leads to.
   */
  private wordsOf(classes: readonly number[], openWord = false): string {
    const vocab = this.vocab!;
    const out: string[] = [];
    let node = VocabularyTrie.ROOT;
    // The history replayed, so each pronunciation comes out as the word the search scored it as.
    let history = [this.lm!.bos];
    const finish = (last = false) => {
      let word = node === VocabularyTrie.ROOT ? null : this.likeliestWord(node, history);
      if (!word && last && openWord) word = vocab.likeliestBelow(node);
      if (word) {
        out.push(word.text);
        history = this.lm!.advance(history, word.id);
      }
      node = VocabularyTrie.ROOT;
    };
    for (const c of classes) {
      if (c === this.alphabet.space) finish();
      else node = Math.max(vocab.child(node, c), VocabularyTrie.ROOT);
    }
    finish(true);
    return out.join(' ');
  }
}

/** Decodes log-probabilities [frames, V] (row-major) to text. */
export function beamSearch(
  logProbs: Float32Array,
  frames: number,
  alphabet: Alphabet,
  lexicon: Lexicon | null = null,
  config: Partial<BeamSearchConfig> = {},
  lmDecoding: LmDecoding | null = null,
): BeamSearchResult {
  const search = new BeamSearch(alphabet, lexicon, config, lmDecoding);
  search.push(logProbs, frames);
  return search.result();
}
