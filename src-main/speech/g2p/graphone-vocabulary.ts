import type { PhoneChunks } from './phone-chunks.js';
import { LETTERS } from './spelling.js';

/**
 * The graphones a model knows — letter:chunk pairs such as x:K S, a:EY, g: (silent) — numbered for the
 * n-gram model: 0 and 1 are the word's start and end, then each letter's graphones together (most frequent
 * first), so the candidates for a letter are one contiguous range of numbers.
 */
export class GraphoneVocabulary {
  static readonly BOS = 0;
  static readonly EOS = 1;

  /** Whether each token speaks at least one phone (start and end do not). */
  readonly speaks: Uint8Array;
  private readonly ranges = new Map<string, [number, number]>();

  /** `graphones[k]` is token k + 2: its letter and its phones. */
  constructor(readonly graphones: readonly { letter: string; phones: readonly string[] }[]) {
    this.speaks = new Uint8Array(graphones.length + 2);
    graphones.forEach((g, k) => {
      const t = k + 2;
      this.speaks[t] = g.phones.length > 0 ? 1 : 0;
      const r = this.ranges.get(g.letter);
      if (r && r[1] !== t) throw new RangeError(`graphones of "${g.letter}" are not listed together`);
      this.ranges.set(g.letter, r ? [r[0], t + 1] : [t, t + 1]);
    });
  }

  /** Builds the vocabulary of aligned spellings and returns each as a token sequence from start to end. */
  static fromAlignments(
    aligned: readonly { letters: string; chunks: Int32Array }[],
    chunks: PhoneChunks,
  ): { vocabulary: GraphoneVocabulary; sequences: Uint16Array[] } {
    const C = chunks.count;
    const counts = new Map<number, number>();
    const keyOf = (letter: string, chunk: number) => LETTERS.indexOf(letter) * C + chunk;
    for (const a of aligned)
      for (let i = 0; i < a.letters.length; i++) {
        const key = keyOf(a.letters[i], a.chunks[i]);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    const keys = [...counts.keys()].sort(
      (x, y) => Math.floor(x / C) - Math.floor(y / C) || counts.get(y)! - counts.get(x)! || x - y,
    );
    const token = new Map(keys.map((k, i) => [k, i + 2]));
    const vocabulary = new GraphoneVocabulary(
      keys.map((k) => ({ letter: LETTERS[Math.floor(k / C)], phones: chunks.phonesOf(k % C) })),
    );
    const sequences = aligned.map((a) => {
      const s = new Uint16Array(a.letters.length + 2);
      s[0] = GraphoneVocabulary.BOS;
      for (let i = 0; i < a.letters.length; i++) s[i + 1] = token.get(keyOf(a.letters[i], a.chunks[i]))!;
      s[s.length - 1] = GraphoneVocabulary.EOS;
      return s;
    });
    return { vocabulary, sequences };
  }

  /** Number of tokens, start and end included. */
  get size(): number {
    return this.graphones.length + 2;
  }

  /** Whether any graphone has this letter. */
  knows(letter: string): boolean {
    return this.ranges.has(letter);
  }

  /** The letter's tokens, [lo, hi); empty for an unknown letter. */
  range(letter: string): [number, number] {
    return this.ranges.get(letter) ?? [0, 0];
  }

  /** Whether some graphone of the letter speaks a phone. */
  canSpeak(letter: string): boolean {
    const [lo, hi] = this.range(letter);
    for (let t = lo; t < hi; t++) if (this.speaks[t] === 1) return true;
    return false;
  }

  phonesOf(token: number): readonly string[] {
    return token >= 2 ? this.graphones[token - 2].phones : [];
  }
}
